//! Backup and restore through the real binary: a backup taken while `serve` is taking
//! submissions and moderators are approving them, the data directory destroyed and
//! restored, every row of every table compared; damaged, altered, incomplete and newer
//! backups refused with exit status 2 and nothing changed; scheduled backups.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use signpost::store::backup::{Manifest, checksum, manifest_path};

use crate::common::server::{
    Session, add_form, client, form_token, post_form, reference, sign_in, start,
};
use crate::common::{enc, shared, signpost_cmd, succeeded};

/// Every row of every table, in primary-key order.
type Dump = BTreeMap<String, Vec<Vec<Value>>>;

fn dump(db: &Path) -> Dump {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Dump::new();
    for t in tables {
        let mut st = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
            .unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.insert(t, rows);
    }
    out
}

fn rows(d: &Dump, table: &str) -> usize {
    d.get(table).map_or(0, Vec::len)
}

/// A data directory with the Trafford sports clubs imported and a moderator.
fn data_with_listings(data: &Path) {
    let file = shared("community/trafford-datalab/sports_clubs/sports_clubs.csv");
    let map = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("content/mappings/trafford-sports-clubs.toml");
    succeeded(
        &signpost_cmd(data)
            .arg("import")
            .arg(&file)
            .arg("--mapping")
            .arg(&map)
            .output()
            .unwrap(),
    );
    succeeded(
        &signpost_cmd(data)
            .args(["add-moderator", "sam"])
            .env("SIGNPOST_MODERATOR_PASSWORD", "a long backup-test password")
            .output()
            .unwrap(),
    );
}

