//! Soak (issue 13, part 5): the real `signpost serve` binary under HTTP load while it
//! harvests a local RPDE feed that keeps changing, groups send listings and a
//! moderator (made with `signpost add-moderator`) approves them. At the end: no 5xx,
//! every confirmed submission stored, approved and findable, search agreeing with the
//! store, and the server's memory (RSS) and open file descriptors flat.
//!
//! CI runs it for 25 seconds. The long run is the same test with a duration:
//!
//! ```sh
//! SIGNPOST_SOAK_SECONDS=600 cargo test --test it soak:: -- --nocapture
//! ```
//!
//! which prints the figures (requests by kind, statuses, harvest rounds, RSS and file
//! descriptors at start, end and their maximum).

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};
use signpost::store::Store;

use crate::cli::{Server, free_port};
use crate::common::fake_http::{self, newham_items, paged, rpde_page};
use crate::common::{enc, signpost_cmd, succeeded};

const PASSWORD: &str = "soak test moderator password";

/// The changing feed: the real Newham page, then one more update every half second
/// (a session renamed "… round N"), and now and then a delete.
#[derive(Default)]
struct Feed {
    items: Vec<Value>,
    rounds: u64,
    requests: u64,
}

type SharedFeed = Arc<Mutex<Feed>>;

async fn feed_page(
    State(feed): State<SharedFeed>,
    Path(name): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> axum::Json<Value> {
    let n: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let host = headers["host"].to_str().unwrap().to_string();
    let mut f = feed.lock().unwrap();
    f.requests += 1;
    axum::Json(rpde_page(&host, &name, &paged(f.items.clone(), 50), n))
}

/// Every half second: the next session gets a new name and a later `modified`; every
/// tenth round, a session is deleted.
fn change_feed(feed: &SharedFeed, stop: &AtomicBool) {
    let base = newham_items();
    let updated: Vec<Value> = base
        .iter()
        .filter(|i| i["state"] == "updated")
        .cloned()
        .collect();
    let mut modified = base
        .iter()
        .filter_map(|i| i["modified"].as_i64())
        .max()
        .unwrap();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(500));
        let mut f = feed.lock().unwrap();
        f.rounds += 1;
        modified += 1;
        let i = (f.rounds as usize) % updated.len();
        let mut item = updated[i].clone();
        item["modified"] = json!(modified);
        if f.rounds.is_multiple_of(10) {
            item = json!({ "id": item["id"], "kind": item["kind"], "state": "deleted", "modified": modified });
        } else {
            item["data"]["name"] = json!(format!("Session {i} round {}", f.rounds));
        }
        f.items.push(item);
    }
}

/// Counts of what the clients saw.
#[derive(Default)]
struct Tally {
    by_kind: Mutex<BTreeMap<&'static str, u64>>,
    statuses: Mutex<BTreeMap<u16, u64>>,
    errors: Mutex<Vec<String>>,
    transport_errors: AtomicU64,
}

impl Tally {
    fn record(&self, kind: &'static str, url: &str, status: u16) {
        *self.by_kind.lock().unwrap().entry(kind).or_default() += 1;
        *self.statuses.lock().unwrap().entry(status).or_default() += 1;
        if status >= 500 {
            self.errors
                .lock()
                .unwrap()
                .push(format!("{status} from {url}"));
        }
    }
}

/// One reading of a process's memory (kB, from /proc) and open file descriptors.
#[derive(Debug, Clone, Copy)]
struct Resources {
    /// Resident set: anonymous (heap) plus file pages plus shared memory.
    rss: u64,
    /// Heap and other anonymous memory: what a leak would grow.
    anon: u64,
    /// Pages of mapped files (the search index's segments), which the kernel can drop
    /// and read again.
    file: u64,
    fds: usize,
}

fn resources(pid: u32) -> Option<Resources> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Resources {
        rss: kb("VmRSS:")?,
        anon: kb("RssAnon:")?,
        file: kb("RssFile:")?,
        fds: std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count(),
    })
}

