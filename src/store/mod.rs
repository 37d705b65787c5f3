//! The store of record: SQLite, in the data directory.
//!
//! Everything a person or a source has told us lives here first; the search index is
//! derived from it and can always be rebuilt. Each write is one transaction and is
//! committed (WAL, `synchronous=FULL`) before the caller is told it worked.
//!
//! Every change to a listing takes the next value of a store-wide sequence number
//! (`seq`). The indexer remembers the last `seq` it has indexed, so it can catch up
//! after a crash, or with changes another process (a CLI import) wrote while the
//! server was running, without rebuilding everything. The interface is deliberately
//! narrow (upsert, archive, get, changes since, postcodes) so a move to PostgreSQL
//! stays small.

pub mod backup;
mod feeds;
mod groups;
mod http_cache;
mod merge;
mod migrations;
mod missed;
mod overrides;
mod places;
mod published;
mod replica;
mod republish;
pub mod same;

pub use groups::{SUBMISSIONS_SOURCE, submission_reference};
pub use http_cache::Validators;

pub use feeds::{Cursor, FeedTx, StoredItem};
pub use groups::{AuditEntry, DueListing, Submission, TokenInfo};
pub use missed::MissedSearch;
pub use overrides::Uncategorised;
pub use published::{Dated, Identity};
pub use replica::{Applied, ReplicaError, Row};
pub use republish::Republished;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use crate::listing::{Listing, Status};

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {}{}", .0, io_hint(.0))]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored listing {id} could not be read: {source}")]
    Corrupt { id: i64, source: serde_json::Error },
    #[error("could not create the data directory {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "the data directory was written by a newer Signpost (schema {found}, this build knows {known})"
    )]
    TooNew { found: i64, known: i64 },
    #[error(
        "cannot write to the data directory {}: {cause} (Signpost keeps its store there: \
         check the disk is mounted read-write and this user may write to it)",
        path.display()
    )]
    NotWritable {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}: {cause}", path.display())]
    File {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is not a Signpost backup: {why}", path.display())]
    NotABackup { path: PathBuf, why: String },
    #[error("the backup {} is damaged: {why}", path.display())]
    Damaged { path: PathBuf, why: String },
    #[error(
        "the backup {} was made by a newer Signpost (version {version}, schema {schema}); \
         this is version {ours}, which knows schema {known}: upgrade Signpost, then restore",
        path.display()
    )]
    BackupTooNew {
        path: PathBuf,
        version: String,
        schema: i64,
        ours: String,
        known: i64,
    },
}

/// SQLite's "disk I/O error" says little; what it most often means, said plainly.
fn io_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error() {
        Some(f) if f.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE => {
            " (SQLite could not grow its shared-memory file: the disk is probably full)"
        }
        Some(f) if f.code == rusqlite::ErrorCode::SystemIoFailure => {
            " (the disk may be full, read-only or failing)"
        }
        _ => "",
    }
}

impl StoreError {
    /// The disk (or the file size limit) is full: the write was rolled back.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
                    || e.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE
            }
            StoreError::File { cause, .. } | StoreError::Io { cause, .. } => {
                cause.kind() == std::io::ErrorKind::StorageFull
                    || cause.kind() == std::io::ErrorKind::FileTooLarge
            }
            _ => false,
        }
    }

    /// A backup refused before anything was touched (damaged, not ours, too new).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::NotABackup { .. }
                | StoreError::Damaged { .. }
                | StoreError::BackupTooNew { .. }
        )
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(i64),
    Updated(i64),
    Unchanged(i64),
}

impl Upserted {
    pub fn id(self) -> i64 {
        match self {
            Upserted::Created(id) | Upserted::Updated(id) | Upserted::Unchanged(id) => id,
        }
    }
}

