//! Postcode-district centres, shipped in the binary.
//!
//! So that any district or full postcode can be placed on a fresh machine, with no
//! national postcode table loaded, Signpost carries the centre (mean position of its
//! postcode units) of every GB postcode district. `content/postcode-districts.csv` is
//! produced from OS Code-Point Open by `examples/derive_districts.rs`, using
//! [`derive_from_units`].

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use super::distance::miles_between;

const EMBEDDED_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/content/postcode-districts.csv"
));

static EMBEDDED: LazyLock<Districts> = LazyLock::new(|| Districts::from_csv(EMBEDDED_CSV));

#[derive(Debug)]
pub struct Districts {
    centres: Vec<(String, f64, f64)>,
    by_code: HashMap<String, usize>,
}

impl Districts {
    pub fn embedded() -> &'static Districts {
        &EMBEDDED
    }

    /// Parses `outcode,latitude,longitude,postcode_count`; bad lines are skipped (the
    /// shipped file is checked by a test).
    pub fn from_csv(text: &str) -> Districts {
        let mut centres = Vec::new();
        for line in text.lines().skip(1) {
            let mut f = line.split(',');
            let (Some(code), Some(lat), Some(lon)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if let (Ok(lat), Ok(lon)) = (lat.parse(), lon.parse()) {
                centres.push((code.to_string(), lat, lon));
            }
        }
        let by_code = centres
            .iter()
            .enumerate()
            .map(|(i, (c, _, _))| (c.clone(), i))
            .collect();
        Districts { centres, by_code }
    }

    pub fn get(&self, outward: &str) -> Option<(f64, f64)> {
        self.by_code.get(outward).map(|&i| {
            let (_, lat, lon) = &self.centres[i];
            (*lat, *lon)
        })
    }

    pub fn len(&self) -> usize {
        self.centres.len()
    }

    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, f64, f64)> {
        self.centres.iter().map(|(c, a, o)| (c.as_str(), *a, *o))
    }

    /// The district whose centre is nearest to a point, if one is within 10 miles
    /// (a point in the sea or abroad has no district).
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<String> {
        self.centres
            .iter()
            .map(|(c, a, o)| (c, miles_between((lat, lon), (*a, *o))))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .filter(|(_, d)| *d <= 10.0)
            .map(|(c, _)| c.clone())
    }
}

/// Mean position and count of postcode units per outward code, sorted by code.
pub fn derive_from_units<I: Iterator<Item = (String, f64, f64)>>(
    units: I,
) -> Vec<(String, f64, f64, u32)> {
    let mut sums: BTreeMap<String, (f64, f64, u32)> = BTreeMap::new();
    for (outward, lat, lon) in units {
        let e = sums.entry(outward).or_insert((0.0, 0.0, 0));
        e.0 += lat;
        e.1 += lon;
        e.2 += 1;
    }
    sums.into_iter()
        .map(|(c, (lat, lon, n))| (c, lat / n as f64, lon / n as f64, n))
        .collect()
}

pub fn to_csv(rows: &[(String, f64, f64, u32)]) -> String {
    let mut out = String::from("outcode,latitude,longitude,postcode_count\n");
    for (c, lat, lon, n) in rows {
        out.push_str(&format!("{c},{lat:.5},{lon:.5},{n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_matches_the_published_centroids() {
        let d = Districts::embedded();
        assert_eq!(d.len(), 2_880);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/postcodes/codepoint-open-2014/outcode_centroids_from_codepoint_open_2014-08.csv"
        );
        let published = Districts::from_csv(&std::fs::read_to_string(path).unwrap());
        assert_eq!(published.len(), d.len());
        for (code, lat, lon) in published.iter() {
            let (a, o) = d.get(code).unwrap_or_else(|| panic!("{code} missing"));
            assert!((a - lat).abs() < 1e-4 && (o - lon).abs() < 1e-4, "{code}");
        }
    }

    #[test]
    fn derive_and_lookup() {
        let rows = derive_from_units(
            vec![
                ("M33".to_string(), 53.0, -2.0),
                ("M33".to_string(), 54.0, -3.0),
                ("AB10".to_string(), 57.0, -2.0),
            ]
            .into_iter(),
        );
        assert_eq!(rows[1], ("M33".to_string(), 53.5, -2.5, 2));
        let csv = to_csv(&rows);
        assert!(csv.starts_with("outcode,latitude,longitude,postcode_count\nAB10,57.00000"));
        let d = Districts::from_csv(&csv);
        assert_eq!(d.get("M33"), Some((53.5, -2.5)));
        assert_eq!(d.nearest(53.51, -2.49).as_deref(), Some("M33"));
        assert_eq!(d.nearest(0.0, 0.0), None);
    }
}
