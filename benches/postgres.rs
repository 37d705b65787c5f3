//! Side by side with PostgreSQL full text search + PostGIS: the same generated listings
//! (same seed) in both, the same four query classes as `benches/search.rs`, in one
//! run, with the totals and counts per type compared on a sample.
//!
//! Run it through `benches/postgres/run.sh` (it installs PostgreSQL 15 and PostGIS
//! when absent, starts a private cluster on a Unix socket, runs this, stops the
//! cluster): `benches/postgres/run.sh --listings 100000 --queries 300`. Directly:
//! `cargo bench --features bench --bench postgres -- --conn "host=/tmp/x port=5433
//! user=postgres dbname=postgres" --listings 100000`.
//!
//! The PostgreSQL side is written as a good engineer would for this job (the schema is
//! in `SCHEMA` below): one weighted `tsvector` (title A, type and feature labels B,
//! organisation and summary C, description and notes D) with a GIN index, a
//! `geography` point with a GiST index (`ST_DWithin`, `<->` for nearest first), GIN
//! indexes on every array filter, exact totals and counts per type. Each search is
//! asked exactly as Signpost asks it: Signpost's own text plan ([`Engine::text_plan`])
//! gives the groups of words, their thesaurus expansions (names and labels: weights
//! A and B; for a need in a person's words also descriptions, not organisations:
//! weights A to D here, as C also holds the organisation) and activity types, and how many groups must match; a word
//! neither index has seen is looked up as a typo in a `pg_trgm` vocabulary table.
//! Both sides count every match exactly here (Signpost with `exact_counts`), so they
//! do the same work.

#[path = "common/cases.rs"]
mod cases;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};
use signpost::geo::locate::Located;
use signpost::listing::{Listing, Taxonomy};
use signpost::search::schema::{Reach, details, labels};
use signpost::search::text::PlannedGroup;
use signpost::search::{Engine, SearchIndex, SearchRequest, Sort};
use signpost::synth;

const SCHEMA: &str = "
DROP TABLE IF EXISTS listing, vocab;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE TABLE listing (
    id bigint PRIMARY KEY,
    title text NOT NULL,
    org text NOT NULL,
    labels text NOT NULL,
    summary text NOT NULL,
    details text NOT NULL,
    types text[] NOT NULL,
    access text[] NOT NULL,
    free boolean NOT NULL,
    days text[] NOT NULL,
    times text[] NOT NULL,
    modes text[] NOT NULL,
    age_min smallint NOT NULL,
    age_max smallint NOT NULL,
    anywhere boolean NOT NULL,
    areas text[] NOT NULL,
    geog geography(Point, 4326),
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', labels), 'B') ||
        setweight(to_tsvector('english', org || ' ' || summary), 'C') ||
        setweight(to_tsvector('english', details), 'D')
    ) STORED
);
CREATE TABLE vocab (word text PRIMARY KEY);
";

const INDEXES: &str = "
CREATE INDEX listing_tsv ON listing USING gin (tsv);
CREATE INDEX listing_geog ON listing USING gist (geog);
CREATE INDEX listing_types ON listing USING gin (types);
CREATE INDEX listing_access ON listing USING gin (access);
CREATE INDEX listing_days ON listing USING gin (days);
CREATE INDEX listing_times ON listing USING gin (times);
CREATE INDEX listing_modes ON listing USING gin (modes);
CREATE INDEX listing_areas ON listing USING gin (areas);
CREATE INDEX listing_free ON listing (free) WHERE free;
CREATE INDEX listing_anywhere ON listing (anywhere) WHERE anywhere;
CREATE INDEX listing_ages ON listing (age_min, age_max);
CREATE INDEX vocab_trgm ON vocab USING gin (word gin_trgm_ops);
";

const METRES_PER_MILE: f64 = 1609.344;

