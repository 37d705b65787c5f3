//! Turning "near M33 7XW" into a point, and saying how exact it is.
//!
//! A full postcode resolves exactly when a postcode table has been imported
//! (`signpost import-postcodes`); otherwise it falls back to the centre of its district,
//! and the result says so, because a person deciding whether they can walk there
//! deserves to know the distance is approximate.

use serde::Serialize;

use super::districts::Districts;
use super::postcode::Postcode;
use crate::listing::GeoPrecision;

/// Where to search from, before it has been located.
#[derive(Debug, Clone, PartialEq)]
pub enum Near {
    Postcode(Postcode),
    Point { lat: f64, lon: f64 },
}

impl Near {
    /// A postcode ("M33 7XW", "m33"), or "lat,lon".
    pub fn parse(v: &str) -> Result<Near, String> {
        if let Some((a, b)) = v.split_once(',') {
            let (a, b) = (a.trim(), b.trim());
            let looks_numeric = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            };
            if looks_numeric(a) && looks_numeric(b) {
                return match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(lat), Ok(lon))
                        if (49.0..=61.5).contains(&lat) && (-9.0..=2.5).contains(&lon) =>
                    {
                        Ok(Near::Point { lat, lon })
                    }
                    _ => {
                        Err("That position is not in the UK. Enter a postcode, like M33 7XW".into())
                    }
                };
            }
        }
        Postcode::parse(v)
            .map(Near::Postcode)
            .map_err(|e| e.to_string())
    }
}

/// Where exact postcode positions come from: the postcode table loaded into the store
/// (`signpost import-postcodes`). Without one, postcodes fall back to their district's
/// centre from the shipped table.
pub trait PostcodeTable: Sync {
    /// The position of a full postcode, by its key ([`Postcode::as_key`]), if known.
    fn exact_position(&self, key: &str) -> Result<Option<(f64, f64)>, TableError>;
}

impl<T: PostcodeTable + Send + ?Sized> PostcodeTable for std::sync::Arc<T> {
    fn exact_position(&self, key: &str) -> Result<Option<(f64, f64)>, TableError> {
        (**self).exact_position(key)
    }
}

/// The postcode table could not be read.
#[derive(Debug, thiserror::Error)]
#[error("could not read the postcode table: {0}")]
pub struct TableError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// A place searched from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Located {
    /// What we located, tidied: "M33 7XW", "M33" or "53.42, -2.32".
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    pub precision: Precision,
    /// Postcode district and area used to match services that cover an area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// Shown to the person when the position is approximate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    Point,
    Postcode,
    District,
}

#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error(
        "We could not find the postcode {0}. Check it and try again, or enter the first part only, like M33"
    )]
    Unknown(String),
    #[error(transparent)]
    Table(#[from] TableError),
}

pub struct Geocoder<'a> {
    store: &'a dyn PostcodeTable,
    districts: &'static Districts,
}

impl<'a> Geocoder<'a> {
    pub fn new(store: &'a dyn PostcodeTable) -> Geocoder<'a> {
        Geocoder {
            store,
            districts: Districts::embedded(),
        }
    }

    pub fn locate(&self, near: &Near) -> Result<Located, LocateError> {
        match near {
            Near::Point { lat, lon } => {
                let district = self.districts.nearest(*lat, *lon);
                let area = district.as_deref().map(area_of);
                Ok(Located {
                    label: format!("{lat:.5}, {lon:.5}"),
                    lat: *lat,
                    lon: *lon,
                    precision: Precision::Point,
                    area,
                    district,
                    note: None,
                })
            }
            Near::Postcode(pc) => {
                let (lat, lon, precision) = self
                    .position(pc)?
                    .ok_or_else(|| LocateError::Unknown(pc.to_string()))?;
                let note = (pc.is_full() && precision == GeoPrecision::District).then(|| {
                    format!(
                        "We do not have the exact position of {pc}, so distances are from the middle of the {} area.",
                        pc.outward()
                    )
                });
                Ok(Located {
                    label: pc.to_string(),
                    lat,
                    lon,
                    precision: match precision {
                        GeoPrecision::District => Precision::District,
                        _ => Precision::Postcode,
                    },
                    district: Some(pc.outward().to_string()),
                    area: Some(pc.area().to_string()),
                    note,
                })
            }
        }
    }

    /// Position of a postcode: exact if loaded, else its district's centre.
    pub fn position(&self, pc: &Postcode) -> Result<Option<(f64, f64, GeoPrecision)>, TableError> {
        if pc.is_full()
            && let Some((lat, lon)) = self.store.exact_position(&pc.as_key())?
        {
            return Ok(Some((lat, lon, GeoPrecision::Postcode)));
        }
        Ok(self
            .districts
            .get(pc.outward())
            .map(|(lat, lon)| (lat, lon, GeoPrecision::District)))
    }
}

fn area_of(district: &str) -> String {
    district
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect()
}
