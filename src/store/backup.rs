//! Backups of the store of record, and restoring one.
//!
//! The store holds work nobody can type again (groups' submissions, moderators'
//! decisions, the audit log), so a backup must be a consistent copy taken while
//! `serve` keeps writing, and a restore must never make things worse.
//!
//! - **Copy**: SQLite's online backup API, all pages in one step, so the copy is one
//!   read snapshot (WAL lets the server go on writing meanwhile). The copy is written
//!   beside its destination, checked (`quick_check`), fsynced and renamed into place;
//!   only then is its manifest written (the same way). A backup without a manifest is
//!   incomplete and is refused by restore.
//! - **Manifest** (`<copy>.manifest.json`): the Signpost and schema versions, the
//!   number of rows in every table, and the copy's size and SHA-256.
//! - **Verify** before anything is touched: the manifest is ours and not from a newer
//!   Signpost or schema, the checksum matches, SQLite's `integrity_check` passes and
//!   the counts match the manifest. Any failure is a refusal ([`StoreError::is_refusal`]).
//! - **Restore**: the verified copy is copied into the data directory, fsynced, and
//!   renamed over `signpost.db` (atomic). The store it replaces is first checkpointed
//!   and kept beside it (`signpost.db.before-restore-<time>`), never deleted. The
//!   search index is derived: the caller rebuilds it from the restored store.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError, migrations};

/// The manifest's own format, raised if its fields ever change meaning.
pub const MANIFEST_FORMAT: u32 = 1;

/// What a backup holds, written beside the copy as `<copy>.manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The Signpost that made it (`CARGO_PKG_VERSION`).
    pub signpost_version: String,
    /// The store's schema version (SQLite `user_version`).
    pub schema_version: i64,
    /// When the copy was taken (UTC, RFC 3339).
    pub created_at: String,
    /// The copy's file name (in the manifest's folder).
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// Rows in every table of the copy.
    pub counts: BTreeMap<String, i64>,
}

impl Manifest {
    pub fn count(&self, table: &str) -> i64 {
        self.counts.get(table).copied().unwrap_or(0)
    }
}

/// Where the manifest of the copy at `db` lives.
pub fn manifest_path(db: &Path) -> PathBuf {
    with_suffix(db, ".manifest.json")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn file_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |cause| StoreError::File {
        path: path.to_path_buf(),
        cause,
    }
}

impl Store {
    /// Takes a consistent copy of the store at `dest` (which must not exist yet) and
    /// writes its manifest beside it. Safe while the server runs and writes.
    pub fn backup(&self, dest: &Path) -> Result<Manifest> {
        if dest.exists() {
            return Err(StoreError::File {
                path: dest.to_path_buf(),
                cause: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already exists; choose a new name",
                ),
            });
        }
        let partial = with_suffix(dest, ".partial");
        let made = copy_to(&self.path, &partial, dest);
        if made.is_err() {
            // A half-written copy (a full disk) is removed, so it is never mistaken
            // for a backup.
            let _ = std::fs::remove_file(&partial);
            let _ = std::fs::remove_file(with_suffix(&partial, "-journal"));
            let _ = std::fs::remove_file(dest);
        }
        made
    }
}

fn copy_to(source: &Path, partial: &Path, dest: &Path) -> Result<Manifest> {
    let _ = std::fs::remove_file(partial);
    // Read-write (never written) but never created: a read-only connection cannot
    // open a WAL database whose log files are not there.
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(10))?;
    let mut dst = Connection::open(partial)?;
    {
        let backup = Backup::new(&src, &mut dst)?;
        // All pages in one step: one read snapshot of the store.
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    drop(src);
    // The copy is one self-contained file, not a WAL database.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Damaged {
            path: partial.to_path_buf(),
            why: format!("the copy failed SQLite's check: {check}"),
        });
    }
    let schema_version = migrations::version(&dst)?;
    let counts = counts(&dst)?;
    dst.close().map_err(|(_, e)| e)?;
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(file_err(partial))?;
    let (bytes, sha256) = checksum(partial)?;
    std::fs::rename(partial, dest).map_err(file_err(dest))?;
    sync_parent(dest)?;
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        signpost_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        file: dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        sha256,
        counts,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
    write_atomically(&manifest_path(dest), &json)?;
    Ok(manifest)
}