struct Opts {
    listings: u64,
    seed: u64,
    queries: usize,
    check: usize,
    conn: String,
    dir: Option<PathBuf>,
    reuse: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        listings: 100_000,
        seed: 42,
        queries: 300,
        check: 50,
        conn: std::env::var("SIGNPOST_PG").unwrap_or_default(),
        dir: None,
        reuse: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let next = args.get(i + 1).cloned().unwrap_or_default();
        let mut took = true;
        match args[i].as_str() {
            "--listings" => o.listings = next.replace('_', "").parse().expect("--listings N"),
            "--seed" => o.seed = next.parse().expect("--seed N"),
            "--queries" => o.queries = next.parse().expect("--queries N"),
            "--check" => o.check = next.parse().expect("--check N"),
            "--conn" => o.conn = next,
            "--dir" => o.dir = Some(PathBuf::from(next)),
            "--reuse" => {
                o.reuse = true;
                took = false;
            }
            _ => took = false, // cargo bench passes --bench
        }
        i += if took { 2 } else { 1 };
    }
    assert!(
        !o.conn.is_empty(),
        "give --conn \"host=... port=... user=... dbname=...\" (or run benches/postgres/run.sh)"
    );
    o
}

fn main() {
    let o = opts();
    let taxonomy = Taxonomy::embedded();
    let districts = synth::district_list();
    let dir = o.dir.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("bench-pg-{}-{}", o.listings, o.seed))
    });
    let mut db = Client::connect(&o.conn, NoTls).expect("connect to PostgreSQL");
    let loaded: i64 = db
        .query_opt(
            "SELECT count(*) FROM listing WHERE to_regclass('listing') IS NOT NULL",
            &[],
        )
        .ok()
        .flatten()
        .map_or(-1, |r| r.get(0));
    let reuse = o.reuse && loaded == o.listings as i64 && dir.join("tantivy").exists();
    if !reuse {
        let t = Instant::now();
        let n = cases::build_index(&dir, o.listings, o.seed, false);
        println!(
            "Signpost: indexed {n} listings in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        load(&mut db, &o, taxonomy, &districts, &SignpostWords::new(&dir));
    } else {
        println!("reusing the loaded table and index ({loaded} listings)");
    }
    let index = SearchIndex::open_or_create(&dir.join("tantivy")).unwrap();
    let engine = Engine::new(index, taxonomy);
    compare(&o, &engine, &mut db, &districts);
}

/// The folded words of the index's `words` field, for the typo vocabulary.
struct SignpostWords(tantivy::tokenizer::TextAnalyzer);

impl SignpostWords {
    fn new(dir: &std::path::Path) -> SignpostWords {
        let index = SearchIndex::open_or_create(&dir.join("tantivy")).unwrap();
        SignpostWords(signpost::search::text::analyzers(&index.index).0)
    }

    fn add(&self, text: &str, into: &mut HashSet<String>) {
        let mut a = self.0.clone();
        let mut s = a.token_stream(text);
        while let Some(t) = s.next() {
            if !into.contains(&t.text) {
                into.insert(t.text.clone());
            }
        }
    }
}

/// COPY text format: backslash, tab, newline and carriage return escaped.
fn copy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A text array literal of slugs and codes (letters, digits, hyphens).
fn array<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    format!("{{{}}}", items.join(","))
}