/// One change for the indexer: the listing as it now is (`None` if it should not be
/// searchable: pending or archived).
#[derive(Debug)]
pub struct Change {
    pub id: i64,
    pub seq: i64,
    pub listing: Option<Listing>,
}

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    places: places::PlacesCache,
    /// How many listings the Open Referral API lists at all, with the highest change
    /// sequence number it was counted at (see `published::changed_count`).
    listed: Mutex<Option<(i64, i64)>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Plans never depend on the values bound: without this, SQLite marks some
    // statements to be prepared again whenever a parameter changes, and a cached
    // statement run once per item was recompiled once per item (8% of a harvest).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // Every statement a harvest page runs stays compiled across pages.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Store {
    /// Opens (creating if needed) `signpost.db` in `dir`, and applies migrations.
    ///
    /// The directory must be writable (SQLite's log lives beside the store): that is
    /// checked first, so a read-only disk gets a clear message rather than SQLite's
    /// "unable to open database file".
    pub fn open_dir(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|cause| StoreError::Io {
            path: dir.to_path_buf(),
            cause,
        })?;
        let probe = dir.join(".signpost-write-check");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|cause| StoreError::NotWritable {
                path: dir.to_path_buf(),
                cause,
            })?;
        Store::open(&dir.join("signpost.db"))
    }

    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        merge::backfill(&mut conn)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            places: places::PlacesCache::default(),
            listed: Mutex::new(None),
        })
    }

    /// Ends a clean stop: pooled readers are closed and the write-ahead log is
    /// checkpointed into the database file and truncated, so the store on disk is
    /// one whole file even before the process ends.
    pub fn close(&self) -> Result<()> {
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.with_writer(|conn| {
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy != 0 {
                tracing::warn!("the store's log could not be fully checkpointed (still in use)");
            }
            Ok(())
        })
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Runs `f` on a pooled read connection (WAL lets reads run beside the writer).
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = {
            let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            pool.pop()
        };
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)?;
                configure(&c)?;
                c
            }
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    /// Inserts or updates listings by (source, source_id), all in one transaction.
    ///
    /// A listing whose content is unchanged keeps its sequence number, so re-importing
    /// the same feed does no index work.
    pub fn upsert_batch(&self, listings: &[Listing]) -> Result<Vec<Upserted>> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let out = upsert_in(&tx, listings)?;
            tx.commit()?;
            Ok(out)
        })
    }

    pub fn upsert(&self, listing: &Listing) -> Result<Upserted> {
        Ok(self.upsert_batch(std::slice::from_ref(listing))?[0])
    }

    /// Changes a listing's status (e.g. archive it). Returns false if there is no such id.
    pub fn set_status(&self, id: i64, status: Status) -> Result<bool> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let Some(mut listing) = get_in(&tx, id)? else {
                return Ok(false);
            };
            if listing.status == status {
                return Ok(true);
            }
            listing.status = status;
            let seq = next_seq(&tx)?;
            tx.execute(
                "UPDATE listings SET status = ?1, data = ?2, seq = ?3, updated_at = ?4 WHERE id = ?5",
                params![status.as_str(), to_json(&listing), seq, now(), id],
            )?;
            merge::recluster_one(&tx, id)?;
            tx.commit()?;
            Ok(true)
        })
    }

    pub fn get(&self, id: i64) -> Result<Option<Listing>> {
        self.with_reader(|conn| get_in(conn, id))
    }

    pub fn count(&self) -> Result<i64> {
        self.with_reader(|conn| {
            Ok(conn.query_row("SELECT COUNT(*) FROM listings", [], |r| r.get(0))?)
        })
    }

    pub fn max_seq(&self) -> Result<i64> {
        self.with_reader(|conn| {
            Ok(
                conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM listings", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    /// Up to `limit` changes with `seq > after`, oldest first.
    pub fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, seq, status, data, merged_into IS NOT NULL FROM listings
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, seq, status, data, merged) = row?;
                // A duplicate merged into another listing is not searched on its own.
                let listing = if status == Status::Published.as_str() && !merged {
                    Some(merge::shown(conn, from_json(id, &data)?)?)
                } else {
                    None
                };
                out.push(Change { id, seq, listing });
            }
            Ok(out)
        })
    }

    /// Calls `f` with every published listing in id order, as people see it (gaps
    /// filled from its duplicates), without holding them all in memory.
    pub fn for_each_published(&self, mut f: impl FnMut(Listing) -> Result<()>) -> Result<()> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, data FROM listings
                 WHERE status = 'published' AND merged_into IS NULL ORDER BY id",
            )?;
            let merged = merge::with_duplicates(conn)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let data: String = r.get(1)?;
                f(merge::shown_if(conn, &merged, from_json(id, &data)?)?)?;
            }
            Ok(())
        })
    }

    /// Every published listing, ordered by `key` (of its stored JSON), then by id. The
    /// search index is rebuilt in this order so that listings near each other are
    /// numbered together (see `search::index`). Keys and ids are worked out first (16
    /// bytes a listing), sorted, then each listing is read by id; both passes see one
    /// snapshot of the store.
    pub fn for_each_published_ordered(
        &self,
        key: impl Fn(&str) -> u64,
        mut f: impl FnMut(Listing) -> Result<()>,
    ) -> Result<()> {
        self.with_reader(|conn| {
            conn.execute_batch("BEGIN")?;
            let out = (|| {
                let mut order: Vec<(u64, i64)> = Vec::new();
                let mut stmt = conn.prepare(
                    "SELECT id, data FROM listings
                     WHERE status = 'published' AND merged_into IS NULL",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let data = r.get_ref(1)?.as_str().unwrap_or_default();
                    order.push((key(data), r.get(0)?));
                }
                order.sort_unstable();
                let merged = merge::with_duplicates(conn)?;
                let mut stmt = conn.prepare_cached("SELECT data FROM listings WHERE id = ?1")?;
                for (_, id) in order {
                    let data: String = stmt.query_row([id], |r| r.get(0))?;
                    f(merge::shown_if(conn, &merged, from_json(id, &data)?)?)?;
                }
                Ok(())
            })();
            // Read only: this just ends the snapshot, whatever happened.
            let _ = conn.execute_batch("ROLLBACK");
            out
        })
    }

    /// Ids of every listing from one source, for working out what a full re-import
    /// no longer contains.
    pub fn ids_for_source(&self, source: &str) -> Result<Vec<(i64, String)>> {
        self.with_reader(|conn| {
            let mut stmt =
                conn.prepare("SELECT id, source_id FROM listings WHERE source = ?1 ORDER BY id")?;
            let rows = stmt.query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Records a problem reported with a listing. Returns the report's id once it is
    /// committed, so the reference shown to the reporter is never for a lost report.
    pub fn add_report(
        &self,
        listing_id: i64,
        reason: &str,
        details: &str,
        email: Option<&str>,
    ) -> Result<i64> {
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO reports (listing_id, reason, details, email, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![listing_id, reason, details, email, now()],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    /// Open reports, oldest first: (id, listing id, reason, details, email).
    #[allow(clippy::type_complexity)]
    pub fn open_reports(&self) -> Result<Vec<(i64, i64, String, String, Option<String>)>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare(
                "SELECT id, listing_id, reason, details, email FROM reports
                 WHERE status = 'open' ORDER BY id",
            )?;
            let rows = st.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// Published listing ids in id order, `limit` from `offset`, each with the date its
    /// record last changed here (`YYYY-MM-DD`), for the sitemap's `lastmod`.
    pub fn published_ids(&self, offset: u64, limit: u64) -> Result<Vec<(i64, Option<String>)>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, substr(updated_at, 1, 10)
                 FROM listings WHERE status = 'published' AND merged_into IS NULL
                 ORDER BY id LIMIT ?1 OFFSET ?2",
            )?;
            let rows = st.query_map(params![limit as i64, offset as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?)
        })
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// Loads postcode units in batches; returns how many rows were written.
    pub fn import_postcodes(
        &self,
        rows: impl IntoIterator<Item = (String, f64, f64, bool)>,
    ) -> Result<u64> {
        self.with_writer(|conn| {
            let mut written = 0u64;
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                let tx = conn.transaction()?;
                {
                    let mut stmt = tx.prepare_cached(
                        "INSERT INTO postcodes (postcode, lat, lon, terminated) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(postcode) DO UPDATE SET lat = excluded.lat,
                           lon = excluded.lon, terminated = excluded.terminated",
                    )?;
                    for (pc, lat, lon, terminated) in rows.by_ref().take(50_000) {
                        stmt.execute(params![pc, lat, lon, terminated])?;
                        written += 1;
                    }
                }
                tx.commit()?;
            }
            Ok(written)
        })
    }

    /// Exact position of a full postcode, if a postcode table has been imported.
    pub fn postcode(&self, key: &str) -> Result<Option<(f64, f64)>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT lat, lon FROM postcodes WHERE postcode = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    pub fn postcode_count(&self) -> Result<i64> {
        self.with_reader(|conn| {
            Ok(conn.query_row("SELECT COUNT(*) FROM postcodes", [], |r| r.get(0))?)
        })
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn to_json(listing: &Listing) -> String {
    let mut l = listing.clone();
    l.id = 0;
    serde_json::to_string(&l).expect("a Listing always serialises")
}

fn from_json(id: i64, data: &str) -> Result<Listing> {
    let mut l: Listing =
        serde_json::from_str(data).map_err(|source| StoreError::Corrupt { id, source })?;
    l.id = id;
    Ok(l)
}

fn next_seq(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM listings", [], |r| {
            r.get(0)
        })?,
    )
}

