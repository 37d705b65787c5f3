//! `signpost reindex`: rebuild the derived search index from the store of record.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use signpost::App;
use signpost::config::Config;
use signpost::search::SearchError;

pub fn run(config: &Config) -> Result<ExitCode> {
    let started = Instant::now();
    let app = App::open(&config.data_dir)?;
    let heap = signpost::search::index::REBUILD_WRITER_HEAP;
    let mut indexer = match app.engine.index.indexer(heap) {
        Ok(i) => i,
        Err(SearchError::Locked) => {
            bail!("a running server holds the index; stop it, then run reindex again")
        }
        Err(e) => return Err(e.into()),
    };
    let r = indexer.rebuild(&app.store, app.taxonomy)?;
    indexer.finish()?;
    println!(
        "rebuilt the index: {} listings in {:.2} s",
        r.indexed,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