fn load(
    db: &mut Client,
    o: &Opts,
    taxonomy: &Taxonomy,
    districts: &[(String, f64, f64)],
    words: &SignpostWords,
) {
    let t = Instant::now();
    db.batch_execute(SCHEMA).expect("create the schema");
    let today = signpost::clock::uk_now().date();
    let mut vocab = HashSet::new();
    {
        let mut w = db
            .copy_in(
                "COPY listing (id, title, org, labels, summary, details, types, access, free, \
                 days, times, modes, age_min, age_max, anywhere, areas, geog) FROM STDIN",
            )
            .expect("COPY");
        let mut buf = String::new();
        for n in 1..=o.listings {
            let mut l: Listing = synth::listing(o.seed, n, taxonomy, districts);
            l.id = n as i64;
            let tags = labels(&l, taxonomy);
            let reach = Reach::of(&l);
            for text in [
                l.title.as_str(),
                &l.organisation.name,
                &tags,
                &l.summary,
                &l.description,
            ] {
                words.add(text, &mut vocab);
            }
            let geog = reach.point.map_or("\\N".to_string(), |(lat, lon)| {
                format!("SRID=4326;POINT({lon} {lat})")
            });
            let fields = [
                l.id.to_string(),
                copy_text(&l.title),
                copy_text(&l.organisation.name),
                copy_text(&tags),
                copy_text(&l.summary),
                copy_text(&details(&l)),
                array(&l.types),
                array(&l.access.features),
                l.cost.free.to_string(),
                array(l.schedule.days(today).iter().map(|d| d.slug())),
                array(l.schedule.times_of_day(today)),
                array(l.modes.iter().map(|m| m.slug())),
                l.audience.age_min.unwrap_or(0).to_string(),
                l.audience.age_max.unwrap_or(u8::MAX).to_string(),
                reach.anywhere.to_string(),
                array(reach.areas),
                geog,
            ];
            buf.push_str(&fields.join("\t"));
            buf.push('\n');
            if buf.len() > 1 << 20 {
                w.write_all(buf.as_bytes()).unwrap();
                buf.clear();
            }
        }
        w.write_all(buf.as_bytes()).unwrap();
        w.finish().expect("COPY finished");
    }
    {
        let mut w = db.copy_in("COPY vocab (word) FROM STDIN").unwrap();
        let mut buf = String::new();
        for word in &vocab {
            buf.push_str(&copy_text(word));
            buf.push('\n');
        }
        w.write_all(buf.as_bytes()).unwrap();
        w.finish().unwrap();
    }
    let copied = t.elapsed().as_secs_f64();
    db.batch_execute(INDEXES).expect("create the indexes");
    // Each on its own: VACUUM cannot run inside the transaction a batch is.
    for table in ["listing", "vocab"] {
        db.batch_execute(&format!("VACUUM ANALYZE {table}"))
            .expect("VACUUM ANALYZE");
    }
    let size: i64 = db
        .query_one("SELECT pg_total_relation_size('listing')", &[])
        .unwrap()
        .get(0);
    println!(
        "PostgreSQL: loaded {} listings in {:.1} s (COPY with the tsvector {:.1} s, indexes and ANALYZE {:.1} s), {} MB with indexes; vocabulary {} words",
        o.listings,
        t.elapsed().as_secs_f64(),
        copied,
        t.elapsed().as_secs_f64() - copied,
        size / 1_000_000,
        vocab.len()
    );
}

/// A string literal for SQL (the words are the analyzers' tokens, but quote anyway).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Words in order as a tsquery, optionally only in some weights: `a:AB <-> b:AB`.
fn phrase(stems: &[String], weights: &str) -> String {
    let words: Vec<String> = stems
        .iter()
        .map(|s| {
            let s = s.replace(['\'', '\\', ':', '&', '|', '!', '(', ')', '<', '>'], "");
            if weights.is_empty() {
                format!("'{s}'")
            } else {
                format!("'{s}':{weights}")
            }
        })
        .collect();
    format!("({})", words.join(" <-> "))
}

/// A group as SQL: a condition and a tsquery for ranking. Words unknown to the
/// vocabulary are looked up as typos (distance 1, or 2 for eight letters or more).
fn group_sql(db: &mut Client, g: &PlannedGroup, optional: bool) -> (String, String) {
    let mut tsq = Vec::new();
    let mut cond = Vec::new();
    let literal_weights = if optional { "ABC" } else { "" };
    tsq.push(phrase(&g.stems, literal_weights));
    let expansion_weights = if g.expansions_in_descriptions {
        "ABCD"
    } else {
        "AB"
    };
    for e in &g.expansions {
        tsq.push(phrase(e, expansion_weights));
    }
    if g.plain && !optional {
        let word = &g.words[0];
        let known = |db: &mut Client, w: &str| -> bool {
            db.query_one("SELECT EXISTS (SELECT 1 FROM vocab WHERE word = $1)", &[&w])
                .unwrap()
                .get(0)
        };
        if !known(db, word) {
            if let Some(plain) = word.strip_suffix('s').filter(|p| p.len() >= 3)
                && known(db, plain)
            {
                tsq.push(phrase(&[plain.to_string()], ""));
            }
            let len = word.chars().count();
            if len >= 4 && !word.chars().all(|c| c.is_ascii_digit()) {
                let d: i32 = if len >= 8 { 2 } else { 1 };
                let rows = db
                    .query(
                        "SELECT word FROM vocab WHERE word % $1 \
                         AND levenshtein_less_equal(word, $1, $2) <= $2",
                        &[word, &d],
                    )
                    .unwrap();
                for r in rows {
                    let w: String = r.get(0);
                    tsq.push(phrase(&[w], ""));
                }
            }
        }
    }
    let tsquery = format!("to_tsquery('english', {})", lit(&tsq.join(" | ")));
    cond.push(format!("tsv @@ {tsquery}"));
    if !g.types.is_empty() {
        cond.push(format!("types && {}::text[]", lit(&array(&g.types))));
    }
    (format!("({})", cond.join(" OR ")), tsquery)
}

