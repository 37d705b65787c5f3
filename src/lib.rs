//! Signpost: a community activity directory for social prescribing.
//!
//! Data flows one way: sources (`ingest`) become one `Listing` model (`listing`),
//! stored first in SQLite (`store`, the store of record), then indexed by tantivy
//! (`search`, derived and always rebuildable), and served as pages and JSON (`web`).
//! `App` wires those together for the binary, the tests and the benchmarks.

pub mod clock;
pub mod config;
pub mod demo;
pub mod geo;
pub mod groups;
pub mod ingest;
pub mod listing;
pub mod publish;
pub mod search;
pub mod server;
pub mod store;
/// Synthetic listings for the benchmarks (and a few unit tests); not part of the API.
#[cfg(any(test, feature = "bench"))]
#[doc(hidden)]
pub mod synth;
pub mod web;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use listing::Taxonomy;
use search::{Engine, Indexer, SearchError, SearchIndex, SyncReport};
use store::{Store, StoreError};

/// Errors while opening or maintaining the data directory.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
}

/// The store, the index and the search engine over one data directory.
#[derive(Debug)]
pub struct App {
    pub data_dir: PathBuf,
    pub store: Arc<Store>,
    pub engine: Arc<Engine>,
    pub taxonomy: &'static Taxonomy,
}

impl App {
    /// Opens (creating if needed) the data directory: `signpost.db` and `tantivy/`.
    pub fn open(data_dir: &Path) -> Result<App, AppError> {
        let store = Store::open_dir(data_dir)?;
        let index = SearchIndex::open_or_create(&data_dir.join("tantivy"))?;
        let repaired = index.repaired;
        let taxonomy = Taxonomy::embedded();
        let engine = Engine::new(index, taxonomy);
        // The default ages until `serve` hands in the configured ones.
        engine.set_stale_from(groups::freshness::Freshness::default().stale_rule());
        let app = App {
            data_dir: data_dir.to_path_buf(),
            store: Arc::new(store),
            engine: Arc::new(engine),
            taxonomy,
        };
        if repaired {
            app.rebuild_repaired_index()?;
        }
        Ok(app)
    }

    /// A damaged index was made again, empty: fill it from the store now, so that
    /// every command (even `search`) sees the listings.
    fn rebuild_repaired_index(&self) -> Result<(), AppError> {
        let mut indexer = self.indexer()?;
        let r = indexer.rebuild(&self.store, self.taxonomy)?;
        indexer.finish()?;
        tracing::warn!(
            listings = r.indexed,
            "the search index was damaged; it has been rebuilt from the store"
        );
        Ok(())
    }

    /// Takes the index writer (fails if another process holds it).
    pub fn indexer(&self) -> Result<Indexer, SearchError> {
        self.engine
            .index
            .indexer(search::index::DEFAULT_WRITER_HEAP)
    }

    /// Brings the index up to date with the store.
    pub fn sync(&self, indexer: &mut Indexer) -> Result<SyncReport, SearchError> {
        indexer.sync(&self.store, self.taxonomy)
    }

    /// Rebuilds the index if enough of it was added out of spatial order since the
    /// last rebuild (see `Indexer::should_reorder`), so searches around a place stay
    /// fast as listings are imported bit by bit. Returns what the rebuild did, if it
    /// ran. Results are the same before and after; only their cost changes.
    pub fn reorder_if_due(&self, indexer: &mut Indexer) -> Result<Option<SyncReport>, SearchError> {
        if !indexer.should_reorder() {
            return Ok(None);
        }
        tracing::info!(
            unordered = indexer.unordered(),
            docs = self.engine.index.num_docs(),
            "rebuilding the index to put listings added since the last rebuild in order"
        );
        let started = std::time::Instant::now();
        let report = indexer.rebuild(&self.store, self.taxonomy)?;
        tracing::info!(
            listings = report.indexed,
            seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
            "rebuilt the index in order"
        );
        Ok(Some(report))
    }

    /// On a brand-new data directory, imports the demo content shipped in the binary.
    /// Returns the import report if it ran.
    pub fn ensure_demo(&self) -> Result<Option<ingest::ImportReport>, AppError> {
        if self.store.meta("demo_imported")?.is_some() || self.store.count()? > 0 {
            return Ok(None);
        }
        let report = demo::import(&self.store, self.taxonomy)?;
        self.store
            .set_meta("demo_imported", &chrono::Utc::now().to_rfc3339())?;
        Ok(Some(report))
    }
}

/// The writer shared by the server's background indexing task and request handlers
/// that need changes visible at once.
pub type SharedIndexer = Arc<Mutex<Indexer>>;
