//! Polite fetching, group web pages and dataset-site discovery against a local HTTP
//! server: robots.txt (disallow, crawl-delay), the per-host concurrency cap,
//! conditional requests, a huge streamed body, a slow server, schema.org JSON-LD
//! pages into listings, freshness (gone pages, removed activities, server errors), and
//! an OpenActive dataset site whose feed is the real Active Newham page.

use crate::common;
use crate::common::fake_http::{self, newham_items, paged, rpde_page};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::find_listing as listing;
use serde_json::{Value, json};
use signpost::App;
use signpost::ingest::dataset_site;
use signpost::ingest::http::{Fetched, Http, HttpError, Policy};
use signpost::ingest::openactive::{HarvestOptions, harvest};
use signpost::ingest::webpage::{PageResult, WebReport, harvest_pages};
use signpost::listing::{Day, Status, Taxonomy};

#[derive(Clone)]
struct Page {
    status: u16,
    body: String,
    content_type: &'static str,
    etag: Option<String>,
}

fn html(body: &str) -> Page {
    Page {
        status: 200,
        body: body.to_string(),
        content_type: "text/html; charset=utf-8",
        etag: None,
    }
}

fn status(code: u16) -> Page {
    Page {
        status: code,
        body: String::new(),
        content_type: "text/html",
        etag: None,
    }
}

#[derive(Default)]
struct Site {
    pages: HashMap<String, Page>,
    /// RPDE feeds: name -> pages of items (served at /feeds/{name}?page=N).
    feeds: HashMap<String, Vec<Vec<Value>>>,
    robots: Option<String>,
    /// Answer robots.txt with this status instead (0: normal).
    robots_status: u16,
    hits: HashMap<String, usize>,
    /// Responses with a body (not 304).
    full: HashMap<String, usize>,
    times: Vec<(String, Instant)>,
    in_flight: usize,
    max_in_flight: usize,
    /// Each page request waits this long (while counted as in flight).
    delay: Duration,
    /// Paths answered with a 302 to this address.
    redirects: HashMap<String, String>,
    /// The User-Agent of every request.
    user_agents: Vec<String>,
}

type Shared = Arc<Mutex<Site>>;

async fn any(
    State((site, streamed)): State<(Shared, Arc<AtomicUsize>)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    let host = headers["host"].to_str().unwrap().to_string();
    let inm = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    {
        let mut s = site.lock().unwrap();
        *s.hits.entry(path.clone()).or_default() += 1;
        s.times.push((path.clone(), Instant::now()));
        let ua = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        s.user_agents.push(ua);
        if let Some(to) = s.redirects.get(&path) {
            return (StatusCode::FOUND, [("location", to.clone())]).into_response();
        }
    }
    if path == "/robots.txt" {
        let (robots, code) = {
            let s = site.lock().unwrap();
            (s.robots.clone(), s.robots_status)
        };
        if code != 0 {
            return StatusCode::from_u16(code).unwrap().into_response();
        }
        return match robots {
            Some(r) => ([("content-type", "text/plain")], r).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    if path == "/huge" {
        // 100 MB, streamed in 64 KiB chunks with no Content-Length.
        let counter = streamed.clone();
        let chunks = futures_util::stream::iter((0..1600).map(move |_| {
            counter.fetch_add(65536, Ordering::Relaxed);
            Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 65536]))
        }));
        return ([("content-type", "text/html")], Body::from_stream(chunks)).into_response();
    }
    if path == "/slow" {
        tokio::time::sleep(Duration::from_secs(3)).await;
        return html("<p>late</p>").body.into_response();
    }
    let delay = {
        let mut s = site.lock().unwrap();
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.delay
    };
    tokio::time::sleep(delay).await;
    let mut s = site.lock().unwrap();
    s.in_flight -= 1;
    if let Some(name) = path.strip_prefix("/feeds/") {
        let Some(pages) = s.feeds.get(name).cloned() else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let n: usize = uri
            .query()
            .and_then(|q| q.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let count = pages.get(n).map_or(0, Vec::len);
        let etag = format!("\"{name}-{n}-{count}\"");
        if inm.as_deref() == Some(etag.as_str()) {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        *s.full.entry(format!("{path}?page={n}")).or_default() += 1;
        let body = rpde_page(&host, name, &pages, n);
        return ([("etag", etag)], axum::Json(body)).into_response();
    }
    let Some(page) = s.pages.get(&path).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if page.etag.is_some() && inm == page.etag {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    *s.full.entry(path.clone()).or_default() += 1;
    let mut resp = (
        StatusCode::from_u16(page.status).unwrap(),
        [("content-type", page.content_type)],
        page.body,
    )
        .into_response();
    if let Some(e) = page.etag {
        resp.headers_mut().insert("etag", e.parse().unwrap());
    }
    resp
}

struct Server {
    base: String,
    site: Shared,
    streamed: Arc<AtomicUsize>,
}

impl Server {
    /// Adds or replaces a page.
    fn put(&self, path: &str, page: Page) {
        self.site.lock().unwrap().pages.insert(path.into(), page);
    }
}

async fn serve(site: Site) -> Server {
    let site: Shared = Arc::new(Mutex::new(site));
    let streamed = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .fallback(any)
        .with_state((site.clone(), streamed.clone()));
    let base = fake_http::serve(app).await;
    Server {
        base,
        site,
        streamed,
    }
}

/// Quick manners for tests: no gap of our own, quick retries.
fn quick() -> Policy {
    Policy {
        min_interval: Duration::ZERO,
        attempts: 2,
        first_retry_wait: Duration::from_millis(10),
        ..Policy::default()
    }
}

fn now() -> chrono::NaiveDateTime {
    common::now()
}

async fn pages(app: &App, http: &Http, base: &str, paths: &[&str]) -> WebReport {
    let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
    harvest_pages(
        &app.store,
        Taxonomy::embedded(),
        http,
        "groups",
        &urls,
        now(),
        Duration::ZERO,
    )
    .await
    .unwrap()
}

fn result<'a>(r: &'a WebReport, path: &str) -> &'a PageResult {
    &r.pages
        .iter()
        .find(|p| p.url.ends_with(path))
        .unwrap()
        .result
}

