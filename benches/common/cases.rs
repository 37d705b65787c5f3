//! The query mix of the search benchmarks, shared by `search.rs` and `postgres.rs` so
//! that both engines are asked exactly the same things (same seed, same order).

use signpost::geo::locate::{Located, Precision};
use signpost::listing::{Day, TimeOfDay};
use signpost::search::{SearchRequest, Sort};

pub type Case = (SearchRequest, Option<Located>);
pub type MakeCase<'a> = Box<dyn Fn(&mut fastrand::Rng) -> Case + 'a>;

pub const TEXTS: &[&str] = &[
    "walking",
    "chair yoga",
    "lonely",
    "knittin",
    "choir",
    "memory cafe",
    "mens shed",
    "dementia",
    "gardening",
    "dance",
    "swimming",
    "befriending",
    "low mood",
    "exercise",
    "coffee morning",
    "art group",
    "book club",
    "food bank",
    "tai chi",
    "walking football",
    "carers support",
    "bereavement",
    "cooking",
    "computer help",
    "volunteering",
];

/// The query texts: [`TEXTS`], or only those in `SIGNPOST_BENCH_TEXTS` (separated by
/// commas), to look at a few queries closely (`perf`).
fn texts() -> Vec<String> {
    match std::env::var("SIGNPOST_BENCH_TEXTS") {
        Ok(only) if !only.trim().is_empty() => {
            only.split(',').map(|t| t.trim().to_string()).collect()
        }
        _ => TEXTS.iter().map(|t| t.to_string()).collect(),
    }
}

/// The four query classes, each a name and a way to make one query of it.
pub fn classes(districts: &[(String, f64, f64)]) -> Vec<(&'static str, MakeCase<'_>)> {
    let texts = texts();
    let (t1, t2, t3) = (texts.clone(), texts.clone(), texts);
    let base = || SearchRequest {
        within: 10.0,
        page: 1,
        ..Default::default()
    };
    let place = move |rng: &mut fastrand::Rng| -> Located {
        let (code, lat, lon) = &districts[rng.usize(..districts.len())];
        Located {
            label: code.clone(),
            lat: *lat,
            lon: *lon,
            precision: Precision::District,
            district: Some(code.clone()),
            area: Some(
                code.chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect(),
            ),
            note: None,
        }
    };
    vec![
        (
            "text only",
            Box::new(move |rng: &mut fastrand::Rng| {
                let mut r = base();
                r.q = t1[rng.usize(..t1.len())].clone();
                (r, None)
            }),
        ),
        (
            "text + 10 mile radius + counts",
            Box::new(move |rng: &mut fastrand::Rng| {
                let mut r = base();
                r.q = t2[rng.usize(..t2.len())].clone();
                (r, Some(place(rng)))
            }),
        ),
        (
            "radius browse, nearest first",
            Box::new(move |rng: &mut fastrand::Rng| {
                let mut r = base();
                r.sort = Some(Sort::Distance);
                (r, Some(place(rng)))
            }),
        ),
        (
            "text + radius + several filters",
            Box::new(move |rng: &mut fastrand::Rng| {
                let mut r = base();
                r.q = t3[rng.usize(..t3.len())].clone();
                r.free = true;
                r.days = vec![Day::ALL[rng.usize(..7)], Day::ALL[rng.usize(..7)]];
                r.times = vec![TimeOfDay::Morning];
                r.access = vec!["wheelchair".into()];
                r.age = Some(70);
                (r, Some(place(rng)))
            }),
        ),
    ]
}

/// Builds the index of `listings` synthetic listings (ids 1..=N from `seed`) in
/// `dir/tantivy`, replacing whatever `dir` held: in the order `reindex` adds listings
/// (neighbours together; see `Store::for_each_published_ordered`) unless
/// `unordered`. A first pass works out each listing's place in that order, the second
/// generates and indexes them in it. Returns how many were indexed.
pub fn build_index(dir: &std::path::Path, listings: u64, seed: u64, unordered: bool) -> u64 {
    let _ = std::fs::remove_dir_all(dir);
    let taxonomy = signpost::listing::Taxonomy::embedded();
    let districts = signpost::synth::district_list();
    let index = signpost::search::SearchIndex::open_or_create(&dir.join("tantivy")).unwrap();
    let mut indexer = index
        .indexer(signpost::search::index::REBUILD_WRITER_HEAP)
        .unwrap();
    let mut order: Vec<(u64, u64)> = (1..=listings)
        .map(|n| {
            let l = signpost::synth::listing(seed, n, taxonomy, &districts);
            (signpost::search::schema::spatial_key(&l), n)
        })
        .collect();
    if !unordered {
        order.sort_unstable();
    }
    let all = order.into_iter().map(|(_, n)| {
        let mut l = signpost::synth::listing(seed, n, taxonomy, &districts);
        l.id = n as i64;
        l
    });
    let n = indexer.add_documents(all, taxonomy).unwrap();
    indexer.commit(listings as i64).unwrap();
    indexer.finish().unwrap();
    n
}
