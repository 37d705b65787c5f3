//! `signpost backup DEST` and `signpost restore SRC`.
//!
//! Backup may run beside `serve` (the copy is one consistent snapshot, see
//! [`signpost::store::backup`]). Restore must not: it takes the index writer's lock for
//! its whole run, so a running server makes it refuse, and a server started meanwhile
//! waits for it. A backup that is damaged, altered, incomplete or from a newer Signpost
//! is refused with exit status 2 before anything in the data directory is touched.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use signpost::config::Config;
use signpost::listing::Taxonomy;
use signpost::search::{SearchError, SearchIndex, index::REBUILD_WRITER_HEAP};
use signpost::store::{self, Store, backup::Manifest};

/// Exit status of a refused restore (nothing was changed).
const REFUSED: u8 = 2;

/// Where `backup DEST` writes: DEST itself, or a dated file inside it if it is a folder.
fn destination(dest: &Path) -> PathBuf {
    if dest.is_dir() {
        dest.join(store::backup::scheduled_name(chrono::Utc::now()))
    } else {
        dest.to_path_buf()
    }
}

/// The store of `config`'s data directory, which must already exist (a backup of a
/// directory that is not there would only back up a new, empty store).
pub fn open_existing(config: &Config) -> Result<Store> {
    let db = config.data_dir.join("signpost.db");
    if !db.is_file() {
        bail!(
            "there is no Signpost store at {} (is --data-dir right?)",
            db.display()
        );
    }
    Ok(Store::open_dir(&config.data_dir)?)
}

fn summary(m: &Manifest) -> String {
    format!(
        "{} listings, {} submissions, {} audit entries, {} moderators (schema {}, {:.1} MB)",
        m.count("listings"),
        m.count("submissions"),
        m.count("audit_log"),
        m.count("moderators"),
        m.schema_version,
        m.bytes as f64 / 1e6
    )
}

pub fn backup(config: &Config, dest: &Path) -> Result<ExitCode> {
    let started = Instant::now();
    let store = open_existing(config)?;
    let dest = destination(dest);
    if let Some(folder) = dest.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.is_dir()
    {
        bail!("there is no folder {} to back up into", folder.display());
    }
    let m = store
        .backup(&dest)
        .with_context(|| format!("backing up to {}", dest.display()))?;
    println!(
        "backed up {} to {} in {:.2} s",
        summary(&m),
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "manifest: {} (SHA-256 {})",
        store::backup::manifest_path(&dest).display(),
        m.sha256
    );
    Ok(ExitCode::SUCCESS)
}

/// Says why a restore was refused, and that nothing changed.
fn refused(why: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {why}\nNothing was changed.");
    ExitCode::from(REFUSED)
}

pub fn restore(config: &Config, src: &Path) -> Result<ExitCode> {
    let started = Instant::now();
    let data = &config.data_dir;
    // Hold the index writer's lock throughout: no server may use the data directory.
    let index_dir = data.join("tantivy");
    let index = SearchIndex::open_or_create(&index_dir)?;
    let mut indexer = match index.indexer(REBUILD_WRITER_HEAP) {
        Ok(i) => i,
        Err(SearchError::Locked) => {
            return Ok(refused(format_args!(
                "a running Signpost server is using {}; stop it, then restore",
                data.display()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let restored = match store::backup::restore(src, data) {
        Ok(r) => r,
        Err(e) if e.is_refusal() => return Ok(refused(e)),
        Err(e) => return Err(e).context("restoring"),
    };
    println!(
        "restored {} from {}",
        summary(&restored.manifest),
        src.display()
    );
    if let Some(kept) = &restored.kept {
        println!(
            "the store it replaced is kept as {} (delete it once you are satisfied)",
            kept.display()
        );
    }
    let store = Store::open_dir(data)?;
    let r = indexer.rebuild(&store, Taxonomy::embedded())?;
    indexer.finish()?;
    println!(
        "rebuilt the index: {} listings; done in {:.2} s",
        r.indexed,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
