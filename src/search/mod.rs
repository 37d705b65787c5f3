//! Full-text, filtered and geographic search over listings (tantivy).
//!
//! `schema` says what a listing looks like to the index, `index` keeps the index in
//! step with the store, `request` parses what a person asked for, `text` turns words
//! into a query (thesaurus, typos) and `engine` runs it with filters, location,
//! ranking and counts. Searches are synchronous and CPU-bound: the web layer runs
//! them in `spawn_blocking`.

pub mod by_id;
pub mod collect;
pub mod engine;
pub mod eval;
pub mod index;
mod prune;
pub mod request;
pub mod schema;
pub mod semantic;
mod spell;
pub mod text;
pub mod understand;

use std::path::PathBuf;

pub use engine::{Engine, Hit, Reach, SearchResults, StaleFrom, TypeCount};
pub use index::{Indexer, SearchIndex, SyncReport};
pub use request::{Near, ParamError, SearchRequest, Sort};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("could not use the index directory {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(
        "the search index is in use by another Signpost process (probably a running server); \
         the store has the changes and that process will index them"
    )]
    Locked,
    #[error("a search result was missing its stored card; run `signpost reindex`")]
    MissingCard,
}