fn signpost(data: &Path, args: &[&str]) -> Output {
    signpost_cmd(data).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn approve(client: &reqwest::Client, base: &str, session: &Session, id: usize) {
    let url = format!("{base}/moderate/submissions/{id}/approve");
    let body = format!("csrf={}", enc(&session.csrf));
    let resp = post_form(client, &url, body, Some(&session.cookie)).await;
    assert!(
        resp.status().is_redirection(),
        "approve {id}: {}",
        resp.status()
    );
}

/// The restore drill: back up while groups submit and a moderator approves, stop,
/// destroy the data directory, restore, and find every row identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_with_listings(&data);
    let mut server = start(&data, &[]);
    let base = server.base.clone();
    let client = client();
    let ft = form_token(&client, &format!("{base}/add")).await;
    let confirmed = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..2 {
        let (client, base, ft, confirmed, stop) = (
            client.clone(),
            base.clone(),
            ft.clone(),
            confirmed.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            for n in 0..400 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let form = add_form(&format!("Backup walk {w}-{n}"), &ft);
                let resp = post_form(&client, &format!("{base}/add/send"), form, None).await;
                let body = resp.text().await.unwrap();
                assert!(reference(&body).is_some(), "not confirmed: {body}");
                *confirmed.lock().unwrap() += 1;
            }
        }));
    }
    let wait_for = |n: usize| {
        let confirmed = confirmed.clone();
        async move {
            let started = Instant::now();
            while *confirmed.lock().unwrap() < n {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "only {confirmed:?}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(10).await;
    let session = sign_in(&client, &base, "sam", "a long backup-test password").await;
    for id in 1..=3 {
        approve(&client, &base, &session, id).await;
    }

    // The backup, with submissions still arriving.
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let under_load = backups.join("under-load.db");
    let out =
        tokio::task::block_in_place(|| signpost(&data, &["backup", under_load.to_str().unwrap()]));
    let text = succeeded(&out);
    assert!(
        text.contains("backed up") && text.contains("submissions"),
        "{text}"
    );
    let during = *confirmed.lock().unwrap();

    // Restore refuses while the server runs.
    let out =
        tokio::task::block_in_place(|| signpost(&data, &["restore", under_load.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("running Signpost server"),
        "{}",
        stderr(&out)
    );

    // More writes after the backup, then a clean stop.
    wait_for(during + 10).await;
    for id in 4..=5 {
        approve(&client, &base, &session, id).await;
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    server.signal("TERM");
    let status = tokio::task::block_in_place(|| server.exited_within(Duration::from_secs(30)));
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "{}", server.log());
    let live = dump(&data.join("signpost.db"));
    let snapshot = dump(&under_load);
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(manifest_path(&under_load)).unwrap()).unwrap();
    for (table, n) in &manifest.counts {
        assert_eq!(rows(&snapshot, table) as i64, *n, "{table}");
    }
    assert!(rows(&snapshot, "submissions") >= 10);
    assert!(rows(&snapshot, "submissions") < rows(&live, "submissions"));
    assert!(
        rows(&snapshot, "audit_log") >= 4,
        "moderator added, 3 approvals"
    );
    // The audit log only grows: what the backup holds is the live log's beginning,
    // row for row (a torn copy would differ).
    assert_eq!(
        snapshot["audit_log"][..],
        live["audit_log"][..rows(&snapshot, "audit_log")]
    );

    // A clean backup of the stopped store, then destroy the data directory.
    let after = backups.join("after.db");
    succeeded(&tokio::task::block_in_place(|| {
        signpost(&data, &["backup", after.to_str().unwrap()])
    }));
    std::fs::remove_dir_all(&data).unwrap();

    // Restore the backup taken under load: every row as it was then; search works.
    let out =
        tokio::task::block_in_place(|| signpost(&data, &["restore", under_load.to_str().unwrap()]));
    let text = succeeded(&out);
    assert!(text.contains("rebuilt the index"), "{text}");
    assert_eq!(dump(&data.join("signpost.db")), snapshot);
    let out = signpost(&data, &["search", "football", "--json"]);
    assert!(succeeded(&out).contains("\"hits\""));

    // Restore the later backup over it (by its manifest): identical to the live store
    // before it was destroyed; the store it replaced is kept.
    let out = tokio::task::block_in_place(|| {
        signpost(&data, &["restore", manifest_path(&after).to_str().unwrap()])
    });
    let text = succeeded(&out);
    assert!(text.contains("is kept as"), "{text}");
    assert_eq!(dump(&data.join("signpost.db")), live);
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("signpost.db.before-restore-") && !n.ends_with("-wal"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(dump(&data.join(&kept[0])), snapshot);
}

/// Everything in the data directory, byte for byte.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// A copy of a backup and its manifest under a new name.
fn copy_backup(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    std::fs::copy(manifest_path(from), manifest_path(to)).unwrap();
}

/// Rewrites a backup's manifest after `change`, with the copy's true size and checksum,
/// so that only what `change` did can make restore refuse it.
fn remanifest(db: &Path, change: impl FnOnce(&mut Manifest)) {
    let mut m: Manifest =
        serde_json::from_slice(&std::fs::read(manifest_path(db)).unwrap()).unwrap();
    let (bytes, sha) = checksum(db).unwrap();
    m.bytes = bytes;
    m.sha256 = sha;
    change(&mut m);
    std::fs::write(manifest_path(db), serde_json::to_vec(&m).unwrap()).unwrap();
}

/// Restore of `backup` must be refused (status 2) with `why`, touching nothing.
fn refused(data: &Path, backup: &Path, why: &str) {
    let before = files(data);
    let out = signpost(data, &["restore", backup.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{why}: {err}");
    assert!(
        err.contains(why) && err.contains("Nothing was changed"),
        "{why}: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(files(data), before, "{why}: the data directory changed");
}

#[test]
fn damaged_altered_incomplete_or_newer_backups_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_with_listings(&data);
    let good = dir.path().join("good.db");
    succeeded(&signpost(&data, &["backup", good.to_str().unwrap()]));
    // Backing up over an existing file is refused, not overwritten.
    let out = signpost(&data, &["backup", good.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("already exists"));

    // One byte changed.
    let altered = dir.path().join("altered.db");
    copy_backup(&good, &altered);
    let mut bytes = std::fs::read(&altered).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&altered, bytes).unwrap();
    refused(&data, &altered, "checksum does not match");

    // Cut short, with a manifest that matches the damage: SQLite's checks find it.
    let cut = dir.path().join("cut.db");
    copy_backup(&good, &cut);
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    remanifest(&cut, |_| {});
    refused(&data, &cut, "is damaged");

    // No manifest: an incomplete backup, or not one at all.
    let bare = dir.path().join("bare.db");
    std::fs::copy(&good, &bare).unwrap();
    refused(&data, &bare, "is not a Signpost backup");
    refused(
        &data,
        &dir.path().join("missing.db"),
        "is not a Signpost backup",
    );

    // A store from a newer schema, its manifest saying so honestly.
    let newer = dir.path().join("newer.db");
    copy_backup(&good, &newer);
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    remanifest(&newer, |m| m.schema_version = 99);
    refused(&data, &newer, "made by a newer Signpost");
    // ... and one whose manifest hides it.
    let good_manifest: Manifest =
        serde_json::from_slice(&std::fs::read(manifest_path(&good)).unwrap()).unwrap();
    remanifest(&newer, |m| m.schema_version = good_manifest.schema_version);
    refused(&data, &newer, "schema version 99");
    // A newer Signpost, same schema.
    let later = dir.path().join("later.db");
    copy_backup(&good, &later);
    remanifest(&later, |m| m.signpost_version = "99.0.0".into());
    refused(&data, &later, "made by a newer Signpost (version 99.0.0");

    // The good one still restores.
    let text = succeeded(&signpost(&data, &["restore", good.to_str().unwrap()]));
    assert!(text.contains("restored 140 listings"), "{text}");
}

/// `serve --backup-every` backs up when it starts and keeps the newest `--backup-keep`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_backs_up_on_a_schedule_and_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    data_with_listings(&data);
    let backups = dir.path().join("scheduled");
    std::fs::create_dir(&backups).unwrap();
    let old = ["20200101T000000Z", "20200102T000000Z", "20200103T000000Z"];
    for t in old {
        let p = backups.join(format!("signpost-{t}.db"));
        std::fs::write(&p, b"old").unwrap();
        std::fs::write(manifest_path(&p), b"{}").unwrap();
    }
    let server = start(
        &data,
        &[
            "--backup-every",
            "60",
            "--backup-keep",
            "2",
            "--backup-dir",
            backups.to_str().unwrap(),
        ],
    );
    let names = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    let started = Instant::now();
    while names().len() != 4 || names().iter().any(|n| n.contains("partial")) {
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", names());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    let names = names();
    assert_eq!(names[0], "signpost-20200103T000000Z.db", "{names:?}");
    assert!(!names[2].starts_with("signpost-2020"), "{names:?}");
    let fresh = dir.path().join("fresh");
    let out = signpost(
        &fresh,
        &["restore", backups.join(&names[2]).to_str().unwrap()],
    );
    assert!(succeeded(&out).contains("restored 140 listings"));
}