/// Writes `bytes` to `path` through a file beside it: written, fsynced, renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = with_suffix(path, ".partial");
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::File {
            path: path.to_path_buf(),
            cause: e,
        });
    }
    std::fs::rename(&tmp, path).map_err(file_err(path))?;
    sync_parent(path)
}

/// Makes a rename durable: fsync the folder that holds `path`.
fn sync_parent(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(file_err(dir))
}

/// Rows in every table (SQLite's own tables aside).
pub fn counts(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = BTreeMap::new();
    for t in tables {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))?;
        out.insert(t, n);
    }
    Ok(out)
}

/// Size and SHA-256 (hex) of a file.
pub fn checksum(path: &Path) -> Result<(u64, String)> {
    let mut f = File::open(path).map_err(file_err(path))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(file_err(path))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    let digest = hash.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    Ok((bytes, hex))
}

/// `1.2.3` as numbers, for "is this backup from a newer Signpost?".
fn version_parts(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split(['.', '-', '+']).map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// The backup at `src` (its copy, or its manifest), checked through and through
/// before anything is touched: returns its manifest and the copy's path, or a refusal.
pub fn verify(src: &Path) -> Result<(Manifest, PathBuf)> {
    let (db, mpath) = match src.to_str().and_then(|s| s.strip_suffix(".manifest.json")) {
        Some(db) => (PathBuf::from(db), src.to_path_buf()),
        None => (src.to_path_buf(), manifest_path(src)),
    };
    let not_ours = |why: String| StoreError::NotABackup {
        path: src.to_path_buf(),
        why,
    };
    let damaged = |why: String| StoreError::Damaged {
        path: db.clone(),
        why,
    };
    if !db.is_file() {
        return Err(not_ours(format!("there is no file {}", db.display())));
    }
    let text = std::fs::read(&mpath).map_err(|e| {
        not_ours(format!(
            "its manifest {} cannot be read ({e}); a backup is only complete once its manifest is written",
            mpath.display()
        ))
    })?;
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|e| not_ours(format!("its manifest is not valid: {e}")))?;
    let ours = env!("CARGO_PKG_VERSION");
    let known = migrations::known();
    let newer_build = match (version_parts(&m.signpost_version), version_parts(ours)) {
        (Some(theirs), Some(mine)) => theirs > mine,
        _ => true,
    };
    if m.format > MANIFEST_FORMAT || newer_build || m.schema_version > known {
        return Err(StoreError::BackupTooNew {
            path: src.to_path_buf(),
            version: m.signpost_version,
            schema: m.schema_version,
            ours: ours.to_string(),
            known,
        });
    }
    let (bytes, sha256) = checksum(&db)?;
    if bytes != m.bytes || sha256 != m.sha256 {
        return Err(damaged(format!(
            "its checksum does not match the manifest ({bytes} bytes, SHA-256 {sha256}; \
             the manifest says {} bytes, {}): it was changed or damaged after the backup",
            m.bytes, m.sha256
        )));
    }
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| damaged(format!("SQLite cannot open it: {e}")))?;
    let schema = migrations::version(&conn).map_err(|e| damaged(e.to_string()))?;
    if schema != m.schema_version {
        return Err(damaged(format!(
            "it has schema version {schema}, the manifest says {}",
            m.schema_version
        )));
    }
    if schema > known {
        return Err(StoreError::BackupTooNew {
            path: src.to_path_buf(),
            version: m.signpost_version,
            schema,
            ours: ours.to_string(),
            known,
        });
    }
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| damaged(format!("SQLite's integrity check failed: {e}")))?;
    if check != "ok" {
        return Err(damaged(format!("SQLite's integrity check failed: {check}")));
    }
    let found = counts(&conn).map_err(|e| damaged(e.to_string()))?;
    if found != m.counts {
        return Err(damaged(format!(
            "its tables do not hold what the manifest says (found {found:?})"
        )));
    }
    Ok((m, db))
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the store that was replaced is kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// Verifies the backup at `src` and makes it the store in `data_dir`. Nothing in the
/// data directory changes unless the backup passes [`verify`]. The caller must make
/// sure no server is using `data_dir`, and rebuild the index afterwards.
pub fn restore(src: &Path, data_dir: &Path) -> Result<Restored> {
    let (manifest, db) = verify(src)?;
    std::fs::create_dir_all(data_dir).map_err(|cause| StoreError::Io {
        path: data_dir.to_path_buf(),
        cause,
    })?;
    let target = data_dir.join("signpost.db");
    let incoming = with_suffix(&target, ".restoring");
    let copied = (|| {
        std::fs::copy(&db, &incoming).map_err(file_err(&incoming))?;
        File::open(&incoming)
            .and_then(|f| f.sync_all())
            .map_err(file_err(&incoming))?;
        let (bytes, sha) = checksum(&incoming)?;
        if bytes != manifest.bytes || sha != manifest.sha256 {
            return Err(StoreError::Damaged {
                path: incoming.clone(),
                why: "the copy in the data directory does not match the backup".into(),
            });
        }
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&incoming);
        return Err(e);
    }
    let kept = if target.exists() {
        Some(set_aside(&target)?)
    } else {
        None
    };
    std::fs::rename(&incoming, &target).map_err(file_err(&target))?;
    sync_parent(&target)?;
    Ok(Restored { manifest, kept })
}