/// A search API answer, for the checks at the end.
async fn search_json(c: &reqwest::Client, url: String) -> Value {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

/// The value of a hidden input in a page.
fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_string())
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    Some(&s[i..i + s[i..].find(b)?])
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn fetch(
    c: &reqwest::Client,
    tally: &Tally,
    kind: &'static str,
    url: &str,
) -> Option<String> {
    match c.get(url).send().await {
        Ok(r) => {
            tally.record(kind, url, r.status().as_u16());
            r.text().await.ok()
        }
        Err(_) => {
            tally.transport_errors.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// A searcher: pages and API calls in a loop; every hit it sees must be a listing the
/// API then serves.
async fn searcher(n: usize, base: String, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let c = client();
    let words = [
        "walking", "lonely", "choir", "swim", "round", "art", "session", "coffee", "",
    ];
    let mut i = n;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let w = words[i % words.len()];
        match i % 6 {
            0 => {
                fetch(
                    &c,
                    &tally,
                    "search page",
                    &format!("{base}/search?q={w}&near=M33+7XW"),
                )
                .await;
            }
            1 => {
                if let Some(body) = fetch(
                    &c,
                    &tally,
                    "api search",
                    &format!("{base}/api/search?q={w}&page={}", 1 + i % 3),
                )
                .await
                    && let Ok(v) = serde_json::from_str::<Value>(&body)
                    && let Some(hit) = v["hits"].as_array().and_then(|h| h.get(i % 5))
                {
                    let id = hit["id"].as_i64().unwrap_or_default();
                    fetch(
                        &c,
                        &tally,
                        "api listing",
                        &format!("{base}/api/listings/{id}"),
                    )
                    .await;
                    fetch(&c, &tally, "listing page", &format!("{base}/listings/{id}")).await;
                }
            }
            2 => {
                fetch(&c, &tally, "home", &format!("{base}/")).await;
            }
            3 => {
                fetch(&c, &tally, "categories", &format!("{base}/categories")).await;
            }
            4 => {
                fetch(
                    &c,
                    &tally,
                    "search page",
                    &format!("{base}/search?q={w}&day=tue&time=morning&free=1"),
                )
                .await;
            }
            _ => {
                fetch(
                    &c,
                    &tally,
                    "calendar",
                    &format!("{base}/listings/{}/calendar.ics", 1 + i % 40),
                )
                .await;
            }
        }
    }
}

/// A group: fills in the form and sends it; each confirmed reference goes to the
/// moderator.
async fn group(
    n: usize,
    base: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
    confirmed: Arc<Mutex<Vec<(i64, String)>>>,
) {
    let c = client();
    let mut k = 0;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        let Some(page) = fetch(&c, &tally, "add form", &format!("{base}/add")).await else {
            continue;
        };
        let Some(ft) = hidden(&page, "ft") else {
            continue;
        };
        let title = format!("Soakwalk g{n}n{k} stroll");
        let body = crate::groups::body_of(&crate::groups::valid(&title), &[("ft", &ft)]);
        let url = format!("{base}/add/send");
        match c
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
        {
            Ok(r) => {
                let status = r.status().as_u16();
                tally.record("submit", &url, status);
                let text = r.text().await.unwrap_or_default();
                if status == 200
                    && let Some(reference) = between(&text, "<strong id=\"reference\">", "<")
                    && let Some(id) = signpost::groups::parse_reference(reference)
                {
                    confirmed.lock().unwrap().push((id, title));
                }
            }
            Err(_) => {
                tally.transport_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The moderator: signs in, then approves every confirmed submission it is given.
async fn moderator(
    base: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
    confirmed: Arc<Mutex<Vec<(i64, String)>>>,
    approved: Arc<Mutex<Vec<(i64, String)>>>,
) {
    let c = client();
    // Signing in asserts the redirect, so a 5xx there fails the soak as well.
    let session = crate::common::server::sign_in(&c, &base, "soak", PASSWORD).await;
    tally.record("sign in", "/moderate/login", 303);
    let (cookie, csrf) = (session.cookie, session.csrf);
    assert!(!csrf.is_empty(), "the queue has a CSRF token");
    let mut done = 0;
    loop {
        let next = confirmed.lock().unwrap().get(done).cloned();
        let Some((id, title)) = next else {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let url = format!("{base}/moderate/submissions/{id}/approve");
        let r = c
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(format!("csrf={}", enc(&csrf)))
            .send()
            .await
            .unwrap();
        tally.record("approve", &url, r.status().as_u16());
        assert_eq!(
            r.status().as_u16(),
            303,
            "approving {id} gave {}",
            r.status()
        );
        approved.lock().unwrap().push((id, title));
        done += 1;
        fetch(&c, &tally, "moderation queue", &format!("{base}/moderate")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_under_load_loses_nothing() {
    let seconds: u64 = std::env::var("SIGNPOST_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // The feed, on its own port.
    let feed: SharedFeed = Arc::new(Mutex::new(Feed {
        items: newham_items(),
        ..Feed::default()
    }));
    let feed_base = fake_http::serve(
        Router::new()
            .route("/feeds/{name}", get(feed_page))
            .with_state(feed.clone()),
    )
    .await;
    let stop_feed = Arc::new(AtomicBool::new(false));
    let changer = {
        let (feed, stop) = (feed.clone(), stop_feed.clone());
        std::thread::spawn(move || change_feed(&feed, &stop))
    };

    // The moderator, made the way an operator does.
    let out = signpost_cmd(&data)
        .args(["add-moderator", "soak"])
        .env("SIGNPOST_MODERATOR_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    succeeded(&out);

    let sources = dir.path().join("sources.toml");
    std::fs::write(&sources, format!("[[source]]\nname = \"soak-feed\"\nkind = \"openactive\"\nurl = \"{feed_base}/feeds/soak?page=0\"\ndelay_ms = 0\n")).unwrap();
    let port = free_port();
    let config = dir.path().join("signpost.toml");
    std::fs::write(
        &config,
        format!(
            "addr = \"127.0.0.1:{port}\"\nharvest_every_seconds = 2\nsources = \"{}\"\nposts_per_minute = 100000\npost_burst = 1000\nindex_interval_ms = 500\n",
            sources.display()
        ),
    )
    .unwrap();
    // The feed is Active Newham's sessions of 2 January 2020: the server's clock is
    // that morning, so they are upcoming.
    let log = dir.path().join("serve.log");
    let child = signpost_cmd(&data)
        .env("SIGNPOST_NOW", "2020-01-02T09:00")
        .env("RUST_LOG", "info")
        .args(["--config", config.to_str().unwrap(), "serve"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let base = server.base.clone();
    let pid = server.child.id();

    // Ready when it answers.
    let c = client();
    let started = Instant::now();
    while c.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "serve did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let confirmed = Arc::new(Mutex::new(Vec::new()));
    let approved = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for n in 0..4 {
        tasks.push(tokio::spawn(searcher(
            n,
            base.clone(),
            tally.clone(),
            stop.clone(),
        )));
    }
    for n in 0..2 {
        tasks.push(tokio::spawn(group(
            n,
            base.clone(),
            tally.clone(),
            stop.clone(),
            confirmed.clone(),
        )));
    }
    tasks.push(tokio::spawn(moderator(
        base.clone(),
        tally.clone(),
        stop.clone(),
        confirmed.clone(),
        approved.clone(),
    )));

    // Watch the server's memory and descriptors; the first reading after a few
    // seconds of load is the baseline (the index and caches warm up first).
    let mut samples: Vec<Resources> = Vec::new();
    let run = Duration::from_secs(seconds);
    let started = Instant::now();
    while started.elapsed() < run {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(r) = resources(pid) {
            samples.push(r);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    stop_feed.store(true, Ordering::Relaxed);
    changer.join().unwrap();

    // Give the index a moment to take in the last approvals, then check.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let store = Store::open_dir(&data).unwrap();
    let confirmed = confirmed.lock().unwrap().clone();
    let approved = approved.lock().unwrap().clone();
    assert!(!confirmed.is_empty(), "no submission was confirmed");
    assert_eq!(
        approved.len(),
        confirmed.len(),
        "the moderator did not get through the queue"
    );
    let mut found = 0;
    for (id, title) in &approved {
        let sub = store
            .submission(*id)
            .unwrap()
            .unwrap_or_else(|| panic!("confirmed submission {id} is not stored"));
        let lid = sub
            .listing_id
            .unwrap_or_else(|| panic!("approved submission {id} has no listing"));
        let l = store
            .get(lid)
            .unwrap()
            .unwrap_or_else(|| panic!("listing {lid} of {id} is not stored"));
        assert_eq!(&l.title, title);
        // Findable by search: its own unique words find it.
        let q = title.split_whitespace().nth(1).unwrap();
        let v = search_json(&c, format!("{base}/api/search?q={q}")).await;
        let ids: Vec<i64> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_i64().unwrap())
            .collect();
        assert!(
            ids.contains(&lid),
            "approved listing {lid} ({title}) is not found by searching {q}: {ids:?}"
        );
        found += 1;
    }
    // Search agrees with the store: every listing search returns is stored and
    // published under the title search shows; and the harvested feed is in both.
    let harvested = store.ids_for_source("soak-feed").unwrap();
    let log_tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    assert!(
        !harvested.is_empty(),
        "nothing was harvested; the server said:\n{}",
        log_tail()
    );
    for page in 1..=5 {
        let v = search_json(&c, format!("{base}/api/search?q=session&page={page}")).await;
        for h in v["hits"].as_array().unwrap() {
            let id = h["id"].as_i64().unwrap();
            let l = store
                .get(id)
                .unwrap()
                .unwrap_or_else(|| panic!("search returned {id}, which is not stored"));
            assert_eq!(
                l.status,
                signpost::listing::Status::Published,
                "search returned {id}, which is not published"
            );
            assert_eq!(
                h["title"].as_str().unwrap(),
                l.title,
                "search shows an old title for {id}"
            );
        }
    }

    let rounds = feed.lock().unwrap().rounds;
    let feed_requests = feed.lock().unwrap().requests;
    let statuses = tally.statuses.lock().unwrap().clone();
    let by_kind = tally.by_kind.lock().unwrap().clone();
    let errors = tally.errors.lock().unwrap().clone();
    // The first figures are taken once the server has warmed up: after 5 seconds, or
    // a fifth of a long run.
    let warm = (samples.len() / 5).max(samples.len().min(5).saturating_sub(1));
    let (start, end) = (samples[warm], *samples.last().unwrap());
    let max_rss = samples.iter().map(|s| s.rss).max().unwrap();
    let max_fds = samples.iter().map(|s| s.fds).max().unwrap();
    // Memory over the run, in ten steps: anonymous memory (what a leak grows) apart
    // from the index's mapped file pages.
    let series: Vec<String> = (0..=10)
        .map(|k| {
            let i = (samples.len() - 1) * k / 10;
            let s = samples[i];
            format!(
                "{}s rss {} anon {} file {}",
                i + 1,
                s.rss / 1024,
                s.anon / 1024,
                s.file / 1024
            )
        })
        .collect();
    println!(
        "soak {seconds}s: requests by kind {by_kind:?}; statuses {statuses:?}; transport errors {}; \
         submissions confirmed {} approved {} found by search {found}; feed changes {rounds}, feed requests {feed_requests}, \
         harvested listings {}; RSS kB start {} end {} max {max_rss}; anonymous kB start {} end {}; fds start {} end {} max {max_fds}\n\
         memory (MB) over the run: {}",
        tally.transport_errors.load(Ordering::Relaxed),
        confirmed.len(),
        approved.len(),
        harvested.len(),
        start.rss,
        end.rss,
        start.anon,
        end.anon,
        start.fds,
        end.fds,
        series.join("; "),
    );
    assert!(errors.is_empty(), "5xx answers: {errors:?}");
    assert_eq!(
        tally.transport_errors.load(Ordering::Relaxed),
        0,
        "requests failed to get an answer"
    );
    assert!(
        feed_requests > 1,
        "the harvest did not keep polling the feed"
    );
    // Flat: descriptors back where they were (a few in flight either way), memory not
    // growing without bound (allocator and cache noise allowed).
    assert!(
        end.fds <= start.fds + 16,
        "open file descriptors grew from {} to {}",
        start.fds,
        end.fds
    );
    assert!(
        end.rss <= start.rss * 2 + 64 * 1024,
        "RSS grew from {} kB to {} kB",
        start.rss,
        end.rss
    );
    // Memory climbs while the server warms up (the index writer's buffer, SQLite's page
    // caches, the allocator's per-thread arenas), then levels off. In a long run the
    // second half must be level: a leak keeps climbing at the rate it started.
    if seconds >= 300 {
        let mid = samples[samples.len() / 2];
        assert!(
            end.anon <= mid.anon + (mid.anon / 10).max(32 * 1024),
            "anonymous memory still growing in the second half: {} kB at the middle, {} kB at the end",
            mid.anon,
            end.anon
        );
    }
    drop(server);
}
