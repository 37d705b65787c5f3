//! Search benchmark: build an index of N synthetic listings, then time a fixed query mix.
//!
//! Run: `cargo bench --features bench --bench search -- --listings 1000000 --seed 42`
//! (add `--queries N` per class, `--dir PATH` to keep the index, `--by-text` for figures
//! per query text, `--unordered` to build in arrival order as `sync` does, `--with-store`
//! to also time writing the listings to SQLite and rebuilding the index from it, as
//! `reindex` does, and query that index; `--versus-exact` to also time every query
//! counting every match, alternately with the default that stops counting at 10,000;
//! `--versus-unpruned` to also time every query scoring every match, alternately with
//! the default that passes over matches that cannot rank, and compare their first
//! pages; `SIGNPOST_BENCH_TEXTS=a,b` to ask only those texts). Query timing and memory
//! are measured in a fresh child process that only opens the finished index, as a restarted server
//! would, so the figures are not flattered by a warm writer or inflated by the build.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "common/cases.rs"]
mod cases;

use cases::Case;
use signpost::listing::Taxonomy;
use signpost::search::{Engine, SearchIndex};
use signpost::store::Store;
use signpost::synth;

struct Opts {
    listings: u64,
    seed: u64,
    queries: usize,
    dir: Option<PathBuf>,
    phase: String,
    with_store: bool,
    /// Run only the query class whose name contains this (for profiling).
    only: Option<String>,
    /// Also print p50 and max for each query text.
    by_text: bool,
    /// Build in listing-number order, as `sync` adds listings, instead of the spatial
    /// order a rebuild uses.
    unordered: bool,
    /// Also run every query counting every match (as before counting stopped at
    /// `COUNT_UP_TO`), alternately, so a busy machine slows both alike.
    versus_exact: bool,
    /// Also time every query scoring every match (no pruning), alternating.
    versus_unpruned: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        listings: 100_000,
        seed: 42,
        queries: 1_000,
        dir: None,
        phase: "all".into(),
        with_store: false,
        only: None,
        by_text: false,
        unordered: false,
        versus_exact: false,
        versus_unpruned: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let next = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--listings" => {
                o.listings = next.replace('_', "").parse().expect("--listings N");
                i += 1;
            }
            "--seed" => {
                o.seed = next.parse().expect("--seed N");
                i += 1;
            }
            "--queries" => {
                o.queries = next.parse().expect("--queries N");
                i += 1;
            }
            "--dir" => {
                o.dir = Some(PathBuf::from(next));
                i += 1;
            }
            "--phase" => {
                o.phase = next;
                i += 1;
            }
            "--with-store" => o.with_store = true,
            "--by-text" => o.by_text = true,
            "--unordered" => o.unordered = true,
            "--versus-exact" => o.versus_exact = true,
            "--versus-unpruned" => o.versus_unpruned = true,
            "--only" => {
                o.only = Some(next);
                i += 1;
            }
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    o
}

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let o = opts();
    let dir = o.dir.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-{}-{}", o.listings, o.seed))
    });
    match o.phase.as_str() {
        "query" => query_phase(&o, &dir),
        _ => {
            build_phase(&o, &dir);
            if o.with_store {
                store_phase(&o, &dir);
            }
            // Fresh process for serving figures, on the index `reindex` built from the
            // store when there is one (the product's path), else the direct build.
            let served = if o.with_store {
                dir.join("store")
            } else {
                dir.clone()
            };
            let mut args: Vec<String> = [
                "--phase",
                "query",
                "--dir",
                served.to_str().unwrap(),
                "--queries",
                &o.queries.to_string(),
                "--seed",
                &o.seed.to_string(),
                "--listings",
                &o.listings.to_string(),
            ]
            .map(String::from)
            .to_vec();
            if let Some(only) = &o.only {
                args.extend(["--only".to_string(), only.clone()]);
            }
            if o.by_text {
                args.push("--by-text".into());
            }
            if o.versus_unpruned {
                args.push("--versus-unpruned".into());
            }
            if o.versus_exact {
                args.push("--versus-exact".into());
            }
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(&args)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}

fn build_phase(o: &Opts, dir: &Path) {
    let t = Instant::now();
    cases::build_index(dir, o.listings, o.seed, o.unordered);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "build: {} listings in {:.1} s = {:.0} listings/s (generation included); peak RSS {} MB",
        o.listings,
        secs,
        o.listings as f64 / secs,
        rss_kb("VmHWM") / 1024
    );
    println!(
        "index size on disk: {} MB",
        dir_size(&dir.join("tantivy")) / 1_000_000
    );
}