/// Keeps the store about to be replaced as `signpost.db.before-restore-<time>`: its
/// write-ahead log is checkpointed into it first, so the kept file is whole and no old
/// log is left to be applied to the restored store. Returns where it is kept.
fn set_aside(target: &Path) -> Result<PathBuf> {
    if let Ok(conn) = Connection::open(target) {
        let _ = conn.busy_timeout(Duration::from_secs(10));
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = conn.close();
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = with_suffix(target, &format!(".before-restore-{stamp}"));
    std::fs::copy(target, &kept).map_err(file_err(&kept))?;
    // A log that could not be checkpointed (a damaged store) goes with the copy.
    for ext in ["-wal", "-shm"] {
        let side = with_suffix(target, ext);
        if side.exists() {
            let moved = with_suffix(&kept, ext);
            std::fs::rename(&side, &moved).map_err(file_err(&side))?;
        }
    }
    File::open(&kept)
        .and_then(|f| f.sync_all())
        .map_err(file_err(&kept))?;
    Ok(kept)
}

/// The name of a scheduled backup taken now: `signpost-<UTC time>.db`.
pub fn scheduled_name(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("signpost-{}.db", now.format("%Y%m%dT%H%M%SZ"))
}

/// Deletes all but the newest `keep` scheduled backups (and their manifests) in `dir`.
/// Returns the copies deleted.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(file_err(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("signpost-") && n.ends_with(".db"))
        })
        .collect();
    // The names hold the time, so they sort oldest first.
    found.sort();
    let extra = found.len().saturating_sub(keep);
    let old: Vec<PathBuf> = found.into_iter().take(extra).collect();
    for p in &old {
        let m = manifest_path(p);
        match std::fs::remove_file(&m) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(file_err(&m)(e)),
            _ => {}
        }
        std::fs::remove_file(p).map_err(file_err(p))?;
    }
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(version_parts("0.10.0") > version_parts("0.9.9"));
        assert_eq!(version_parts("1.2.3-rc1"), Some((1, 2, 3)));
        assert_eq!(version_parts("one"), None);
    }

    #[test]
    fn prune_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for t in ["20260101T000000Z", "20260102T000000Z", "20260103T000000Z"] {
            let db = dir.path().join(format!("signpost-{t}.db"));
            std::fs::write(&db, b"x").unwrap();
            std::fs::write(manifest_path(&db), b"{}").unwrap();
        }
        std::fs::write(dir.path().join("mine.db"), b"x").unwrap();
        let gone = prune(dir.path(), 2).unwrap();
        assert_eq!(gone.len(), 1);
        assert!(gone[0].ends_with("signpost-20260101T000000Z.db"));
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "mine.db",
                "signpost-20260102T000000Z.db",
                "signpost-20260102T000000Z.db.manifest.json",
                "signpost-20260103T000000Z.db",
                "signpost-20260103T000000Z.db.manifest.json"
            ]
        );
    }
}
