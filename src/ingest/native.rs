//! Signpost's own JSON format: an array of listings, the same shape the JSON API
//! returns for one listing. Each element is decoded on its own so one bad item is
//! reported with its position, not fatal to the file.

use super::{Candidate, IngestError, ItemProblem};
use crate::listing::Listing;

const DERIVED: &[&str] = &["postcode", "lat", "lon", "url"];

pub fn decode(bytes: &[u8]) -> Result<Vec<Candidate>, IngestError> {
    let items: Vec<serde_json::Value> = serde_json::from_slice(strip_bom(bytes))?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            // Derived fields the API adds to a listing; not part of the model.
            if let Some(map) = v.as_object_mut() {
                for key in DERIVED {
                    map.remove(*key);
                }
            }
            let source_id = v
                .pointer("/provenance/source_id")
                .and_then(|s| s.as_str())
                .map(str::to_string);
            serde_json::from_value::<Listing>(v).map_err(|e| ItemProblem {
                position: i + 1,
                source_id,
                reasons: vec![e.to_string()],
            })
        })
        .collect())
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)
}