/// The whole search as one statement: matches (materialised once), the exact total,
/// exact counts per type, the ten best ids; then the ten cards.
fn search_sql(
    db: &mut Client,
    engine: &Engine,
    req: &SearchRequest,
    at: Option<&Located>,
) -> String {
    let mut conds = Vec::new();
    let mut rank_parts = Vec::new();
    if let Some(plan) = engine.text_plan(&req.q) {
        let required: Vec<(String, String)> = plan
            .required
            .iter()
            .map(|g| group_sql(db, g, false))
            .collect();
        if required.len() == plan.min_required {
            for (c, _) in &required {
                conds.push(c.clone());
            }
        } else {
            let sum: Vec<String> = required.iter().map(|(c, _)| format!("{c}::int")).collect();
            conds.push(format!("({}) >= {}", sum.join(" + "), plan.min_required));
        }
        rank_parts.extend(required.into_iter().map(|(_, q)| q));
        rank_parts.extend(plan.optional.iter().map(|g| group_sql(db, g, true).1));
    }
    if req.free {
        conds.push("free".into());
    }
    for a in &req.access {
        conds.push(format!("access @> ARRAY[{}]", lit(a)));
    }
    if !req.days.is_empty() {
        conds.push(format!(
            "days && {}::text[]",
            lit(&array(req.days.iter().map(|d| d.slug())))
        ));
    }
    if !req.times.is_empty() {
        conds.push(format!(
            "times && {}::text[]",
            lit(&array(req.times.iter().map(|t| t.slug())))
        ));
    }
    if let Some(age) = req.age {
        conds.push(format!("age_min <= {age} AND age_max >= {age}"));
    }
    let here = at.map(|l| {
        format!(
            "ST_SetSRID(ST_MakePoint({}, {}), 4326)::geography",
            l.lon, l.lat
        )
    });
    if let (Some(l), Some(here)) = (at, &here) {
        let areas: Vec<&str> = [l.district.as_deref(), l.area.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        conds.push(format!(
            "(ST_DWithin(geog, {here}, {}, false) OR anywhere OR areas && {}::text[])",
            req.within * METRES_PER_MILE,
            lit(&array(areas))
        ));
    }
    let rank = if rank_parts.is_empty() {
        "1.0::real".to_string()
    } else {
        format!(
            "ts_rank(tsv, {})",
            rank_parts
                .iter()
                .map(|q| format!("({q})"))
                .collect::<Vec<_>>()
                .join(" || ")
        )
    };
    let order = match (&here, req.sort) {
        (Some(here), Some(Sort::Distance)) => format!("geog <-> {here} NULLS LAST, id"),
        (Some(here), _) => format!(
            "{rank} * CASE WHEN geog IS NULL THEN 0.75 ELSE \
             0.5 + 0.5 * exp(-(ST_Distance(geog, {here}, false) / {METRES_PER_MILE} / 3.0) * ln(2)) END DESC, id"
        ),
        (None, _) => format!("{rank} DESC, id"),
    };
    let cond = if conds.is_empty() {
        "true".to_string()
    } else {
        conds.join(" AND ")
    };
    format!(
        "WITH m AS MATERIALIZED (SELECT id, types, tsv, geog FROM listing WHERE {cond}) \
         SELECT (SELECT count(*) FROM m), \
                (SELECT coalesce(json_object_agg(t, c)::text, '{{}}') FROM \
                    (SELECT t, count(*) AS c FROM m, unnest(m.types) AS t GROUP BY t) x), \
                (SELECT coalesce(array_agg(id), '{{}}') FROM (SELECT id FROM m ORDER BY {order} LIMIT {}) y)",
        req.page_size()
    )
}

struct PgAnswer {
    total: i64,
    per_type: BTreeMap<String, u64>,
}

fn run_pg(db: &mut Client, engine: &Engine, req: &SearchRequest, at: Option<&Located>) -> PgAnswer {
    let sql = search_sql(db, engine, req, at);
    let row = db
        .query_one(&sql, &[])
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    let total: i64 = row.get(0);
    let counts: String = row.get(1);
    let ids: Vec<i64> = row.get(2);
    // The result cards, as Signpost reads its ten.
    let cards = db
        .query(
            "SELECT id, title, summary, org, types, access, free, modes, \
             ST_Y(geog::geometry), ST_X(geog::geometry) FROM listing WHERE id = ANY($1)",
            &[&ids],
        )
        .unwrap();
    assert_eq!(cards.len(), ids.len());
    let per_type: BTreeMap<String, u64> = serde_json::from_str(&counts).unwrap();
    PgAnswer { total, per_type }
}

fn pct(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e3
}

fn compare(o: &Opts, engine: &Engine, db: &mut Client, districts: &[(String, f64, f64)]) {
    db.batch_execute("SET jit = off").unwrap();
    let now = signpost::clock::parse_now("2026-11-24T09:00").unwrap();
    let mut rng = fastrand::Rng::with_seed(o.seed + 1);
    let classes = cases::classes(districts);
    let exact = |r: &SearchRequest| SearchRequest {
        exact_counts: true,
        ..r.clone()
    };
    println!(
        "\n{} listings, {} queries per class, both counting every match exactly\n",
        o.listings, o.queries
    );
    println!(
        "| class | Signpost p50 | Signpost p99 | PostgreSQL p50 | PostgreSQL p99 | ratio p50 | ratio p99 | totals agree |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, make) in &classes {
        let cases: Vec<cases::Case> = (0..o.queries).map(|_| make(&mut rng)).collect();
        // Warm both up on the parts this class touches.
        for (r, l) in cases.iter().take(30) {
            engine.search(&exact(r), l.as_ref(), now).unwrap();
            run_pg(db, engine, r, l.as_ref());
        }
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut agree, mut checked, mut worst) = (0, 0, 0.0f64);
        for (i, (r, l)) in cases.iter().enumerate() {
            let req = exact(r);
            let t = Instant::now();
            let res = engine.search(&req, l.as_ref(), now).unwrap();
            ours.push(t.elapsed());
            let t = Instant::now();
            let pg = run_pg(db, engine, r, l.as_ref());
            theirs.push(t.elapsed());
            if i < o.check {
                checked += 1;
                let per_type: BTreeMap<String, u64> = res
                    .type_counts
                    .iter()
                    .map(|c| (c.slug.clone(), c.count))
                    .collect();
                if pg.total == res.total as i64 && pg.per_type == per_type {
                    agree += 1;
                } else {
                    let off =
                        (pg.total - res.total as i64).abs() as f64 / (res.total.max(1) as f64);
                    worst = worst.max(off);
                    if off > 0.02 {
                        println!(
                            "    differs: {:?} near {:?}: Signpost {} PostgreSQL {}",
                            r.q,
                            l.as_ref().map(|l| &l.label),
                            res.total,
                            pg.total
                        );
                    }
                }
            }
        }
        let (s50, s99) = (pct(&mut ours, 0.5), pct(&mut ours, 0.99));
        let (p50, p99) = (pct(&mut theirs, 0.5), pct(&mut theirs, 0.99));
        println!(
            "| {name} | {s50:.2} ms | {s99:.2} ms | {p50:.2} ms | {p99:.2} ms | {:.0}× | {:.0}× | {agree} of {checked} exactly{} |",
            p50 / s50,
            p99 / s99,
            if agree < checked {
                format!(", the rest within {:.1}%", worst * 100.0)
            } else {
                String::new()
            }
        );
    }
}
