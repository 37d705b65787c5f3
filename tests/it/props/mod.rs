//! Property tests for every parser of untrusted input (issue 13, part 4).
//!
//! Examples prove the cases someone thought of; these generate the ones nobody did.
//! Inputs are structured, not only random bytes: real samples from `../shared/data/`
//! with parts deleted or replaced by edge values (wrong types, huge numbers, empty and
//! hostile strings, dates on the UK clock changes), and valid-shaped values built from
//! each format's own vocabulary. Every property checks that nothing panics, that each
//! case finishes in bounded time, and that the output is bounded by the input; where a
//! round trip exists (listing → JSON → listing, request → query string → request,
//! schedule → dates → rule) it checks that too.
//!
//! The case counts are small and fixed so the whole set runs in seconds in CI; set
//! `PROPTEST_CASES` to run more locally. A failure found here that was a real bug is
//! kept as an example test next to the code it fixed.

mod feeds;
mod forms;
mod queries;
mod schedule;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common;

/// The demo directory, shared by the properties that search or look up postcodes.
pub fn demo() -> &'static common::TestApp {
    static T: std::sync::OnceLock<common::TestApp> = std::sync::OnceLock::new();
    T.get_or_init(common::TestApp::with_demo)
}

/// Cases per property: `PROPTEST_CASES` when set, else `default`.
pub fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Shrinking a slow input can take long; a failure is reported as found.
        max_shrink_time: 30_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `f`, failing if it took longer than `limit` (a parser that is quadratic in
/// some input shows up here long before it shows up in production).
pub fn within<T>(limit: Duration, what: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    assert!(took < limit, "{what} took {took:?} (limit {limit:?})");
    out
}

/// Strings that have broken parsers before: empty, blank, control characters,
/// right-to-left marks, emoji, markup, SQL, very long, and dates and times on the
/// edges (the UK clock changes, 24:00, leap days).
pub fn edge_string() -> impl Strategy<Value = String> {
    let fixed: Vec<String> = [
        "",
        " ",
        "\t\r\n",
        "\u{0}",
        "\u{feff}",
        "\u{202e}abc",
        "💩🏳️‍🌈",
        "Ω≈ç√∫",
        "<script>alert(1)</script>",
        "'; DROP TABLE listings; --",
        "javascript:alert(1)",
        "//evil.example/",
        "null",
        "NaN",
        "-0",
        "1e400",
        "99999999999999999999999",
        "2026-03-29T01:30:00",
        "2026-03-29T01:30:00Z",
        "2026-10-25T01:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        "2024-02-29",
        "2025-02-29",
        "0000-01-01",
        "9999-12-31T23:59:59",
        "24:00",
        "23:60",
        "00:00",
        "12:00:00.000000001",
        "P1W",
        "P14D",
        "P1M",
        "PT-1H",
        "P99999999999Y",
        "Monday",
        "https://schema.org/Sunday",
        "schema:Tuesday",
        "M1 1AA",
        "GIR 0AA",
        "m11aa",
        "53.4,-2.3",
        "-91,181",
        "mailto:a@b.org",
        "tel:+44 161 000 0000",
        "http://",
        "https://example.org/a?b=c#d",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    prop_oneof![
        4 => prop::sample::select(fixed),
        2 => prop::sample::select(common::hostile_strings().clone()),
        2 => any::<String>(),
        1 => (1usize..3).prop_map(|n| "a".repeat(n * 6_000)),
        1 => (1usize..200).prop_map(|n| "<b>".repeat(n)),
    ]
}

/// A JSON scalar (or small structure) that a field should not hold, or just might.
pub fn edge_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        3 => edge_string().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<u64>().prop_map(|n| json!(n)),
        1 => prop::num::f64::NORMAL.prop_map(|f| json!(f)),
        1 => Just(json!(1e308)),
        1 => Just(json!(-0.0)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[@a-zA-Z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One change to a JSON document: which node (an index taken modulo the number of
/// nodes) and what to do to it.
#[derive(Debug, Clone)]
pub enum Edit {
    Delete(usize),
    Replace(usize, Value),
    /// Put an array where a single value was, or a single value where an array was.
    Wrap(usize),
}

pub fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        2 => any::<usize>().prop_map(Edit::Delete),
        5 => (any::<usize>(), edge_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => any::<usize>().prop_map(Edit::Wrap),
    ];
    prop::collection::vec(edit, 0..max)
}

/// Every JSON pointer in `v` except the root.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        _ => {}
    }
}

/// `doc` with `edits` applied, in order.
pub fn mutate(doc: &Value, edits: &[Edit]) -> Value {
    let mut doc = doc.clone();
    for e in edits {
        let mut ps = Vec::new();
        pointers(&doc, String::new(), &mut ps);
        if ps.is_empty() {
            break;
        }
        let (i, what) = match e {
            Edit::Delete(i) => (*i, None),
            Edit::Replace(i, v) => (*i, Some(v.clone())),
            Edit::Wrap(i) => (*i, Some(Value::Null)),
        };
        let p = &ps[i % ps.len()];
        let (parent, key) = p.rsplit_once('/').unwrap();
        let key = key.replace("~1", "/").replace("~0", "~");
        let Some(parent) = doc.pointer_mut(parent) else {
            continue;
        };
        match (parent, what, e) {
            (Value::Object(m), None, _) => {
                m.remove(&key);
            }
            (Value::Array(a), None, _) => {
                let i: usize = key.parse().unwrap();
                a.remove(i);
            }
            (parent, Some(_), Edit::Wrap(_)) => {
                let slot = slot(parent, &key);
                *slot = match slot.take() {
                    Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
                    other => Value::Array(vec![other]),
                };
            }
            (parent, Some(v), _) => *slot(parent, &key) = v,
            _ => {}
        }
    }
    doc
}

fn slot<'a>(parent: &'a mut Value, key: &str) -> &'a mut Value {
    match parent {
        Value::Object(m) => m.get_mut(key).unwrap(),
        Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
        _ => unreachable!("a pointer's parent is an object or an array"),
    }
}

/// A listing's JSON as the API writes it read back through the `signpost` importer:
/// the same listing, to the bit (floats included).
pub fn json_round_trip(l: &signpost::listing::Listing) {
    let text = serde_json::to_string(&[l]).unwrap();
    let back = signpost::ingest::decode(text.as_bytes(), signpost::ingest::Format::Signpost)
        .unwrap()
        .pop()
        .unwrap()
        .unwrap_or_else(|p| panic!("{l:?} did not read back: {p:?}"));
    assert_eq!(&back, l, "listing → JSON → listing changed it");
}
