//! Distances in miles (what people in the UK use for "how far"), on the sphere.

use geo::{Distance, Haversine, Point};

pub const METRES_PER_MILE: f64 = 1609.344;

/// Great-circle distance between two (lat, lon) points, in miles.
pub fn miles_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0)) / METRES_PER_MILE
}

/// A (lat, lon) box that contains every point within `miles` of `center`, with a small
/// margin, as ((min_lat, min_lon), (max_lat, max_lon)).
pub fn bounding_box(center: (f64, f64), miles: f64) -> ((f64, f64), (f64, f64)) {
    const MILES_PER_DEGREE_LAT: f64 = 69.0;
    let dlat = miles / MILES_PER_DEGREE_LAT * 1.01;
    let cos = center.0.to_radians().cos().max(0.01);
    let dlon = miles / (MILES_PER_DEGREE_LAT * cos) * 1.01;
    (
        (center.0 - dlat, center.1 - dlon),
        (center.0 + dlat, center.1 + dlon),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // Manchester Piccadilly to Sale town centre: about 5 miles.
        let d = miles_between((53.4774, -2.2309), (53.4246, -2.3218));
        assert!((4.5..5.5).contains(&d), "{d}");
        // London to Edinburgh: about 331 miles as the crow flies.
        let d = miles_between((51.5074, -0.1278), (55.9533, -3.1883));
        assert!((325.0..337.0).contains(&d), "{d}");
    }

    #[test]
    fn box_contains_the_circle() {
        let c = (53.42, -2.32);
        let ((min_lat, min_lon), (max_lat, max_lon)) = bounding_box(c, 10.0);
        for bearing in 0..360 {
            let b = (bearing as f64).to_radians();
            // A point just inside 10 miles in every direction.
            let p = (
                c.0 + 9.99 / 69.0 * b.cos(),
                c.1 + 9.99 / (69.0 * c.0.to_radians().cos()) * b.sin(),
            );
            if miles_between(c, p) <= 10.0 {
                assert!(p.0 >= min_lat && p.0 <= max_lat && p.1 >= min_lon && p.1 <= max_lon);
            }
        }
    }
}
