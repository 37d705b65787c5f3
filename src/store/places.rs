//! The gazetteer learned from the listings (see `geo::places`), kept in step with them.
//!
//! It is built from the published listings on first use and rebuilt when the store's
//! sequence number shows a listing has changed. Building reads every listing's venue
//! (about a second per million listings), so when a build is slow and listings keep
//! changing it is rebuilt at most once in twenty times its own build time; in between,
//! a search sees the places as they were a moment before, which is all a place name
//! needs. A small directory is always up to date.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Result, Store};
use crate::geo::districts::Districts;
use crate::geo::places::{Evidence, Gazetteer, area_evidence, localities};
use crate::geo::postcode::Postcode;

/// A build slower than this is not repeated more than once in twenty times its length.
const SLOW: Duration = Duration::from_millis(200);

#[derive(Default)]
pub(super) struct PlacesCache(Mutex<Option<Built>>);

struct Built {
    seq: i64,
    at: Instant,
    took: Duration,
    gazetteer: Arc<Gazetteer>,
}

impl Store {
    /// The places named by the published listings, up to date with the store.
    pub fn gazetteer(&self) -> Result<Arc<Gazetteer>> {
        let seq = self.max_seq()?;
        let mut cache = self.places.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = cache.as_ref()
            && (b.seq == seq || (b.took > SLOW && b.at.elapsed() < b.took * 20))
        {
            return Ok(b.gazetteer.clone());
        }
        let started = Instant::now();
        let gazetteer = Arc::new(self.build_gazetteer()?);
        *cache = Some(Built {
            seq,
            at: Instant::now(),
            took: started.elapsed(),
            gazetteer: gazetteer.clone(),
        });
        Ok(gazetteer)
    }

    fn build_gazetteer(&self) -> Result<Gazetteer> {
        let districts = Districts::embedded();
        self.with_reader(|conn| {
            let mut stmt = conn.prepare(
                "SELECT json_extract(data, '$.venue.address'), json_extract(data, '$.venue.postcode'),
                        json_extract(data, '$.venue.lat'), json_extract(data, '$.venue.lon'),
                        json_extract(data, '$.area_served.description'),
                        json_extract(data, '$.area_served.postcodes')
                 FROM listings WHERE status = 'published'",
            )?;
            let mut rows = stmt.query([])?;
            let (mut places, mut areas) = (Vec::new(), Vec::new());
            while let Some(r) = rows.next()? {
                let address: Option<String> = r.get(0)?;
                let postcode: Option<String> = r.get(1)?;
                let district = postcode
                    .as_deref()
                    .and_then(|p| Postcode::parse(p).ok())
                    .map(|p| p.outward().to_string());
                let point = match (r.get::<_, Option<f64>>(2)?, r.get::<_, Option<f64>>(3)?) {
                    (Some(lat), Some(lon)) => Some((lat, lon)),
                    _ => district.as_deref().and_then(|d| districts.get(d)),
                };
                if let (Some(address), Some((lat, lon))) = (address, point) {
                    for name in localities(&address) {
                        places.push(Evidence {
                            name,
                            lat,
                            lon,
                            district: district.clone(),
                        });
                    }
                }
                let area: Option<String> = r.get(4)?;
                let covered: Option<String> = r.get(5)?;
                if let (Some(area), Some(covered)) = (area, covered) {
                    let covered: Vec<String> = serde_json::from_str(&covered).unwrap_or_default();
                    areas.extend(area_evidence(&area, &covered, districts));
                }
            }
            Ok(Gazetteer::build(places, areas))
        })
    }
}