const WALKS: &str = r##"<!doctype html><html lang="en"><head><title>Sale Striders</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "SportsClub", "@id": "https://striders.example/#org", "name": "Sale Striders Walking Group",
   "email": "hello@striders.example", "url": "https://striders.example/"},
  {"@type": "Place", "@id": "#park", "name": "Walkden Gardens",
   "address": {"@type": "PostalAddress", "streetAddress": "Derbyshire Road", "addressLocality": "Sale", "postalCode": "m33 3zz"},
   "geo": {"@type": "GeoCoordinates", "latitude": 53.4239, "longitude": -2.3237}},
  {"@type": ["Event", "SportsEvent"], "name": "Health walk", "description": "<p>A gentle one-hour walk &amp; a chat.</p>",
   "startDate": "2026-12-01T10:00:00Z", "endDate": "2026-12-01T11:00:00Z", "location": {"@id": "#park"},
   "isAccessibleForFree": true, "keywords": "walking, health walk"},
  {"@type": "SportsEvent", "name": "Health Walk", "startDate": "2026-12-08T10:00:00Z",
   "endDate": "2026-12-08T11:00:00Z", "location": {"@id": "#park"}, "isAccessibleForFree": true}
]}
</script></head><body><h1>Sale Striders</h1></body></html>"##;

const CHOIR: &str = r##"<html><head>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "EventSeries", "@id": "https://choir.example/#tuesday",
 "name": "Tuesday Community Choir", "description": "Sing together. No experience needed.",
 "organizer": {"@type": "Organization", "name": "Trafford Voices", "url": "https://choir.example/"},
 "location": {"@type": "Place", "name": "St John's Church Hall",
   "address": {"@type": "PostalAddress", "streetAddress": "1 Church Lane", "addressLocality": "Altrincham", "postalCode": "WA14 1AA"},
   "geo": {"latitude": 53.387, "longitude": -2.349}},
 "eventSchedule": {"@type": "Schedule", "byDay": "https://schema.org/Tuesday", "startTime": "19:00",
   "endTime": "20:30", "repeatFrequency": "P1W", "startDate": "2026-09-01"},
 "offers": [{"@type": "Offer", "price": "3.50", "priceCurrency": "GBP"},
            {"@type": "Offer", "price": 5, "priceCurrency": "GBP"}]}
</script></head><body>Choir</body></html>"##;

