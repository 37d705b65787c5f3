//! Ordnance Survey National Grid (OSGB36 eastings/northings) to WGS84 latitude and
//! longitude, for the raw Code-Point Open release, which gives only grid references.
//!
//! The method is the one in the OS "guide to coordinate systems in Great Britain":
//! inverse Transverse Mercator on the Airy 1830 ellipsoid, then a 7-parameter Helmert
//! transform to WGS84. It is good to a few metres, far better than a postcode needs.

const AIRY_A: f64 = 6_377_563.396;
const AIRY_B: f64 = 6_356_256.909;
const F0: f64 = 0.999_601_271_7;
const LAT0_DEG: f64 = 49.0;
const LON0_DEG: f64 = -2.0;
const N0: f64 = -100_000.0;
const E0: f64 = 400_000.0;
const WGS_A: f64 = 6_378_137.0;
const WGS_B: f64 = 6_356_752.314_245;

/// Converts a National Grid easting and northing (metres) to WGS84 (lat, lon) degrees.
pub fn osgb36_to_wgs84(easting: f64, northing: f64) -> (f64, f64) {
    let (lat, lon) = grid_to_osgb36(easting, northing);
    let (x, y, z) = to_cartesian(lat, lon, AIRY_A, AIRY_B);
    let (x, y, z) = helmert(x, y, z);
    let (lat, lon) = from_cartesian(x, y, z, WGS_A, WGS_B);
    (lat.to_degrees(), lon.to_degrees())
}

/// Inverse Transverse Mercator: grid to OSGB36 (lat, lon) in radians.
fn grid_to_osgb36(e: f64, n: f64) -> (f64, f64) {
    let (a, b) = (AIRY_A, AIRY_B);
    let lat0 = LAT0_DEG.to_radians();
    let lon0 = LON0_DEG.to_radians();
    let e2 = 1.0 - (b * b) / (a * a);
    let nn = (a - b) / (a + b);
    let (n2, n3) = (nn * nn, nn * nn * nn);
    let meridional = |lat: f64| {
        let (d, s) = (lat - lat0, lat + lat0);
        b * F0
            * ((1.0 + nn + 1.25 * n2 + 1.25 * n3) * d
                - (3.0 * nn + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
                + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
                - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
    };
    let mut lat = lat0;
    let mut m = 0.0;
    for _ in 0..100 {
        lat += (n - N0 - m) / (a * F0);
        m = meridional(lat);
        if (n - N0 - m).abs() < 1e-5 {
            break;
        }
    }
    let sin = lat.sin();
    let nu = a * F0 / (1.0 - e2 * sin * sin).sqrt();
    let rho = a * F0 * (1.0 - e2) / (1.0 - e2 * sin * sin).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let tan = lat.tan();
    let (t2, t4, t6) = (tan * tan, tan.powi(4), tan.powi(6));
    let sec = 1.0 / lat.cos();
    let vii = tan / (2.0 * rho * nu);
    let viii = tan / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = tan / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let de = e - E0;
    let lat = lat - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon = lon0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat, lon)
}

fn to_cartesian(lat: f64, lon: f64, a: f64, b: f64) -> (f64, f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    (
        nu * lat.cos() * lon.cos(),
        nu * lat.cos() * lon.sin(),
        (1.0 - e2) * nu * lat.sin(),
    )
}

/// OSGB36 to WGS84 (the published parameters of the reverse of WGS84 -> OSGB36).
fn helmert(x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let (tx, ty, tz) = (446.448, -125.157, 542.060);
    let s = -20.4894e-6;
    let arcsec = |v: f64| (v / 3600.0_f64).to_radians();
    let (rx, ry, rz) = (arcsec(0.1502), arcsec(0.2470), arcsec(0.8421));
    (
        tx + (1.0 + s) * x - rz * y + ry * z,
        ty + rz * x + (1.0 + s) * y - rx * z,
        tz - ry * x + rx * y + (1.0 + s) * z,
    )
}

fn from_cartesian(x: f64, y: f64, z: f64, a: f64, b: f64) -> (f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let p = (x * x + y * y).sqrt();
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        lat = (z + e2 * nu * lat.sin()).atan2(p);
    }
    (lat, y.atan2(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::miles_between;

    #[test]
    fn matches_the_published_wgs84_conversion() {
        // Raw Code-Point Open (grid) against the WGS84 conversion of the same release.
        let base = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/postcodes/codepoint-open-2014/"
        );
        let raw = std::fs::read_to_string(format!("{base}raw_sample_bs.csv")).unwrap();
        let mut grid = std::collections::HashMap::new();
        for line in raw.lines() {
            let f: Vec<&str> = line.split(',').collect();
            let (e, n): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
            if e > 0.0 && n > 0.0 {
                grid.insert(f[0].trim_matches('"').to_string(), (e, n));
            }
        }
        let gz = std::fs::File::open(format!(
            "{base}codepoint_open_2014-08_postcodes_wgs84.csv.gz"
        ))
        .unwrap();
        let mut errors = Vec::new();
        let reader = std::io::BufRead::lines(std::io::BufReader::new(
            flate2::read::MultiGzDecoder::new(gz),
        ));
        for line in reader.map_while(Result::ok) {
            if !line.starts_with("BS") {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let (Some(&(e, n)), Ok(lat), Ok(lon)) =
                (grid.get(f[0]), f[1].parse::<f64>(), f[2].parse::<f64>())
            else {
                continue;
            };
            let got = osgb36_to_wgs84(e, n);
            errors.push(miles_between(got, (lat, lon)) * super::super::distance::METRES_PER_MILE);
        }
        assert!(errors.len() > 7_000, "only {} rows compared", errors.len());
        errors.sort_by(f64::total_cmp);
        let p99 = errors[errors.len() * 99 / 100];
        let max = errors[errors.len() - 1];
        eprintln!(
            "OSGB36 -> WGS84 over {} postcodes: p99 {p99:.2} m, max {max:.2} m",
            errors.len()
        );
        assert!(p99 < 10.0, "99th percentile error {p99:.1} m");
    }
}
