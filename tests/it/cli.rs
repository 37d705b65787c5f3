//! The `signpost` binary end to end: serve over real HTTP, import, search, reindex,
//! import-postcodes, and how they behave together.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::shared;
use serde_json::Value;

fn signpost(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_signpost"));
    c.env("SIGNPOST_DATA_DIR", data_dir)
        .env("SIGNPOST_NOW", "2026-11-24T09:00")
        .env("RUST_LOG", "signpost=info");
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    if !out.status.success() {
        eprintln!("stdout: {}", String::from_utf8_lossy(&out.stdout));
        eprintln!("stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` and waits until it answers; returns it and how long that took.
async fn start(data_dir: &Path) -> (Server, Duration) {
    let port = free_port();
    let started = Instant::now();
    let child = signpost(data_dir)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            return (server, started.elapsed());
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn get_json(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn serve_imports_demo_then_restarts_fast() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("index");
    let (server, first) = start(&data).await;
    let (status, v) = get_json(&format!(
        "{}/api/search?q=walking+football&near=M33",
        server.base
    ))
    .await;
    assert_eq!(status, 200);
    assert!(v["total"].as_u64().unwrap() > 0);
    let page = reqwest::get(format!("{}/search?q=choir", server.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("results"));
    drop(server);
    assert!(data.join("signpost.db").exists() && data.join("tantivy").is_dir());

    let (server, second) = start(&data).await;
    let (_, v2) = get_json(&format!(
        "{}/api/search?q=walking+football&near=M33",
        server.base
    ))
    .await;
    assert_eq!(v["total"], v2["total"], "second start reuses the same data");
    eprintln!("first start {first:?}, second start {second:?}");
    assert!(
        second < Duration::from_secs(3),
        "second start took {second:?}"
    );
}

#[tokio::test]
async fn import_reports_bad_items_and_the_rest_is_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("groups.json");
    std::fs::write(
        &file,
        serde_json::json!([
            {
                "provenance": {"source_id": "g1"},
                "title": "Partington Pebble Painting",
                "summary": "Paint pebbles and hide them for others to find.",
                "types": ["arts-crafts"],
                "modes": ["in-person"],
                "venue": {"name": "Library", "address": "Central Road", "postcode": "m31 4ew"},
                "schedule": {"sessions": [{"repeat": "weekly", "day": "wed", "start": "13:00", "end": "14:30"}]},
                "cost": {"free": true}
            },
            {"provenance": {"source_id": "g2"}, "title": "", "types": ["no-such-type"]},
            {"provenance": {"source_id": "g3"}, "title": "Bad time", "types": ["walking"], "modes": ["online"],
             "schedule": {"sessions": [{"repeat": "weekly", "day": "mon", "start": "25:00"}]}},
            "not even an object"
        ])
        .to_string(),
    )
    .unwrap();
    let out = run(signpost(&data).args(["import", file.to_str().unwrap()]));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("read 4, new 1"), "{text}");
    assert!(text.contains("failed 3"), "{text}");
    assert!(
        text.contains("item 2 (g2)") && text.contains("no-such-type"),
        "{text}"
    );
    assert!(text.contains("item 3") && text.contains("25:00"), "{text}");
    assert!(text.contains("placed at their postcode district"), "{text}");

    let out = run(signpost(&data).args(["search", "pebble", "--near", "M31", "--json"]));
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 1);
    let hit = &v["hits"][0];
    assert_eq!(hit["title"], "Partington Pebble Painting");
    assert_eq!(hit["postcode"], "M31 4EW");
    assert_eq!(
        hit["next_session"]["text"],
        "Wednesday 25 November, 1pm to 2:30pm"
    );

    // Importing the same file again changes nothing.
    let out = run(signpost(&data).args(["import", file.to_str().unwrap()]));
    assert!(stdout(&out).contains("unchanged 1"), "{}", stdout(&out));

    // Human output and bad flags.
    let out = run(signpost(&data).args(["search", "pebble"]));
    assert!(stdout(&out).contains("Partington Pebble Painting"));
    let out = signpost(&data)
        .args(["search", "--within", "far", "--near", "M31"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("miles"));
    let out = signpost(&data)
        .args(["search", "--near", "ZZ99 9ZZ", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"][0]["param"], "near");
}

#[tokio::test]
async fn cli_import_while_serving_is_indexed_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (server, _) = start(&data).await;
    let file = dir.path().join("one.json");
    std::fs::write(
        &file,
        r#"[{"provenance":{"source_id":"x"},"title":"Zither Circle","types":["music-singing"],"modes":["online"]}]"#,
    )
    .unwrap();
    let out = run(signpost(&data).args(["import", file.to_str().unwrap()]));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("running server holds the index"),
        "{}",
        stdout(&out)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, v) = get_json(&format!("{}/api/search?q=zither", server.base)).await;
        if v["total"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "server never indexed the CLI import"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Reindex needs the writer: refused clearly while the server runs.
    let out = signpost(&data).arg("reindex").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it"));
    drop(server);
    let out = run(signpost(&data).arg("reindex"));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("rebuilt the index"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn import_postcodes_gives_exact_positions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let onspd = shared("postcodes/postcodes-io_onspd_seed_subset.csv");
    let out = run(signpost(&data).args(["import-postcodes", onspd.to_str().unwrap()]));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("Onspd"), "{text}");
    assert!(text.contains("skipped"), "{text}");

    // A loaded postcode is exact; an unloaded one in a known district falls back.
    let out = run(signpost(&data).args(["search", "--near", "AB1 0AA", "--json"]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["location"]["precision"], "postcode", "{v}");
    assert!((v["location"]["lat"].as_f64().unwrap() - 57.101474).abs() < 1e-6);
    let out = run(signpost(&data).args(["search", "--near", "M33 7XW", "--json"]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["location"]["precision"], "district");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,colour\nfoo,blue\n").unwrap();
    let out = signpost(&data)
        .args(["import-postcodes", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}