const MIXED: &str = r##"<html><head>
<script type="application/ld+json">{"@type": "Event", "name": </script>
<script type="application/ld+json">
[{"@context": "https://schema.org", "@type": "Service", "name": "Telephone befriending",
  "serviceType": "befriending", "description": "A friendly call once a week.",
  "provider": {"@type": "NGO", "name": "Age Friendly Stretford"},
  "availableChannel": {"@type": "ServiceChannel", "serviceLocation": {"@type": "Place",
    "name": "Stretford Library", "address": {"postalCode": "M32 0LG"},
    "geo": {"latitude": 53.446, "longitude": -2.309}}}}]
</script></head><body></body></html>"##;

const ORG_ONLY: &str = r##"<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Organization", "name": "Just a charity"}
</script></head></html>"##;

fn two_activities(both: bool) -> String {
    let yoga = r#"{"@type": "Event", "name": "Chair yoga", "startDate": "2026-12-02T14:00",
        "location": {"@type": "Place", "name": "Hall", "address": {"postalCode": "M33 7ZF"},
        "geo": {"latitude": 53.42, "longitude": -2.32}}},"#;
    format!(
        r#"<html><head><script type="application/ld+json">[{}
        {{"@type": "Event", "name": "Knit and natter", "startDate": "2026-12-03T14:00",
        "location": {{"@type": "Place", "name": "Hall", "address": {{"postalCode": "M33 7ZF"}},
        "geo": {{"latitude": 53.42, "longitude": -2.32}}}}}}]</script></head></html>"#,
        if both { yoga } else { "" }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_ld_pages_become_listings_and_stay_fresh() {
    let mut site = Site::default();
    site.pages.insert("/walks".into(), html(WALKS));
    site.pages.insert("/choir".into(), html(CHOIR));
    site.pages.insert("/mixed".into(), html(MIXED));
    site.pages.insert(
        "/plain".into(),
        html("<html><body><h1>Our group</h1></body></html>"),
    );
    site.pages.insert("/org".into(), html(ORG_ONLY));
    site.pages
        .insert("/two".into(), html(&two_activities(true)));
    let server = serve(site).await;
    let base = server.base.clone();
    let (_dir, app) = common::new_app();
    let http = Http::new(quick()).unwrap();
    let all = ["/walks", "/choir", "/mixed", "/plain", "/org", "/two"];

    let r = pages(&app, &http, &base, &all).await;
    assert_eq!(*result(&r, "/walks"), PageResult::Read(1), "{r}");
    assert_eq!(*result(&r, "/choir"), PageResult::Read(1), "{r}");
    assert_eq!(*result(&r, "/mixed"), PageResult::Read(1), "{r}");
    assert_eq!(*result(&r, "/two"), PageResult::Read(2), "{r}");
    match result(&r, "/plain") {
        PageResult::NoActivities(why) => assert!(why.contains("no schema.org JSON-LD"), "{why}"),
        other => panic!("{other:?}"),
    }
    match result(&r, "/org") {
        PageResult::NoActivities(why) => assert!(why.contains("only Organization"), "{why}"),
        other => panic!("{other:?}"),
    }
    let mixed = r.pages.iter().find(|p| p.url.ends_with("/mixed")).unwrap();
    assert_eq!(mixed.problems.len(), 1);
    assert!(mixed.problems[0].contains("JSON-LD block 1: it is not valid JSON"));
    assert_eq!(r.created, 5, "{r}");
    assert!(r.failed.is_empty(), "{r}");
    assert!(r.to_string().contains("JSON-LD block 1"), "{r}");

    // An @graph of a club, its park and the same walk on two dates: one listing.
    let walk = listing(&app, "groups", &format!("{base}/walks#event/health-walk")).unwrap();
    assert_eq!(walk.title, "Health walk");
    assert_eq!(walk.description, "A gentle one-hour walk & a chat.");
    assert_eq!(walk.organisation.name, "Sale Striders Walking Group");
    assert_eq!(
        walk.organisation.email.as_deref(),
        Some("hello@striders.example")
    );
    assert_eq!(walk.types, vec!["walking"]);
    let venue = walk.venue.as_ref().unwrap();
    assert_eq!(venue.name, "Walkden Gardens");
    assert_eq!(venue.postcode.as_deref(), Some("M33 3ZZ"));
    assert_eq!((venue.lat, venue.lon), (Some(53.4239), Some(-2.3237)));
    let dates: Vec<String> = walk
        .schedule
        .dates
        .iter()
        .map(|d| format!("{} {}", d.date, d.start))
        .collect();
    assert_eq!(dates, vec!["2026-12-01 10:00:00", "2026-12-08 10:00:00"]);
    assert!(walk.cost.free);
    assert_eq!(
        walk.provenance.source_url.as_deref(),
        Some(format!("{base}/walks").as_str())
    );

    // An EventSeries with a weekly schedule and two prices.
    let choir = listing(&app, "groups", "https://choir.example/#tuesday").unwrap();
    assert_eq!(choir.title, "Tuesday Community Choir");
    assert_eq!(choir.types, vec!["music-singing"]);
    assert_eq!(choir.organisation.name, "Trafford Voices");
    let rule = &choir.schedule.sessions[0];
    assert_eq!(choir.schedule.sessions.len(), 1);
    assert_eq!(rule.day, Day::Tue);
    assert_eq!(rule.start.to_string(), "19:00:00");
    assert_eq!(rule.end.map(|e| e.to_string()).as_deref(), Some("20:30:00"));
    assert_eq!(choir.cost.price.as_deref(), Some("From £3.50"));
    assert_eq!(choir.cost.amount_pence, Some(350));
    assert!(!choir.cost.free);

    // A Service in the block after a broken one.
    let service = listing(
        &app,
        "groups",
        &format!("{base}/mixed#service/telephone-befriending"),
    )
    .unwrap();
    assert_eq!(service.types, vec!["befriending"]);
    assert_eq!(service.organisation.name, "Age Friendly Stretford");
    assert_eq!(
        service.venue.as_ref().unwrap().postcode.as_deref(),
        Some("M32 0LG")
    );

    // Freshness: 404 and 410 withdraw, 500 keeps, an activity dropped from a page is
    // withdrawn and the one still there is left alone.
    {
        let mut s = server.site.lock().unwrap();
        s.pages.insert("/walks".into(), status(404));
        s.pages.insert("/mixed".into(), status(410));
        s.pages.insert("/choir".into(), status(500));
        s.pages.insert("/two".into(), html(&two_activities(false)));
    }
    let r = pages(&app, &http, &base, &all).await;
    assert_eq!(*result(&r, "/walks"), PageResult::Gone(404), "{r}");
    assert_eq!(*result(&r, "/mixed"), PageResult::Gone(410), "{r}");
    match result(&r, "/choir") {
        PageResult::Failed(why) => assert!(why.contains("500"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(*result(&r, "/two"), PageResult::Read(1));
    assert_eq!(r.withdrawn, 3, "{r}");
    assert_eq!((r.created, r.changed), (0, 0), "{r}");
    assert_eq!(r.unchanged, 1, "{r}");
    assert!(r.to_string().contains("the page is gone (404)"), "{r}");
    let status_of = |id: &str| listing(&app, "groups", id).unwrap().status;
    assert_eq!(
        status_of(&format!("{base}/walks#event/health-walk")),
        Status::Archived
    );
    assert_eq!(
        status_of(&format!("{base}/mixed#service/telephone-befriending")),
        Status::Archived
    );
    assert_eq!(
        status_of("https://choir.example/#tuesday"),
        Status::Published
    );
    assert_eq!(
        status_of(&format!("{base}/two#event/chair-yoga")),
        Status::Archived
    );
    assert_eq!(
        status_of(&format!("{base}/two#event/knit-and-natter")),
        Status::Published
    );
    // A 500 was retried (2 attempts), not withdrawn.
    assert_eq!(server.site.lock().unwrap().hits["/choir"], 3);

    // The walk page comes back: its listing is published again.
    server.put("/walks", html(WALKS));
    let r = pages(&app, &http, &base, &["/walks"]).await;
    assert_eq!(r.changed, 1, "{r}");
    assert_eq!(
        status_of(&format!("{base}/walks#event/health-walk")),
        Status::Published
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_disallow_and_crawl_delay_are_honoured() {
    let mut site = Site {
        robots: Some(
            "User-agent: *\nDisallow: /\n\nUser-agent: Signpost\nDisallow: /private\nCrawl-delay: 1\n"
                .into(),
        ),
        ..Site::default()
    };
    site.pages.insert("/a".into(), html(WALKS));
    site.pages.insert("/b".into(), html(CHOIR));
    site.pages.insert("/private/c".into(), html(CHOIR));
    let server = serve(site).await;
    let (_dir, app) = common::new_app();
    let http = Http::new(quick()).unwrap();

    let started = Instant::now();
    let r = pages(&app, &http, &server.base, &["/a", "/private/c", "/b"]).await;
    match result(&r, "/private/c") {
        PageResult::Failed(why) => assert!(why.contains("robots.txt"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(*result(&r, "/a"), PageResult::Read(1));
    assert_eq!(*result(&r, "/b"), PageResult::Read(1));
    assert!(
        r.to_string()
            .contains("robots.txt asks robots like Signpost not to fetch")
    );
    let (times, hits) = {
        let s = server.site.lock().unwrap();
        (s.times.clone(), s.hits.clone())
    };
    assert!(
        !hits.contains_key("/private/c"),
        "a disallowed page was fetched"
    );
    let at = |p: &str| times.iter().find(|(x, _)| x == p).unwrap().1;
    let gap = at("/b") - at("/a");
    assert!(
        gap >= Duration::from_millis(950),
        "crawl-delay 1 s, gap {gap:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // robots.txt is read once per run, however many pages and harvests.
    let _ = pages(&app, &http, &server.base, &["/a"]).await;
    assert_eq!(server.site.lock().unwrap().hits["/robots.txt"], 1);
    // Two more requests to the host, each a crawl delay after the last.
    let times = server.site.lock().unwrap().times.clone();
    let last_two: Vec<Instant> = times
        .iter()
        .filter(|(p, _)| p == "/a")
        .map(|(_, t)| *t)
        .collect();
    assert!(last_two[1] - at("/b") >= Duration::from_millis(950));

    // A robots.txt that cannot be read (server error) means nothing is fetched.
    let blocked = serve(Site {
        robots_status: 503,
        ..Site::default()
    })
    .await;
    blocked
        .site
        .lock()
        .unwrap()
        .pages
        .insert("/x".into(), html(WALKS));
    let err = http.get(&format!("{}/x", blocked.base), None).await;
    match err {
        Err(e @ HttpError::RobotsUnavailable(_)) => {
            assert!(
                e.to_string().contains("robots.txt could not be read"),
                "{e}"
            );
            assert!(e.is_transient());
        }
        other => panic!("{other:?}"),
    }
    assert!(!blocked.site.lock().unwrap().hits.contains_key("/x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_one_host_are_capped() {
    let mut site = Site {
        delay: Duration::from_millis(200),
        ..Site::default()
    };
    for i in 0..8 {
        site.pages.insert(format!("/p{i}"), html("<p>hi</p>"));
    }
    let server = serve(site).await;
    let http = Arc::new(
        Http::new(Policy {
            max_per_host: 2,
            ..quick()
        })
        .unwrap(),
    );
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (http, url) = (http.clone(), format!("{}/p{i}", server.base));
        set.spawn(async move { http.get(&url, None).await.map(|_| ()) });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    let s = server.site.lock().unwrap();
    assert_eq!(
        s.max_in_flight, 2,
        "at most two at once, and two did overlap"
    );
    // 8 requests, two at a time, 200 ms each: at least 4 rounds.
    assert!(started.elapsed() >= Duration::from_millis(790));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_pages_and_feeds_answer_304() {
    let mut site = Site::default();
    let mut page = html(CHOIR);
    page.etag = Some("\"v1\"".into());
    site.pages.insert("/choir".into(), page);
    site.feeds
        .insert("newham".into(), paged(newham_items(), 100));
    let server = serve(site).await;
    let (_dir, app) = common::new_app();
    let http = Http::new(quick()).unwrap();

    let r = pages(&app, &http, &server.base, &["/choir"]).await;
    assert_eq!(r.created, 1);
    let r = pages(&app, &http, &server.base, &["/choir"]).await;
    assert_eq!(*result(&r, "/choir"), PageResult::NotModified, "{r}");
    assert_eq!(server.site.lock().unwrap().full["/choir"], 1);
    assert_eq!(server.site.lock().unwrap().hits["/choir"], 2);
    // The page changes: a full response, and the listing follows it.
    {
        let mut s = server.site.lock().unwrap();
        let mut page = html(&CHOIR.replace("Tuesday Community Choir", "Tuesday Singers"));
        page.etag = Some("\"v2\"".into());
        s.pages.insert("/choir".into(), page);
    }
    let r = pages(&app, &http, &server.base, &["/choir"]).await;
    assert_eq!(r.changed, 1, "{r}");
    assert_eq!(server.site.lock().unwrap().full["/choir"], 2);
    assert_eq!(
        listing(&app, "groups", "https://choir.example/#tuesday")
            .unwrap()
            .title,
        "Tuesday Singers"
    );

    // An RPDE feed's caught-up last page is polled with If-None-Match.
    let url = format!("{}/feeds/newham", server.base);
    let opts = HarvestOptions {
        source: "newham".into(),
        max_pages: None,
        delay: Duration::ZERO,
        area: None,
    };
    let newham_now = signpost::clock::parse_now("2020-01-02T09:00").unwrap();
    let harvest_newham = || {
        harvest(
            &app.store,
            Taxonomy::embedded(),
            &url,
            &opts,
            newham_now,
            |_| {},
        )
    };
    let r = harvest_newham().await.unwrap();
    assert!(r.caught_up && !r.not_modified);
    // 198 since issue 11: the 5 items with no address come in as "Area not stated".
    assert_eq!(r.created, 198);
    let r = harvest_newham().await.unwrap();
    assert!(r.caught_up && r.not_modified, "{r}");
    assert_eq!(r.pages, 0);
    let last = server.site.lock().unwrap().full["/feeds/newham?page=3"];
    assert_eq!(last, 1, "the last page was sent in full only once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_cut_off_and_a_slow_server_times_out() {
    let server = serve(Site::default()).await;
    let (_dir, app) = common::new_app();
    let http = Http::new(Policy {
        timeout: Duration::from_millis(500),
        attempts: 1,
        ..quick()
    })
    .unwrap();

    let started = Instant::now();
    let r = pages(&app, &http, &server.base, &["/huge"]).await;
    match result(&r, "/huge") {
        PageResult::Failed(why) => assert!(why.contains("larger than 5 MB"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // We stopped reading at 5 MB: the server got nowhere near sending all 100 MB.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = server.streamed.load(Ordering::Relaxed);
    assert!(sent < 40 * 1024 * 1024, "the server sent {sent} bytes");

    let started = Instant::now();
    let r = pages(&app, &http, &server.base, &["/slow"]).await;
    match result(&r, "/slow") {
        PageResult::Failed(why) => assert!(why.contains("took too long"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));

    // Directly: a feed-sized limit still cuts the stream off. (Reading 64 MB takes
    // longer than the half second above on a busy machine, so this client waits.)
    let patient = Http::new(Policy {
        timeout: Duration::from_secs(60),
        attempts: 1,
        ..quick()
    })
    .unwrap();
    match patient.get(&format!("{}/huge", server.base), None).await {
        Err(HttpError::TooLarge(n)) => assert_eq!(n, 64 * 1024 * 1024),
        Ok(Fetched::Body(b)) => panic!("read {} bytes", b.bytes.len()),
        other => panic!("{other:?}"),
    }
}

fn dataset_site(base: &str) -> Page {
    let dataset = json!({
        "@context": ["https://schema.org/", "https://openactive.io/"],
        "@type": "Dataset",
        "@id": format!("{base}/openactive/"),
        "name": "Active Newham Sessions",
        "url": format!("{base}/openactive/"),
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "publisher": {"@type": "Organization", "name": "Active Newham"},
        "distribution": [
            {"@type": "DataDownload", "name": "ScheduledSession", "additionalType": "https://openactive.io/ScheduledSession",
             "encodingFormat": "application/vnd.openactive.rpde+json; version=1", "contentUrl": format!("{base}/feeds/empty")},
            {"@type": "DataDownload", "name": "SessionSeries", "additionalType": "https://openactive.io/SessionSeries",
             "encodingFormat": "application/vnd.openactive.rpde+json; version=1", "contentUrl": "/feeds/newham"}
        ]
    });
    html(&format!(
        "<!DOCTYPE html><html><head><title>Active Newham open data</title>\
         <script type=\"application/ld+json\">{dataset}</script></head><body><h1>Open data</h1></body></html>"
    ))
}

fn json_page(v: Value) -> Page {
    Page {
        status: 200,
        body: v.to_string(),
        content_type: "application/ld+json",
        etag: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_site_leads_to_its_feeds_which_are_harvested() {
    let server = serve(Site::default()).await;
    let base = server.base.clone();
    {
        let mut s = server.site.lock().unwrap();
        s.pages.insert(
            "/data-catalogs/collection.jsonld".into(),
            json_page(json!({"@context": "https://schema.org/", "@type": "DataCatalog",
                "hasPart": [format!("{base}/data-catalogs/newham.jsonld"), format!("{base}/data-catalogs/missing.jsonld")]})),
        );
        s.pages.insert(
            "/data-catalogs/newham.jsonld".into(),
            json_page(
                json!({"@context": "https://schema.org/", "@type": "DataCatalog",
                "dataset": [format!("{base}/openactive/"), format!("{base}/not-a-dataset")]}),
            ),
        );
        s.pages.insert("/openactive/".into(), dataset_site(&base));
        s.pages
            .insert("/not-a-dataset".into(), html("<p>Nothing here</p>"));
        s.feeds.insert("newham".into(), paged(newham_items(), 100));
        s.feeds.insert("empty".into(), vec![]);
    }
    let http = Http::new(quick()).unwrap();
    let found =
        dataset_site::discover(&http, &format!("{base}/data-catalogs/collection.jsonld")).await;
    let feeds: Vec<(String, String)> = found
        .feeds
        .iter()
        .map(|f| (f.url.clone(), f.kind.clone()))
        .collect();
    assert_eq!(
        feeds,
        vec![
            (format!("{base}/feeds/empty"), "ScheduledSession".into()),
            (format!("{base}/feeds/newham"), "SessionSeries".into()),
        ]
    );
    assert_eq!(found.documents, 5);
    assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
    assert!(
        found
            .problems
            .iter()
            .any(|p| p.contains("missing.jsonld") && p.contains("404"))
    );
    assert!(
        found
            .problems
            .iter()
            .any(|p| p.contains("not-a-dataset") && p.contains("no JSON-LD"))
    );

    let (_dir, app) = common::new_app();
    let r = dataset_site::harvest_dataset(
        &app.store,
        Taxonomy::embedded(),
        &http,
        "newham",
        &format!("{base}/openactive/"),
        None,
        signpost::clock::parse_now("2020-01-02T09:00").unwrap(),
    )
    .await;
    assert_eq!(r.failed_feeds(), 0, "{r}");
    assert_eq!(r.feeds[0].0.kind, "SessionSeries", "parents first");
    let series = r.feeds[0].1.as_ref().unwrap();
    assert_eq!(series.created, 198, "{r}");
    assert!(series.caught_up);
    let l = listing(&app, "newham", "N1CLXFT17000819").unwrap();
    assert_eq!(l.title, "Crossfit Open Box");
    assert_eq!(l.organisation.name, "Active Newham");
    assert!(r.to_string().contains("found 2 feeds"), "{r}");
}

/// The built binary: `import --format webpage` and `--format dataset-site`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_imports_web_pages_and_dataset_sites() {
    let server = serve(Site::default()).await;
    let base = server.base.clone();
    {
        let mut s = server.site.lock().unwrap();
        s.pages.insert("/walks".into(), html(WALKS));
        s.pages.insert("/openactive/".into(), dataset_site(&base));
        s.feeds.insert("newham".into(), paged(newham_items(), 100));
        s.feeds.insert("empty".into(), vec![]);
    }
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("pages.txt");
    std::fs::write(
        &list,
        format!("# our groups\n{base}/walks\n\n{base}/gone\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let run = |args: Vec<String>, now: &'static str| {
        let data = data.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_signpost"))
                .args(&args)
                .arg("--data-dir")
                .arg(&data)
                .env("SIGNPOST_NOW", now)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap()
        })
    };
    let out = run(
        vec![
            "import".into(),
            list.to_string_lossy().into(),
            "--format".into(),
            "webpage".into(),
            "--source-name".into(),
            "groups".into(),
        ],
        "2026-11-24T09:00",
    )
    .await
    .unwrap();
    let text = common::succeeded(&out);
    assert!(text.contains("groups: 2 pages (1 read"), "{text}");
    assert!(text.contains("/gone: the page is gone (404)"), "{text}");
    assert!(text.contains("listings: new 1"), "{text}");
    assert!(text.contains("indexed 1 listings"), "{text}");

    let out = run(
        vec![
            "import".into(),
            format!("{base}/openactive/"),
            "--format".into(),
            "dataset-site".into(),
            "--source-name".into(),
            "newham".into(),
        ],
        "2020-01-02T09:00",
    )
    .await
    .unwrap();
    let text = common::succeeded(&out);
    assert!(
        text.contains("found 2 feeds in 1 catalogs and dataset sites; 2 harvested, 0 failed"),
        "{text}"
    );
    assert!(text.contains("new 198"), "{text}");

    // A page that is not a dataset site fails with a reason.
    let out = run(
        vec![
            "import".into(),
            format!("{base}/walks"),
            "--format".into(),
            "dataset-site".into(),
        ],
        "2026-11-24T09:00",
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("its JSON-LD has no Dataset or DataCatalog"),
        "{text}"
    );
}

#[test]
fn sources_file_takes_web_pages_and_dataset_sites() {
    use signpost::ingest::{Format, Sources};
    let s = Sources::parse(
        "[[source]]\nname = \"groups\"\nkind = \"webpages\"\nurls = [\"https://a.example/\", \"https://b.example/x\"]\n\
         [[source]]\nname = \"leisure\"\nkind = \"openactive-dataset\"\nurl = \"https://c.example/openactive/\"\n",
    )
    .unwrap();
    assert_eq!(s.sources[0].format, Some(Format::Webpage));
    assert_eq!(s.sources[0].urls.len(), 2);
    assert_eq!(s.sources[1].format, Some(Format::DatasetSite));
    let err = Sources::parse("[[source]]\nname = \"g\"\nkind = \"webpages\"\n").unwrap_err();
    assert!(err.contains("needs urls"), "{err}");
    let err = Sources::parse("[[source]]\nname = \"f\"\nkind = \"openactive\"\n").unwrap_err();
    assert!(err.contains("has no url"), "{err}");
    let pages =
        signpost::ingest::webpage::page_list(&["https://a.example/".into()], "https://b.example/")
            .unwrap();
    assert_eq!(pages, vec!["https://a.example/", "https://b.example/"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_only_where_the_new_hosts_robots_allow() {
    let mut other = Site {
        robots: Some("User-agent: Signpost\nDisallow: /private\n".into()),
        ..Site::default()
    };
    other.pages.insert("/walks".into(), html(WALKS));
    other.pages.insert("/private/walks".into(), html(WALKS));
    let other = serve(other).await;
    let mut first = Site::default();
    first.pages.insert("/here".into(), html(CHOIR));
    for (from, to) in [
        ("/moved", format!("{}/walks", other.base)),
        ("/sneaky", format!("{}/private/walks", other.base)),
        ("/local", "/here".to_string()),
    ] {
        first.redirects.insert(from.into(), to);
    }
    let first = serve(first).await;
    let http = Http::new(quick()).unwrap();

    // To another host: its robots.txt is read first, and the page comes from there.
    match http.get(&format!("{}/moved", first.base), None).await {
        Ok(Fetched::Body(b)) => assert_eq!(b.url, format!("{}/walks", other.base)),
        other => panic!("{other:?}"),
    }
    // To a page that host's robots.txt keeps robots out of: not fetched.
    let err = http
        .get(&format!("{}/sneaky", first.base), None)
        .await
        .unwrap_err();
    assert_eq!(err, HttpError::Disallowed);
    let hits = other.site.lock().unwrap().hits.clone();
    assert_eq!(hits.get("/robots.txt"), Some(&1), "{hits:?}");
    assert!(!hits.contains_key("/private/walks"), "{hits:?}");
    // A relative redirect on the same host still works.
    match http.get(&format!("{}/local", first.base), None).await {
        Ok(Fetched::Body(b)) => assert_eq!(b.url, format!("{}/here", first.base)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crawler_names_the_directory_that_runs_it() {
    let server = walks_site().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = format!("{}/walks", server.base);
    let run = |contact: &str| {
        cli_import(
            &data,
            vec![
                url.clone(),
                "--format".into(),
                "webpage".into(),
                "--crawler-contact".into(),
                contact.into(),
            ],
        )
    };
    let out = run("links@trafford-directory.example").await;
    common::succeeded(&out);
    let agents = server.site.lock().unwrap().user_agents.clone();
    assert!(!agents.is_empty());
    for ua in &agents {
        assert!(ua.starts_with("Signpost/"), "{ua}");
        assert!(
            ua.contains("+mailto:links@trafford-directory.example)"),
            "{ua}"
        );
    }
    // Something that is neither an address nor an email is refused before any fetch.
    let before = agents.len();
    let out = run("call Sam\r\nX-Evil: 1").await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("crawler contact"), "{err}");
    assert_eq!(server.site.lock().unwrap().user_agents.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sources_own_pause_between_pages_is_kept() {
    let mut site = Site::default();
    site.pages.insert("/a".into(), html(WALKS));
    site.pages.insert("/b".into(), html(CHOIR));
    let server = serve(site).await;
    let (_dir, app) = common::new_app();
    let http = Http::new(quick()).unwrap();
    let urls = vec![format!("{}/a", server.base), format!("{}/b", server.base)];
    let r = harvest_pages(
        &app.store,
        Taxonomy::embedded(),
        &http,
        "groups",
        &urls,
        now(),
        Duration::from_millis(400),
    )
    .await
    .unwrap();
    assert_eq!(*result(&r, "/b"), PageResult::Read(1));
    let times = server.site.lock().unwrap().times.clone();
    let at = |p: &str| times.iter().find(|(x, _)| x == p).unwrap().1;
    let gap = at("/b").duration_since(at("/a"));
    assert!(gap >= Duration::from_millis(390), "{gap:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_given_to_import_without_a_format_is_read_as_a_page() {
    let server = walks_site().await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("walks.html");
    std::fs::write(&saved, WALKS).unwrap();
    let data = dir.path().join("data");
    // Its web address: detected as a page and its activities imported.
    let out = cli_import(&data, vec![format!("{}/walks", server.base)]).await;
    let said = common::succeeded(&out);
    assert!(said.contains("is a web page"), "{said}");
    let app = App::open(&data).unwrap();
    assert!(app.store.count().unwrap() > 0);
    // A saved copy: a clear message saying what to do instead.
    let out = cli_import(&data, vec![saved.to_string_lossy().into_owned()]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a web page (HTML)"), "{err}");
    assert!(err.contains("--format webpage"), "{err}");
}

/// A site with one group page, at `/walks`.
async fn walks_site() -> Server {
    let server = serve(Site::default()).await;
    server.put("/walks", html(WALKS));
    server
}

/// Runs `signpost import ARGS --data-dir DATA` off the async runtime.
async fn cli_import(data: &std::path::Path, args: Vec<String>) -> std::process::Output {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_signpost"))
            .arg("import")
            .args(&args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// A group's page whose activity says nowhere is placed by its source's area, as a
/// directory or a spreadsheet row is ("Covers North Lincolnshire", found around DN15),
/// not left as "Area not stated".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_names_no_place_is_placed_by_its_sources_area() {
    let mut site = Site::default();
    site.pages.insert(
        "/knit".into(),
        html(
            r#"<!doctype html><html lang="en"><head><title>Knit and natter</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "EventSeries",
 "name": "Knit and Natter", "description": "Bring your knitting, have a cup of tea and a chat.",
 "keywords": "knitting"}</script></head><body></body></html>"#,
        ),
    );
    let server = serve(site).await;
    let (_dir, app) = common::new_app();
    let mut source = signpost::ingest::Source::new("knitters", format!("{}/knit", server.base));
    source.format = Some(signpost::ingest::Format::Webpage);
    source.area = Some("E06000013".into());
    let report = signpost::ingest::run(
        &app.store,
        Taxonomy::embedded(),
        &source,
        now(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(report.succeeded(), "{report}");
    let summary = report.to_string();
    assert!(
        summary.contains("imported 1: 1 placed by the source's area"),
        "{summary}"
    );
    let (id, _) = app.store.ids_for_source("knitters").unwrap()[0].clone();
    let listing = app.store.get(id).unwrap().unwrap();
    assert_eq!(listing.title, "Knit and Natter");
    assert!(
        listing.area_served.postcodes.iter().any(|d| d == "DN15"),
        "{:?}",
        listing.area_served
    );
    assert!(
        listing
            .area_served
            .description
            .contains("North Lincolnshire")
    );
}
