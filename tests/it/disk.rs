//! Full disks and bad data directories, through the real binary. The full disk is a
//! small tmpfs each test mounts for itself (these tests run as root, as CI does): a
//! submission, an import and a backup on a full disk are refused with a clear message,
//! nothing is corrupted, and all works again once space is freed. A read-only or
//! missing data directory and a store from a newer Signpost each get a clear message;
//! a damaged index is rebuilt from the store.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::common::server::{add_form, client, form_token, integrity, post_form, reference, start};
use crate::common::{shared, signpost_cmd, succeeded};

/// A tmpfs of `size` mounted on a fresh temporary folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "these tests mount a small tmpfs to fill it, which needs root (CI runs as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }

    /// Fills the file system with one file until writing fails; returns the file.
    fn fill(&self) -> PathBuf {
        let p = self.path().join("filler");
        let mut f = std::fs::File::create(&p).unwrap();
        let chunk = vec![7u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        p
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failure with a clear message: non-zero status, `why` said, no panic or backtrace.
fn fails_clearly(out: &Output, why: &[&str]) {
    let err = stderr(out);
    assert!(!out.status.success(), "succeeded: {err}");
    assert!(
        why.iter().any(|w| err.contains(w)),
        "expected {why:?}: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
}

const FULL: &[&str] = &[
    "disk is full",
    "the disk is probably full",
    "No space left on device",
];

fn import(data: &Path, csv: &str, mapping: &str) -> Output {
    let map = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("content/mappings/{mapping}"));
    signpost_cmd(data)
        .arg("import")
        .arg(shared(&format!("community/trafford-datalab/{csv}")))
        .arg("--mapping")
        .arg(map)
        .output()
        .unwrap()
}

fn clubs(data: &Path) -> Output {
    import(
        data,
        "sports_clubs/sports_clubs.csv",
        "trafford-sports-clubs.toml",
    )
}

fn facilities(data: &Path) -> Output {
    import(
        data,
        "sport_facilities/sports_facilities.csv",
        "trafford-sport-facilities.toml",
    )
}

fn listings(data: &Path) -> i64 {
    let conn = rusqlite::Connection::open(data.join("signpost.db")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM listings", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_import_on_a_full_disk_fails_clearly_and_works_once_space_is_freed() {
    let disk = Tmpfs::mount("24m");
    let data = disk.path().join("data");
    succeeded(&clubs(&data));
    let before = listings(&data);
    let filler = disk.fill();
    let out = facilities(&data);
    fails_clearly(&out, FULL);

    // Space freed (even this check needs some: SQLite's shared memory is a file).
    std::fs::remove_file(filler).unwrap();
    assert_eq!(integrity(&data), "ok");
    assert_eq!(
        listings(&data),
        before,
        "a failed import leaves the store as it was"
    );
    let text = succeeded(&facilities(&data));
    assert!(text.contains("indexed"), "{text}");
    assert!(listings(&data) > before);
    assert_eq!(integrity(&data), "ok");
    let out = signpost_cmd(&data)
        .args(["search", "swimming", "--json"])
        .output()
        .unwrap();
    assert!(succeeded(&out).contains("\"hits\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_on_a_full_disk_is_refused_never_confirmed() {
    let disk = Tmpfs::mount("24m");
    let data = disk.path().join("data");
    let mut server = start(&data, &[]);
    let client = client();
    let ft = form_token(&client, &format!("{}/add", server.base)).await;
    let send = |n: usize| {
        let (client, base, ft) = (client.clone(), server.base.clone(), ft.clone());
        async move {
            let form = add_form(&format!("Full disk walk {n}"), &ft);
            let resp = post_form(&client, &format!("{base}/add/send"), form, None).await;
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let filler = disk.fill();
    // SQLite may still have room in its log; sooner or later a write needs more.
    let mut confirmed = 0;
    let mut refusal = None;
    for n in 0..2000 {
        let (status, page) = send(n).await;
        if reference(&page).is_some() {
            assert_eq!(status, 200);
            confirmed += 1;
        } else {
            refusal = Some((status, page));
            break;
        }
    }
    let (status, page) = refusal.expect("a full disk refuses a submission");
    assert_eq!(status, 503, "{page}");
    assert!(
        page.contains("out of storage space")
            && page.contains("nothing from this request was saved"),
        "{page}"
    );
    assert!(
        server.logs_within("disk holding the store is full", Duration::from_secs(5)),
        "{}",
        server.log()
    );
    // Reading still works.
    let home = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);

    std::fs::remove_file(filler).unwrap();
    let (status, page) = send(9999).await;
    assert_eq!(status, 200, "{page}");
    assert!(reference(&page).is_some());
    confirmed += 1;
    server.signal("TERM");
    let exited = tokio::task::block_in_place(|| server.exited_within(Duration::from_secs(15)));
    assert_eq!(exited.map(|s| s.code()), Some(Some(0)), "{}", server.log());
    assert_eq!(integrity(&data), "ok");
    let conn = rusqlite::Connection::open(data.join("signpost.db")).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        stored, confirmed,
        "exactly the confirmed submissions are stored"
    );
}

#[test]
fn a_backup_to_a_full_disk_fails_clearly_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    succeeded(&facilities(&data));
    let disk = Tmpfs::mount("256k");
    let dest = disk.path().join("b.db");
    let out = signpost_cmd(&data)
        .arg("backup")
        .arg(&dest)
        .output()
        .unwrap();
    fails_clearly(&out, FULL);
    let left: Vec<_> = std::fs::read_dir(disk.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(integrity(&data), "ok");

    disk.remount("size=64m");
    succeeded(
        &signpost_cmd(&data)
            .arg("backup")
            .arg(&dest)
            .output()
            .unwrap(),
    );
    let fresh = dir.path().join("fresh");
    succeeded(
        &signpost_cmd(&fresh)
            .arg("restore")
            .arg(&dest)
            .output()
            .unwrap(),
    );
    assert_eq!(listings(&fresh), listings(&data));
}

#[test]
fn a_read_only_data_directory_gets_a_clear_message() {
    let disk = Tmpfs::mount("24m");
    let data = disk.path().join("data");
    succeeded(&clubs(&data));
    disk.remount("ro");
    let serve = signpost_cmd(&data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    fails_clearly(&serve, &["cannot write to the data directory"]);
    fails_clearly(&facilities(&data), &["cannot write to the data directory"]);
    disk.remount("rw");
    assert_eq!(integrity(&data), "ok");
    succeeded(&facilities(&data));
}

#[test]
fn a_missing_data_directory_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    // A data directory that cannot be made (its parent is a file).
    let out = signpost_cmd(&file.join("data"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    fails_clearly(&out, &["could not create the data directory"]);
    // Backing up a data directory that is not there says so, and makes none.
    let missing = dir.path().join("nowhere");
    let out = signpost_cmd(&missing)
        .arg("backup")
        .arg(dir.path().join("b.db"))
        .output()
        .unwrap();
    fails_clearly(&out, &["there is no Signpost store at"]);
    assert!(!missing.exists());
}

#[test]
fn a_store_from_a_newer_signpost_is_left_alone_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    succeeded(&clubs(&data));
    let conn = rusqlite::Connection::open(data.join("signpost.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let before = std::fs::read(data.join("signpost.db")).unwrap();
    for args in [
        vec!["serve", "--addr", "127.0.0.1:0"],
        vec!["search", "football"],
    ] {
        let out = signpost_cmd(&data).args(&args).output().unwrap();
        fails_clearly(&out, &["written by a newer Signpost (schema 99"]);
    }
    fails_clearly(
        &facilities(&data),
        &["written by a newer Signpost (schema 99"],
    );
    assert_eq!(std::fs::read(data.join("signpost.db")).unwrap(), before);
}

/// Cuts every file in the index folder whose name ends with one of `ends` to half.
fn truncate_index(data: &Path, ends: &[&str]) -> usize {
    let mut cut = 0;
    for e in std::fs::read_dir(data.join("tantivy")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if ends.iter().any(|x| name.ends_with(x)) {
            let len = std::fs::metadata(&p).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
            cut += 1;
        }
    }
    cut
}

#[test]
fn a_truncated_index_is_rebuilt_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    succeeded(&clubs(&data));
    let search = || {
        signpost_cmd(&data)
            .args(["search", "football", "--json"])
            .output()
            .unwrap()
    };
    let hits = succeeded(&search());
    for ends in [&["meta.json"][..], &[".idx", ".store", ".term"][..]] {
        assert!(truncate_index(&data, ends) > 0, "{ends:?}");
        let out = search();
        assert_eq!(succeeded(&out), hits, "{ends:?}");
        assert!(
            stderr(&out).contains("rebuilt from the store"),
            "{ends:?}: {}",
            stderr(&out)
        );
    }
}
