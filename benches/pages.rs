//! Server time for every page type at scale: `cargo bench --features bench --bench pages -- --listings 100000`.
//!
//! Builds a real data directory (SQLite store and index) of N synthetic listings from a
//! seed, then sends requests through the real router in process (`oneshot`), timing
//! each from request to the last byte of the body. Options: `--listings N` (default
//! 100,000), `--requests N` per page type (default 500), `--seed N`, `--only PREFIX`
//! (page types whose names start with it), `--dir PATH` (kept
//! and reused when it already holds N listings). The Open Referral API
//! (`/openreferral/services`) is timed with the pages.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use signpost::listing::Taxonomy;
use signpost::web::{self, AppState};
use signpost::{App, synth};
use tower::ServiceExt;

struct Opts {
    listings: u64,
    requests: usize,
    seed: u64,
    dir: Option<PathBuf>,
    /// Time only the page types whose names start with this.
    only: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts {
        listings: 100_000,
        requests: 500,
        seed: 42,
        dir: None,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listings" => o.listings = args.next().unwrap().replace('_', "").parse().unwrap(),
            "--requests" => o.requests = args.next().unwrap().parse().unwrap(),
            "--seed" => o.seed = args.next().unwrap().parse().unwrap(),
            "--dir" => o.dir = Some(args.next().unwrap().into()),
            "--only" => o.only = args.next(),
            _ => {} // cargo bench passes --bench
        }
    }
    o
}

fn build(app: &App, o: &Opts) {
    let taxonomy = Taxonomy::embedded();
    let districts = synth::district_list();
    let t = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for n in 1..=o.listings {
        batch.push(synth::listing(o.seed, n, taxonomy, &districts));
        if batch.len() == 1000 {
            app.store.upsert_batch(&batch).unwrap();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        app.store.upsert_batch(&batch).unwrap();
    }
    let mut indexer = app.indexer().unwrap();
    indexer.rebuild(&app.store, taxonomy).unwrap();
    println!(
        "built {} listings (store and index) in {:.1} s",
        o.listings,
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let o = opts();
    let dir = o.dir.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pages-{}-{}", o.listings, o.seed))
    });
    let app = Arc::new(App::open(&dir).unwrap());
    if app.store.count().unwrap() as u64 != o.listings {
        drop(app);
        let _ = std::fs::remove_dir_all(&dir);
        let app = App::open(&dir).unwrap();
        build(&app, &o);
    }
    let app = Arc::new(App::open(&dir).unwrap());
    let now = signpost::clock::parse_now("2026-11-24T09:00").unwrap();
    let router = web::router(AppState::new(app.clone()).with_clock(Arc::new(move || now)));
    let districts = synth::district_list();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(o.seed);
    let max_id = o.listings as i64;
    let words = [
        "walking",
        "choir",
        "lonely",
        "knitting",
        "memory cafe",
        "exercise",
    ];
    type Gen = Box<dyn Fn(&mut fastrand::Rng) -> String>;
    let district = move |rng: &mut fastrand::Rng| districts[rng.usize(..districts.len())].0.clone();
    let d2 = district.clone();
    let d3 = district.clone();
    let d4 = district.clone();
    let taxonomy = Taxonomy::embedded();
    let oruk_app = app.clone();
    let kinds: Vec<(&str, Gen)> = vec![
        ("home", Box::new(|_| "/".into())),
        ("categories", Box::new(|_| "/categories".into())),
        (
            "search: words + postcode",
            Box::new(move |rng| {
                format!(
                    "/search?q={}&near={}&within=10",
                    words[rng.usize(..words.len())].replace(' ', "+"),
                    district(rng)
                )
            }),
        ),
        (
            "search: browse + filters",
            Box::new(move |rng| {
                format!(
                    "/search?near={}&within=5&free=1&day=tue&day=thu&time=morning&access=wheelchair&sort=distance",
                    d2(rng)
                )
            }),
        ),
        (
            "search: page 3 + shortlist",
            Box::new(move |rng| format!("/search?q=walking&near={}&page=3&s=1.2.3", d3(rng))),
        ),
        (
            "listing page",
            Box::new(move |rng| format!("/listings/{}?s=1.2", rng.i64(1..=max_id))),
        ),
        (
            "shortlist",
            Box::new(move |rng| {
                format!(
                    "/shortlist?s={}.{}.{}",
                    rng.i64(1..=max_id),
                    rng.i64(1..=max_id),
                    rng.i64(1..=max_id)
                )
            }),
        ),
        (
            "printed handout (QR)",
            Box::new(move |rng| {
                format!(
                    "/shortlist/print?s={}.{}.{}",
                    rng.i64(1..=max_id),
                    rng.i64(1..=max_id),
                    rng.i64(1..=max_id)
                )
            }),
        ),
        ("sitemap index", Box::new(|_| "/sitemap.xml".into())),
        (
            "sitemap part (40,000 URLs)",
            Box::new(|_| "/sitemaps/1.xml".into()),
        ),
        (
            "calendar file",
            Box::new(move |rng| format!("/listings/{}/calendar.ics", rng.i64(1..=max_id))),
        ),
        (
            "oruk: services page 1",
            Box::new(|_| "/openreferral/services".into()),
        ),
        (
            "oruk: search + postcode",
            Box::new(move |rng| {
                format!(
                    "/openreferral/services?search={}&postcode={}&proximity=8000",
                    words[rng.usize(..words.len())].replace(' ', "+"),
                    d4(rng)
                )
            }),
        ),
        (
            "oruk: term + day + age",
            Box::new(move |rng| {
                let t = &taxonomy.types[rng.usize(..taxonomy.types.len())].slug;
                format!(
                    "/openreferral/services?taxonomy_term_id={}&day=TU&minimum_age=70",
                    signpost::publish::ids::term("types", t)
                )
            }),
        ),
        (
            "oruk: page 1000 of 50",
            Box::new(|_| "/openreferral/services?page=1000&per_page=50".into()),
        ),
        (
            "oruk: modified_after",
            Box::new(|_| "/openreferral/services?modified_after=2000-01-01".into()),
        ),
        (
            "oruk: service by id",
            Box::new(move |rng| {
                let l = oruk_app.store.get(rng.i64(1..=max_id)).unwrap().unwrap();
                format!(
                    "/openreferral/services/{}",
                    signpost::publish::ids::listing(&l)
                )
            }),
        ),
    ];
    println!(
        "server time per page type, {} requests each, {} listings",
        o.requests, o.listings
    );
    for (name, make) in &kinds {
        if o.only
            .as_ref()
            .is_some_and(|p| !name.starts_with(p.as_str()))
        {
            continue;
        }
        let mut times: Vec<Duration> = Vec::with_capacity(o.requests);
        let mut bytes = 0usize;
        for i in 0..o.requests + 20 {
            let uri = make(&mut rng);
            let router = router.clone();
            let (took, len, status) = rt.block_on(async move {
                let t = Instant::now();
                let resp = router
                    .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let status = resp.status();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                (t.elapsed(), body.len(), status)
            });
            assert!(status.as_u16() < 500, "{name}: {status}");
            if i >= 20 {
                // The first 20 warm the caches, as a running server's would be.
                times.push(took);
                bytes += len;
            }
        }
        times.sort();
        let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        println!(
            "  {name:<28} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms   ({} bytes on average)",
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            bytes / times.len()
        );
    }
}
