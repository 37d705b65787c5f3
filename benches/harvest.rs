//! Harvest speed: `cargo bench --features bench --bench harvest -- --items 100000`.
//!
//! Serves a synthetic OpenActive RPDE feed (SessionSeries with weekly schedules, real
//! postcode-district positions, OpenActive activity concept ids) from a local HTTP
//! server in pages of 500, harvests it into a fresh store through the real harvester
//! (one transaction per page, cursor included), then brings the search index up to
//! date. Reports items/s end to end and resident memory as the feed grows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use serde_json::{Value, json};
use signpost::ingest::openactive::{HarvestOptions, harvest};
use signpost::listing::Taxonomy;
use signpost::{App, synth};

const PER_PAGE: usize = 500;

struct Feed {
    items: usize,
    districts: Vec<(String, f64, f64)>,
    concepts: Vec<String>,
}

fn item(feed: &Feed, n: usize) -> Value {
    let (district, lat, lon) = &feed.districts[n * 7919 % feed.districts.len()];
    let concept = &feed.concepts[n * 31 % feed.concepts.len()];
    let days = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    json!({
        "state": "updated",
        "kind": "SessionSeries",
        "id": format!("ss-{n}"),
        "modified": n as u64 + 1,
        "data": {
            "@context": "https://openactive.io/",
            "@type": "SessionSeries",
            "@id": format!("https://bench.example.org/session-series/{n}"),
            "name": format!("Community session {n}"),
            "description": "<p>A friendly, beginner-level session. All welcome.</p><p>Bring water.</p>",
            "activity": [{"@type": "Concept", "@id": concept, "prefLabel": "Activity"}],
            "organizer": {"@type": "Organization", "name": format!("Club {}", n % 997), "url": "https://bench.example.org/"},
            "location": {
                "@type": "Place",
                "name": format!("Centre {}", n % 1499),
                "address": {"@type": "PostalAddress", "streetAddress": "1 High Street", "postalCode": format!("{district} {}A{}", n % 10, ["B", "D", "E", "F"][n % 4])},
                "geo": {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}
            },
            "eventSchedule": [{
                "@type": "PartialSchedule", "repeatFrequency": "P1W",
                "byDay": [format!("https://schema.org/{}", days[n % days.len()])],
                "startTime": "10:00", "endTime": "11:00"
            }],
            "offers": [{"@type": "Offer", "price": (n % 4) as f64, "priceCurrency": "GBP"}],
            "ageRange": {"@type": "QuantitativeValue", "minValue": 18},
            "url": format!("https://bench.example.org/book/{n}")
        }
    })
}

async fn page(
    State(feed): State<Arc<Feed>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> axum::Json<Value> {
    let after: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let host = headers["host"].to_str().unwrap();
    let end = (after + PER_PAGE).min(feed.items);
    let items: Vec<Value> = (after..end).map(|n| item(&feed, n)).collect();
    axum::Json(json!({
        "next": format!("http://{host}/feed?after={end}"),
        "items": items,
    }))
}

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn main() {
    let mut items = 100_000usize;
    let mut serve_only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--items" {
            items = args.next().unwrap().replace('_', "").parse().unwrap();
        } else if a == "--serve" {
            // Only serve the feed at this address until stopped: for harvesting it
            // into a running `signpost serve` (benches/load/run.sh's harvest run).
            serve_only = args.next();
        }
    }
    let taxonomy = Taxonomy::embedded();
    let concepts: Vec<String> = taxonomy
        .types
        .iter()
        .flat_map(|t| t.openactive.iter().take(3).cloned())
        .collect();
    let feed = Arc::new(Feed {
        items,
        districts: synth::district_list(),
        concepts,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The feed is local: no gap of our own between pages, so this measures the harvester.
    let _ = signpost::ingest::http::Http::set_global(signpost::ingest::http::Policy {
        min_interval: Duration::ZERO,
        ..Default::default()
    });
    if let Some(addr) = serve_only {
        rt.block_on(async move {
            let app = Router::new()
                .route("/feed", axum::routing::get(page))
                .with_state(feed);
            let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
            println!("serving {items} items at http://{addr}/feed");
            axum::serve(listener, app).await.unwrap();
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async move {
        let app = Router::new()
            .route("/feed", axum::routing::get(page))
            .with_state(feed);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/feed", listener.local_addr().unwrap());
        tokio::spawn(axum::serve(listener, app).into_future());

        let store_app = App::open(dir.path()).unwrap();
        let now = signpost::clock::parse_now("2026-11-24T09:00").unwrap();
        let t = Instant::now();
        let mut marks = Vec::new();
        let report = harvest(
            &store_app.store,
            taxonomy,
            &url,
            &HarvestOptions {
                source: "bench".into(),
                max_pages: None,
                delay: Duration::ZERO,
                area: None,
            },
            now,
            |r| {
                if r.pages % (items / PER_PAGE / 4).max(1) == 0 {
                    marks.push((r.items, rss_mb()));
                }
            },
        )
        .await
        .unwrap();
        let harvested = t.elapsed();
        let mut indexer = store_app.indexer().unwrap();
        let synced = store_app.sync(&mut indexer).unwrap();
        indexer.finish().unwrap();
        let total = t.elapsed();
        println!(
            "harvested {} items in {} pages: {} listings new, {} failed",
            report.items,
            report.pages,
            report.created,
            report.failed.len()
        );
        println!(
            "  feed into store: {:.1} s = {:.0} items/s",
            harvested.as_secs_f64(),
            report.items as f64 / harvested.as_secs_f64()
        );
        println!(
            "  end to end, store and index ({} indexed): {:.1} s = {:.0} items/s",
            synced.indexed,
            total.as_secs_f64(),
            report.items as f64 / total.as_secs_f64()
        );
        let marks: Vec<String> = marks
            .iter()
            .map(|(n, mb)| format!("{n} items: {mb} MB"))
            .collect();
        println!("  resident memory while harvesting: {}", marks.join(", "));
        println!("  resident memory at the end: {} MB", rss_mb());
    });
}