fn get_in(conn: &Connection, id: i64) -> Result<Option<Listing>> {
    let data: Option<String> = conn
        .query_row("SELECT data FROM listings WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    data.map(|d| from_json(id, &d)).transpose()
}

fn upsert_in(tx: &rusqlite::Transaction<'_>, listings: &[Listing]) -> Result<Vec<Upserted>> {
    let mut seq = next_seq(tx)?;
    let now = now();
    let mut out = Vec::with_capacity(listings.len());
    let mut find = tx.prepare_cached(
        "SELECT id, data, match_key FROM listings WHERE source = ?1 AND source_id = ?2",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO listings (source, source_id, status, seq, data, created_at, updated_at, match_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE listings SET status = ?1, seq = ?2, data = ?3, updated_at = ?4, match_key = ?6
         WHERE id = ?5",
    )?;
    // Keys of listings that changed, before and after: their clusters are redone.
    let mut keys = std::collections::BTreeSet::new();
    for l in listings {
        let p = &l.provenance;
        let existing: Option<(i64, String, Option<String>)> = find
            .query_row(params![p.source, p.source_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        // A source that gives no change time gets "now" only when something really
        // changed, so re-importing the same file leaves every listing untouched.
        let mut l = std::borrow::Cow::Borrowed(l);
        if let Some(types) = overrides::types_for(tx, &p.source, &p.source_id)?
            && types != l.types
        {
            l.to_mut().types = types;
        }
        if l.provenance.updated_at.is_none() {
            let recorded = match &existing {
                Some((id, old, _)) => from_json(*id, old)?.provenance.updated_at,
                None => None,
            };
            l.to_mut().provenance.updated_at = recorded;
            if recorded.is_none()
                || existing
                    .as_ref()
                    .is_some_and(|(_, old, _)| *old != to_json(&l))
            {
                l.to_mut().provenance.updated_at = Some(chrono::Utc::now());
            }
        }
        let data = to_json(&l);
        let p = &l.provenance;
        let key = merge_key(&l);
        match existing {
            Some((id, old, _)) if old == data => out.push(Upserted::Unchanged(id)),
            Some((id, _, old_key)) => {
                update.execute(params![l.status.as_str(), seq, data, now, id, key])?;
                keys.extend(old_key);
                keys.extend(key);
                seq += 1;
                out.push(Upserted::Updated(id));
            }
            None => {
                insert.execute(params![
                    p.source,
                    p.source_id,
                    l.status.as_str(),
                    seq,
                    data,
                    now,
                    key
                ])?;
                keys.extend(key);
                seq += 1;
                out.push(Upserted::Created(tx.last_insert_rowid()));
            }
        }
    }
    drop((find, insert, update));
    merge::recluster(tx, &keys)?;
    Ok(out)
}

/// Only published listings take part in merging; a pending or archived one keeps no
/// key, so it can never hide a live listing.
fn merge_key(l: &Listing) -> Option<String> {
    (l.status == Status::Published)
        .then(|| crate::store::same::match_key(l))
        .flatten()
}

/// The store's postcode table is where [`Geocoder`](crate::geo::locate::Geocoder)
/// finds exact positions.
impl crate::geo::locate::PostcodeTable for Store {
    fn exact_position(
        &self,
        key: &str,
    ) -> std::result::Result<Option<(f64, f64)>, crate::geo::locate::TableError> {
        self.postcode(key)
            .map_err(|e| crate::geo::locate::TableError(Box::new(e)))
    }

    fn gazetteer(
        &self,
    ) -> std::result::Result<
        std::sync::Arc<crate::geo::places::Gazetteer>,
        crate::geo::locate::TableError,
    > {
        Store::gazetteer(self).map_err(|e| crate::geo::locate::TableError(Box::new(e)))
    }
}

#[cfg(test)]
mod tests;