/// Writes the listings to SQLite in 1,000-listing transactions, then rebuilds the
/// index from the store (the `reindex` path).
fn store_phase(o: &Opts, dir: &Path) {
    let taxonomy = Taxonomy::embedded();
    let districts = synth::district_list();
    let store_dir = dir.join("store");
    let _ = std::fs::remove_dir_all(&store_dir);
    let store = Store::open_dir(&store_dir).unwrap();
    let t = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for n in 1..=o.listings {
        batch.push(synth::listing(o.seed, n, taxonomy, &districts));
        if batch.len() == 1000 {
            store.upsert_batch(&batch).unwrap();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.upsert_batch(&batch).unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "store: {} listings written in {:.1} s = {:.0} listings/s",
        o.listings,
        secs,
        o.listings as f64 / secs
    );
    let index = SearchIndex::open_or_create(&store_dir.join("tantivy")).unwrap();
    let mut indexer = index
        .indexer(signpost::search::index::REBUILD_WRITER_HEAP)
        .unwrap();
    let t = Instant::now();
    let r = indexer.rebuild(&store, taxonomy).unwrap();
    indexer.finish().unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "reindex from store: {} listings in {:.1} s = {:.0} listings/s",
        r.indexed,
        secs,
        r.indexed as f64 / secs
    );
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn query_phase(o: &Opts, dir: &Path) {
    let taxonomy = Taxonomy::embedded();
    let index = SearchIndex::open_or_create(&dir.join("tantivy")).unwrap();
    let engine = Engine::new(index, taxonomy);
    let districts = synth::district_list();
    let now = signpost::clock::parse_now("2026-11-24T09:00").unwrap();
    let mut rng = fastrand::Rng::with_seed(o.seed + 1);
    let classes = cases::classes(&districts);
    println!(
        "queries: {} per class on {} listings (index opened fresh; RSS after open {} MB)",
        o.queries,
        engine.index.num_docs(),
        rss_kb("VmRSS") / 1024
    );
    for (name, make) in &classes {
        if o.only
            .as_ref()
            .is_some_and(|only| !name.contains(only.as_str()))
        {
            continue;
        }
        let cases: Vec<Case> = (0..o.queries).map(|_| make(&mut rng)).collect();
        // Warm-up: page in the parts of the index this class touches.
        for (r, l) in cases.iter().take(50) {
            engine.search(r, l.as_ref(), now).unwrap();
        }
        let mut times: Vec<Duration> = Vec::with_capacity(cases.len());
        let mut exact_times: Vec<Duration> = Vec::new();
        let mut hits = 0usize;
        let mut same_page = 0usize;
        for (n, (r, l)) in cases.iter().enumerate() {
            // Compared runs take turns going first: the second of a pair finds the
            // same postings already in the caches.
            let unpruned_first = o.versus_unpruned && n % 2 == 1;
            let mut unpruned = None;
            if unpruned_first {
                engine.set_pruning(false);
                let t = Instant::now();
                unpruned = Some(engine.search(r, l.as_ref(), now).unwrap());
                exact_times.push(t.elapsed());
                engine.set_pruning(true);
            }
            let t = Instant::now();
            let res = engine.search(r, l.as_ref(), now).unwrap();
            times.push(t.elapsed());
            hits += res.total;
            if o.versus_exact {
                let exact = signpost::search::SearchRequest {
                    exact_counts: true,
                    ..r.clone()
                };
                let t = Instant::now();
                let all = engine.search(&exact, l.as_ref(), now).unwrap();
                exact_times.push(t.elapsed());
                assert_eq!(
                    all.hits.iter().map(|h| h.id).collect::<Vec<_>>(),
                    res.hits.iter().map(|h| h.id).collect::<Vec<_>>(),
                    "counting less must not change the results"
                );
                hits += all.total - res.total;
            }
            if o.versus_unpruned {
                let all = match unpruned {
                    Some(all) => all,
                    None => {
                        engine.set_pruning(false);
                        let t = Instant::now();
                        let all = engine.search(r, l.as_ref(), now).unwrap();
                        exact_times.push(t.elapsed());
                        engine.set_pruning(true);
                        all
                    }
                };
                let ids = |s: &signpost::search::SearchResults| {
                    s.hits.iter().map(|h| h.id).collect::<Vec<_>>()
                };
                if ids(&all) == ids(&res) {
                    same_page += 1;
                } else {
                    println!(
                        "    other page: {:?}: pruned {:?}, every match scored {:?}",
                        r.q,
                        ids(&res),
                        ids(&all)
                    );
                }
            }
        }
        if o.by_text {
            let mut by: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
            for ((r, _), t) in cases.iter().zip(&times) {
                by.entry(r.q.clone())
                    .or_default()
                    .push(t.as_secs_f64() * 1e3);
            }
            for (q, mut v) in by {
                v.sort_by(f64::total_cmp);
                println!(
                    "    {q:<20} p50 {:.2} max {:.2}",
                    v[v.len() / 2],
                    v[v.len() - 1]
                );
            }
        }
        times.sort();
        let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        println!(
            "  {name:<34} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms   (mean matches {})",
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            hits / cases.len().max(1)
        );
        if !exact_times.is_empty() {
            exact_times.sort();
            let pct = |p: f64| {
                exact_times[((exact_times.len() as f64 * p) as usize).min(exact_times.len() - 1)]
            };
            println!(
                "    {:<32} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
                if o.versus_unpruned {
                    "(scoring every match)"
                } else {
                    "(counting every match)"
                },
                pct(0.50).as_secs_f64() * 1e3,
                pct(0.99).as_secs_f64() * 1e3,
                exact_times.last().unwrap().as_secs_f64() * 1e3,
            );
            if o.versus_unpruned {
                println!("    same first page: {same_page} of {}", cases.len());
            }
        }
    }
    if o.only.is_none() {
        // The home page's counts per type over the whole directory: counted once per
        // index generation, then kept.
        let t = Instant::now();
        let counts = engine.type_counts_everywhere(now).unwrap();
        let first = t.elapsed();
        let t = Instant::now();
        engine.type_counts_everywhere(now).unwrap();
        println!(
            "  counts per type, whole directory   first {:.3} ms   then {:.4} ms   ({} listings)",
            first.as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3,
            counts.iter().map(|c| c.count).sum::<u64>()
        );
    }
    println!(
        "serving memory: RSS {} MB, peak RSS {} MB",
        rss_kb("VmRSS") / 1024,
        rss_kb("VmHWM") / 1024
    );
}
