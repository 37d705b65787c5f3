//! The demo dataset: realistic listings across Trafford, shipped in the binary.
//!
//! It lives as ordinary Signpost JSON in `content/demo/` and is imported through the
//! same path as any real source, so a fresh `serve` shows a working directory and the
//! importer is exercised on every first start.

use crate::ingest::{self, ImportOptions, ImportReport, IngestError};
use crate::listing::Taxonomy;
use crate::store::Store;

/// Source name the demo listings are stored under.
pub const SOURCE: &str = "demo";

pub const FILES: &[(&str, &[u8])] = &[
    ("sale.json", include_bytes!("../content/demo/sale.json")),
    (
        "altrincham.json",
        include_bytes!("../content/demo/altrincham.json"),
    ),
    (
        "stretford.json",
        include_bytes!("../content/demo/stretford.json"),
    ),
    (
        "urmston.json",
        include_bytes!("../content/demo/urmston.json"),
    ),
    (
        "chorlton.json",
        include_bytes!("../content/demo/chorlton.json"),
    ),
    (
        "trafford.json",
        include_bytes!("../content/demo/trafford.json"),
    ),
];

/// Every demo item decoded, in file order.
pub fn candidates() -> Result<Vec<ingest::Candidate>, IngestError> {
    let mut all = Vec::new();
    for (_, bytes) in FILES {
        all.extend(ingest::decode(bytes, ingest::Format::Signpost)?);
    }
    Ok(all)
}

pub fn import(store: &Store, taxonomy: &Taxonomy) -> Result<ImportReport, IngestError> {
    ingest::import(
        store,
        taxonomy,
        candidates()?,
        &ImportOptions {
            source: SOURCE.to_string(),
            withdraw_missing: true,
            area: None,
        },
    )
}
