//! Graceful shutdown of the real `signpost serve`: SIGTERM lets the request in flight
//! finish and exits 0 with the store whole; a harvest stopped mid-feed resumes with
//! nothing lost or doubled; a second signal stops at once without damage.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::fake_http::{newham_items, paged, rpde_page};
use crate::common::server::{Server, add_form, client, form_token, integrity, reference, start};
use crate::common::signpost_cmd;

/// A form POST whose body is only half sent: a request in flight.
async fn half_sent(server: &Server, body: &str) -> tokio::net::TcpStream {
    let addr = server.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /add/send HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn
}

fn count(data: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(data.join("signpost.db")).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]);
    let client = client();
    let ft = form_token(&client, &format!("{}/add", server.base)).await;
    let body = add_form("Walk sent during a shutdown", &ft);
    let mut conn = half_sent(&server, &body).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // No new connections are taken...
    let refused = client.get(format!("{}/healthz", server.base)).send().await;
    assert!(refused.is_err(), "a new request was served while stopping");
    // ... but the request in flight is finished and confirmed.
    conn.write_all(&body.as_bytes()[body.len() / 2..])
        .await
        .unwrap();
    let mut resp = String::new();
    conn.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(reference(&resp).is_some(), "{resp}");

    let status = tokio::task::block_in_place(|| server.exited_within(Duration::from_secs(15)));
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "{}", server.log());
    assert!(
        server.logs_within("stopped", Duration::from_secs(5)),
        "{}",
        server.log()
    );
    // Closed cleanly: the log checkpointed into the store, which is whole.
    let wal = dir.path().join("signpost.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0,
        "the write-ahead log was not checkpointed"
    );
    assert_eq!(integrity(dir.path()), "ok");
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM submissions"), 1);
}

/// An RPDE feed that takes its time over every page.
#[derive(Clone)]
struct SlowFeed {
    pages: Arc<Vec<Vec<Value>>>,
    host: String,
}

async fn slow_page(
    State(feed): State<SlowFeed>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> axum::Json<Value> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    let n = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    axum::Json(rpde_page(&feed.host, "slow", &feed.pages, n))
}

/// Serves the real Newham items, 10 a page, slowly; returns the feed's first page.
async fn slow_feed() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    // The pages link to each other by this server's own address.
    let feed = SlowFeed {
        pages: Arc::new(paged(newham_items(), 10)),
        host: host.clone(),
    };
    let app = Router::new()
        .route("/feeds/slow", get(slow_page))
        .with_state(feed);
    tokio::spawn(axum::serve(listener, app).into_future());
    format!("http://{host}/feeds/slow")
}

fn sources_file(dir: &Path, url: &str) -> std::path::PathBuf {
    let p = dir.join("sources.toml");
    std::fs::write(
        &p,
        format!(
            "[[source]]\nname = \"slow\"\nkind = \"openactive\"\nurl = \"{url}\"\ndelay_ms = 0\n"
        ),
    )
    .unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_harvest_stopped_by_sigterm_resumes_with_nothing_lost_or_doubled() {
    let url = slow_feed().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sources = sources_file(dir.path(), &url);
    let mut server = start(
        &data,
        &[
            "--harvest-every",
            "60",
            "--sources",
            sources.to_str().unwrap(),
        ],
    );
    // Stop once a few pages are in.
    let started = Instant::now();
    loop {
        let pages = rusqlite::Connection::open(data.join("signpost.db"))
            .unwrap()
            .query_row(
                "SELECT COALESCE(SUM(pages), 0) FROM feed_cursors",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_or(0);
        if pages >= 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.signal("TERM");
    let status = tokio::task::block_in_place(|| server.exited_within(Duration::from_secs(15)));
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "{}", server.log());
    assert!(
        server.logs_within("harvest stopped", Duration::from_secs(5)),
        "{}",
        server.log()
    );
    assert_eq!(integrity(&data), "ok");
    let partial = count(&data, "SELECT COUNT(*) FROM feed_items");
    let total = newham_items().len() as i64;
    assert!(partial > 0 && partial < total, "{partial} of {total}");

    // The next harvest carries on from the last committed page, and ends with exactly
    // what one uninterrupted harvest gives.
    let crawl = |data: &Path| {
        let out = signpost_cmd(data)
            .args(["crawl", "--sources", sources.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    tokio::task::block_in_place(|| crawl(&data));
    let whole = dir.path().join("whole");
    tokio::task::block_in_place(|| crawl(&whole));
    for sql in [
        "SELECT COUNT(*) FROM feed_items",
        "SELECT COUNT(*) FROM listings",
        "SELECT COUNT(*) FROM listings WHERE status = 'published'",
    ] {
        assert_eq!(count(&data, sql), count(&whole, sql), "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_without_damage() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]);
    let client = client();
    let ft = form_token(&client, &format!("{}/add", server.base)).await;
    // A request that never finishes keeps the graceful stop waiting.
    let _stuck = half_sent(&server, &add_form("Never finished", &ft)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("INT");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "waits for the request"
    );
    let asked = Instant::now();
    server.signal("TERM");
    let status = tokio::task::block_in_place(|| server.exited_within(Duration::from_secs(5)))
        .expect("the second signal stops it at once");
    assert!(asked.elapsed() < Duration::from_secs(3));
    assert!(!status.success());
    assert!(
        server.logs_within("stopping at once", Duration::from_secs(5)),
        "{}",
        server.log()
    );
    assert_eq!(integrity(dir.path()), "ok");
}
