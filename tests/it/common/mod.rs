//! Shared test harness: a real data directory with the real demo content imported
//! through the real importer, the real router, and a pinned clock; and the local HTTP
//! server ([`fake_http`]) for the tests that fetch.

pub mod fake_http;
pub mod server;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use signpost::web::{self, AppState};
use signpost::{App, SharedIndexer};
use tower::ServiceExt;

/// Tuesday 24 November 2026, 9am UK time.
pub fn now() -> chrono::NaiveDateTime {
    signpost::clock::parse_now("2026-11-24T09:00").unwrap()
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
    pub indexer: SharedIndexer,
    pub router: Router,
}

impl TestApp {
    /// A fresh data directory with the demo content imported and indexed.
    pub fn with_demo() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let app = Arc::new(App::open(dir.path()).unwrap());
        let mut indexer = app.indexer().unwrap();
        let report = app
            .ensure_demo()
            .unwrap()
            .expect("demo imports into a new dir");
        assert!(
            report.failed.is_empty(),
            "demo content has problems: {report}"
        );
        app.sync(&mut indexer).unwrap();
        let router = web::router(AppState::new(app.clone()).with_clock(Arc::new(now)));
        TestApp {
            dir,
            app,
            indexer: Arc::new(Mutex::new(indexer)),
            router,
        }
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        send(&self.router, Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// POSTs a urlencoded form.
    pub async fn post_form(&self, uri: &str, body: &str) -> (StatusCode, String) {
        let req = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = send(&self.router, req).await;
        (status, body)
    }

    pub async fn json(&self, uri: &str) -> (StatusCode, Value) {
        let (status, headers, body) = self.get(uri).await;
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{uri} did not return JSON"
        );
        (status, serde_json::from_str(&body).unwrap())
    }

    /// `GET /api/search?{qs}`, asserting success.
    pub async fn search(&self, qs: &str) -> Value {
        let (status, v) = self.json(&format!("/api/search?{qs}")).await;
        assert_eq!(status, StatusCode::OK, "search {qs}: {v}");
        v
    }

    pub fn listing(&self, id: i64) -> signpost::listing::Listing {
        self.app.store.get(id).unwrap().unwrap()
    }

    pub fn sync(&self) {
        let mut i = self.indexer.lock().unwrap();
        self.app.sync(&mut i).unwrap();
    }

    /// Imports one listing (Signpost JSON) from `source`, placed in Sale (M33) when it
    /// says nothing of where, through the real importer, and brings the index up to date.
    pub fn import_one(&self, source: &str, listing: Value) -> signpost::ingest::ImportReport {
        let record: signpost::listing::Listing = serde_json::from_value(listing).unwrap();
        let report = signpost::ingest::import(
            &self.app.store,
            self.app.taxonomy,
            vec![Ok(record)],
            &signpost::ingest::ImportOptions {
                source: source.into(),
                withdraw_missing: false,
                area: signpost::geo::area::Area::parse("M33").ok(),
            },
        )
        .unwrap();
        self.sync();
        report
    }
}

/// Sends one request through a router: the status, the headers and the body as text.
pub async fn send(
    router: &Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Ids of the hits in a search response.
pub fn ids(v: &Value) -> Vec<i64> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

pub fn titles(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

/// `../shared/data/...` as the README of that folder asks tests to use it.
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path)
}

/// Every line of every hostile-input list, once.
pub fn hostile_strings() -> &'static Vec<String> {
    static ALL: OnceLock<Vec<String>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        let lists = [
            "bad-inputs/blns/blns.txt",
            "bad-inputs/xss/patt_XSS_Polyglots.txt",
            "bad-inputs/xss/patt_xss_payloads_quick.txt",
            "bad-inputs/xss/patt_RSNAKE_XSS.txt",
            "bad-inputs/xss/patt_IntrudersXSS.txt",
            "bad-inputs/xss/patt_JHADDIX_XSS.txt",
            "bad-inputs/xss/patt_port_swigger_xss_cheatsheet_event_handlers.txt",
            "bad-inputs/sqli/patt_Auth_Bypass.txt",
            "bad-inputs/sqli/patt_Generic_Fuzz.txt",
            "bad-inputs/sqli/patt_SQLi_Polyglots.txt",
            "bad-inputs/open-redirect/patt_Open-Redirect-payloads.txt",
        ];
        for l in lists {
            let bytes = std::fs::read(shared(l)).unwrap_or_else(|e| panic!("{l}: {e}"));
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines() {
                if line.starts_with('#') && l.contains("blns") {
                    continue;
                }
                if !line.trim().is_empty() {
                    out.push(line.to_string());
                }
            }
        }
        // The postcode case lists too.
        for f in ["validation", "normalisation", "outcodes", "units"] {
            let p = shared(&format!("bad-inputs/postcodes/ideal-postcodes_{f}.json"));
            let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            for t in v["tests"].as_array().unwrap() {
                out.push(t["base"].as_str().unwrap().to_string());
            }
        }
        out.sort();
        out.dedup();
        out
    })
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A fresh, empty data directory and the app opened on it (keep the directory alive).
pub fn new_app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    (dir, app)
}

/// A JSON file from the shared real data.
pub fn shared_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(shared(path)).unwrap()).unwrap()
}

/// The listing imported from `source` as `source_id`, if there is one.
pub fn find_listing(
    app: &App,
    source: &str,
    source_id: &str,
) -> Option<signpost::listing::Listing> {
    let (id, _) = app
        .store
        .ids_for_source(source)
        .unwrap()
        .into_iter()
        .find(|(_, s)| s == source_id)?;
    app.store.get(id).unwrap()
}

/// The listing imported from `source` as `source_id`; panics when there is none.
pub fn listing(app: &App, source: &str, source_id: &str) -> signpost::listing::Listing {
    find_listing(app, source, source_id)
        .unwrap_or_else(|| panic!("no listing {source_id} from {source}"))
}

/// The `signpost` binary on `data_dir`, with the pinned clock.
pub fn signpost_cmd(data_dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_signpost"));
    c.env("SIGNPOST_DATA_DIR", data_dir)
        .env("SIGNPOST_NOW", "2026-11-24T09:00");
    c
}

/// The standard output of a command that must have succeeded (the failure message
/// carries both streams).
pub fn succeeded(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// `node tests/validators/validate.mjs …`: the published validators for what Signpost
/// publishes, with their npm packages installed from the lock file on first use. The
/// report it prints, as JSON.
pub fn validators(args: &[&str]) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/validators");
    if !dir.join("node_modules/@openactive/rpde-validator").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the validators");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    let out = std::process::Command::new("node")
        .arg("validate.mjs")
        .args(args)
        .current_dir(&dir)
        .output()
        .expect("node is needed for the validators");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
