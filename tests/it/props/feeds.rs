//! Feeds and files from outside: RPDE pages and the OpenActive items on them, Open
//! Referral (HSDS / ORUK 1.0 and 3.0) JSON, CSV rows and column mappings, and JSON-LD
//! in web pages. Each starts from a real sample and is broken in generated ways.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Value, json};
use signpost::ingest::openactive::{self, map};
use signpost::ingest::table::{self, Mapping};
use signpost::ingest::{openreferral, webpage};
use signpost::listing::{Listing, Taxonomy, validate};
use signpost::store::StoredItem;

use super::{config, edge_string, edge_value, edits, json_round_trip, mutate, within};
use crate::common;

fn taxonomy() -> &'static Taxonomy {
    Taxonomy::embedded()
}

fn rpde_sample() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        common::shared_json("openactive/real-feeds/active-newham_sessions_20200102.rpde.json")
    })
}

/// A listing that came out of a parser: within the model's limits once tidied, and
/// the same after a trip through JSON.
fn check_listing(mut l: Listing) {
    let _ = validate::tidy_and_check_imported(&mut l, taxonomy());
    json_round_trip(&l);
}

/// The real page cut to `n` items (the whole page is 269; a few dozen keep a case fast).
fn rpde_page(n: usize) -> Value {
    let mut page = rpde_sample().clone();
    let items = page["items"].as_array_mut().unwrap();
    // Updated items carry the data worth breaking; keep them first.
    items.sort_by_key(|i| i["state"] != "updated");
    items.truncate(n);
    page
}

proptest! {
    #![proptest_config(config(48))]

    /// A broken RPDE page: read without a panic, one result per item, and every group
    /// of updated items becomes a listing (or a reason) that survives validation and
    /// a JSON round trip.
    #[test]
    fn rpde_pages_and_items(n in 1usize..40, e in edits(12)) {
        let page = mutate(&rpde_page(n), &e);
        let bytes = serde_json::to_vec(&page).unwrap();
        let parsed = within(Duration::from_secs(2), "parse_page", || openactive::parse_page(&bytes));
        let Ok(parsed) = parsed else { return Ok(()) };
        let expected = page["items"].as_array().map_or(0, Vec::len);
        prop_assert_eq!(parsed.items.len(), expected);
        let mut groups: BTreeMap<String, Vec<StoredItem>> = BTreeMap::new();
        for item in parsed.items.into_iter().flatten() {
            let Some(data) = item.data else { continue };
            let key = map::group_key("feed", &item.id, &data);
            groups.entry(key).or_default().push(StoredItem {
                feed: "feed".into(),
                item_id: item.id,
                kind: item.kind,
                data: data.to_string(),
            });
        }
        within(Duration::from_secs(5), "listing_for_group", || {
            for (key, items) in &groups {
                if let Ok(Some(l)) =
                    map::listing_for_group("newham", key, items, taxonomy(), common::now())
                {
                    check_listing(l);
                }
            }
        });
    }

    /// Pages that are barely RPDE: any JSON at all, and any bytes.
    #[test]
    fn rpde_any_json_or_bytes(v in edge_value(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let page = json!({ "items": [ { "id": "1", "state": "updated", "modified": 1, "data": v.clone() } ], "next": v });
        let _ = openactive::parse_page(page.to_string().as_bytes());
        let _ = openactive::parse_page(&bytes);
    }
}

/// The real Open Referral samples: ORUK 3.0 (the UK profile's example and the
/// validator's passing, warning and failing mocks) and HSDS 3.0.
fn oruk_samples() -> &'static Vec<Value> {
    static V: OnceLock<Vec<Value>> = OnceLock::new();
    V.get_or_init(|| {
        [
            "oruk/uk-profile-3.0/examples/service_full.json",
            "oruk/validator-mocks/V3.0-UK-Warn/service_full.json",
            "oruk/validator-mocks/V3.0-UK-Warn/service_list.json",
            "oruk/validator-mocks/V3.0-UK-Fail/service_list.json",
            "oruk/validator-mocks/V3.0-UK-Test/service_list.json",
            "openreferral/hsds-3.0/examples/service_full.json",
        ]
        .iter()
        .filter(|p| common::shared(p).exists())
        .map(|p| common::shared_json(p))
        .collect()
    })
}

/// An ORUK 1.0 service (the shape the 1.0 API returns: `regular_schedules`,
/// `service_at_locations` with `physical_addresses`, `service_taxonomys`), each value
/// valid-shaped or an edge value.
fn oruk_1_service() -> impl Strategy<Value = Value> {
    let text = || prop_oneof![3 => "[A-Za-z ]{1,30}".prop_map(Value::String), 1 => edge_value()];
    let day = prop_oneof![
        3 => prop::sample::select(vec!["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "MO", "SU"]).prop_map(|s| json!(s)),
        1 => edge_value(),
    ];
    let time = prop_oneof![3 => "([01][0-9]|2[0-4]):[0-6][0-9](:[0-9]{2})?".prop_map(Value::String), 1 => edge_value()];
    (
        (text(), text(), text(), prop_oneof![Just(json!("active")), Just(json!("inactive")), edge_value()]),
        (day, time.clone(), time, prop_oneof![Just(json!("WEEKLY")), Just(json!("MONTHLY")), edge_value()]),
        (text(), prop_oneof!["[A-Z]{1,2}[0-9]{1,2} ?[0-9][A-Z]{2}".prop_map(Value::String), edge_value()], edge_value(), edge_value()),
        (text(), edge_value(), edge_value()),
    )
        .prop_map(|((name, desc, org, status), (day, opens, closes, freq), (addr, pc, lat, lon), (term, min_age, cost))| {
            json!({
                "id": "svc-1",
                "name": name,
                "description": desc,
                "status": status,
                "organization": { "id": "org-1", "name": org },
                "regular_schedules": [ { "id": "s1", "weekday": day.clone(), "byday": day, "opens_at": opens, "closes_at": closes, "freq": freq } ],
                "service_at_locations": [ { "id": "sal", "location": { "id": "loc", "name": addr.clone(), "latitude": lat, "longitude": lon,
                    "physical_addresses": [ { "id": "a", "address_1": addr, "city": "Sale", "postal_code": pc } ] } } ],
                "service_taxonomys": [ { "id": "t", "taxonomy": { "id": "x", "name": term } } ],
                "eligibilitys": [ { "id": "e", "minimum_age": min_age, "maximum_age": 120 } ],
                "cost_options": [ { "id": "c", "amount": cost, "option": "Adult" } ],
                "contacts": [ { "id": "k", "phones": [ { "id": "p", "number": "0161 000 0000" } ] } ],
            })
        })
}

fn check_openreferral(bytes: &[u8]) -> Result<(), TestCaseError> {
    let decoded = within(Duration::from_secs(3), "openreferral::decode", || {
        openreferral::decode(bytes, taxonomy(), common::now().date())
    });
    if let Ok(d) = decoded {
        // Bounded output: no more listings than services could hold.
        prop_assert!(d.candidates.len() <= bytes.len() / 2 + 1);
        for l in d.candidates.into_iter().flatten() {
            check_listing(l);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn oruk_3_samples_mutated(which in any::<prop::sample::Index>(), e in edits(10)) {
        let samples = oruk_samples();
        prop_assume!(!samples.is_empty());
        let v = mutate(which.get(samples), &e);
        check_openreferral(&serde_json::to_vec(&v).unwrap())?;
    }

    #[test]
    fn oruk_1_services(s in oruk_1_service(), as_list in any::<bool>(), e in edits(4)) {
        let s = mutate(&s, &e);
        let doc = if as_list {
            json!({ "totalElements": 1, "totalPages": 1, "number": 1, "size": 1, "first": true, "last": true, "content": [s] })
        } else {
            s
        };
        check_openreferral(&serde_json::to_vec(&doc).unwrap())?;
    }
}

/// A mapping that reads every column there is, from a file whose header names them.
const EVERY_COLUMN: &[&str] = &[
    "id",
    "title",
    "summary",
    "description",
    "organisation",
    "email",
    "phone",
    "website",
    "venue_name",
    "address",
    "postcode",
    "lat",
    "lon",
    "days",
    "start",
    "end",
    "frequency",
    "week_of_month",
    "starting",
    "date",
    "cost",
    "free",
    "concessions",
    "ages",
    "age_min",
    "age_max",
    "types",
    "access_notes",
    "join_details",
    "schedule_note",
    "step_free",
];

fn every_column_mapping() -> Mapping {
    let mut toml = String::from("[columns]\nsource_id = \"{id}-{title}\"\n");
    for c in &EVERY_COLUMN[1..EVERY_COLUMN.len() - 1] {
        toml.push_str(&format!("{c} = \"{c}\"\n"));
    }
    toml.push_str("[access]\nstep-free = \"step_free\"\n[skip]\nfree = [\"skip me\"]\n[types]\n\"Knit\" = \"arts-crafts\"\n");
    Mapping::parse(&toml, taxonomy()).unwrap()
}

/// A cell: a valid value for some column, or an edge value.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "Monday", "Mon, Wed", "Tuesdays", "10:00", "10am", "7.30pm", "noon", "weekly",
            "fortnightly", "monthly", "last", "first", "2", "29/03/2026", "2026-10-25", "£3",
            "3.50", "Free", "yes", "no", "n/a", "18+", "5-11", "over 50s", "M33 7XX", "53.42",
            "-2.31", "a@b.org", "0161 000 0000", "https://example.org", "Knit", "walking",
        ]).prop_map(String::from),
        2 => edge_string(),
        1 => "[\"\\r\\n,;]{1,5}",
    ]
}

proptest! {
    #![proptest_config(config(48))]

    /// Rows of anything under a header naming every column: one candidate per data
    /// row, each a listing that survives validation and a JSON round trip, or reasons.
    #[test]
    fn csv_rows(rows in prop::collection::vec(prop::collection::vec(cell(), 0..EVERY_COLUMN.len() + 3), 0..12),
                crlf in any::<bool>(), bom in any::<bool>(), latin1 in any::<bool>()) {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        w.write_record(EVERY_COLUMN).unwrap();
        for r in &rows {
            // An empty record would be written as an empty line, which readers skip.
            if r.is_empty() { w.write_record([""; 1]).unwrap() } else { w.write_record(r).unwrap() }
        }
        let mut bytes = w.into_inner().unwrap();
        if latin1 {
            // Not UTF-8: read as Windows-1252 with a warning.
            bytes.push(0xE9);
        }
        if bom {
            bytes.splice(0..0, [0xEF, 0xBB, 0xBF]);
        }
        let m = every_column_mapping();
        let d = within(Duration::from_secs(3), "table::decode", || table::decode(&bytes, &m, taxonomy()));
        let d = d.unwrap();
        prop_assert_eq!(d.candidates.len(), d.rows.len());
        prop_assert!(d.candidates.len() <= rows.len() + 1, "{} candidates from {} rows", d.candidates.len(), rows.len());
        for l in d.candidates.into_iter().flatten() {
            check_listing(l);
        }
    }

    /// A shipped mapping with lines changed or added: read, or refused with a message.
    #[test]
    fn csv_mappings(which in 0usize..2, line in any::<prop::sample::Index>(),
                    key in prop::sample::select(EVERY_COLUMN.to_vec()), value in edge_string(),
                    replace in any::<bool>()) {
        let name = ["trafford-sports-clubs.toml", "trafford-sport-facilities.toml"][which];
        let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/mappings").join(name)).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let new = format!("{key} = {}", toml_string(&value));
        let i = line.index(lines.len());
        if replace { lines[i] = new } else { lines.insert(i, new) }
        match Mapping::parse(&lines.join("\n"), taxonomy()) {
            Ok(m) => {
                // And the real file still reads through it, row by row.
                let csv = std::fs::read(common::shared("community/trafford-datalab/sports_clubs/sports_clubs.csv")).unwrap();
                if let Ok(d) = table::decode(&csv, &m, taxonomy()) {
                    prop_assert!(d.candidates.len() <= 140);
                }
            }
            Err(e) => prop_assert!(!e.trim().is_empty()),
        }
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The OpenActive examples, as JSON-LD that a group's own page might carry.
fn jsonld_samples() -> &'static Vec<Value> {
    static V: OnceLock<Vec<Value>> = OnceLock::new();
    V.get_or_init(|| {
        let dir = common::shared("openactive/data-models/2.x/examples");
        let mut out: Vec<Value> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                (p.extension()? == "json")
                    .then(|| serde_json::from_slice(&std::fs::read(p).ok()?).ok())?
            })
            .collect();
        out.sort_by_key(|v| v.to_string());
        out
    })
}

proptest! {
    #![proptest_config(config(48))]

    /// A web page with broken JSON-LD blocks among broken HTML: read without a panic,
    /// each item a listing-to-be with the page's address, bounded by the blocks given.
    #[test]
    fn jsonld_pages(blocks in prop::collection::vec((any::<prop::sample::Index>(), edits(6)), 0..4),
                    junk in prop::collection::vec(edge_string(), 0..4),
                    as_json in any::<bool>(), graph in any::<bool>()) {
        let samples = jsonld_samples();
        let nodes: Vec<Value> = blocks.iter().map(|(i, e)| mutate(i.get(samples), e)).collect();
        let (body, ct) = if as_json {
            let v = if graph { json!({ "@context": "https://schema.org", "@graph": nodes }) } else { Value::Array(nodes.clone()) };
            (serde_json::to_vec(&v).unwrap(), Some("application/ld+json"))
        } else {
            let mut html = String::from("<!doctype html><html><head><title>Group</title>");
            for (i, n) in nodes.iter().enumerate() {
                let text = n.to_string().replace("</", "<\\/");
                html.push_str(&format!("<script type=\"application/ld+json\">{text}</script>"));
                if let Some(j) = junk.get(i) {
                    html.push_str(j);
                }
            }
            // An unclosed block and a block that is not JSON.
            html.push_str("<script type=\"application/ld+json\">{\"@type\": \"Event\", </script><script type=\"application/ld+json\">");
            if graph { html.push_str(&junk.concat()); }
            (html.into_bytes(), None)
        };
        let (items, problems) = within(Duration::from_secs(3), "page_items", || {
            webpage::page_items("https://group.example.org/page", &body, ct)
        });
        // Items come from nodes and their sub-events; nothing is made from nothing.
        let ceiling = body.len();
        prop_assert!(items.len() + problems.len() <= ceiling);
        for p in &problems {
            prop_assert!(!p.trim().is_empty());
        }
    }
}

/// Found by `oruk_1_services`: a session "23:06:15" was held with its seconds, which
/// the listing's JSON (and so the store) drops; a session from 10:00:00 to 10:00:30
/// passed the checks and was stored ending when it starts. Seconds now go before the
/// checks, so the stored listing is the checked one.
#[test]
fn schedule_times_are_kept_to_the_minute_before_the_checks() {
    let service = |opens: &str, closes: &str| {
        json!({
            "id": "svc-1", "name": "Evening walk", "description": "A walk.", "status": "active",
            "organization": { "id": "org-1", "name": "Walkers" },
            "regular_schedules": [ { "id": "s1", "weekday": "Saturday", "opens_at": opens, "closes_at": closes, "freq": "WEEKLY" } ],
        })
    };
    let read = |v: Value| -> (Listing, Vec<validate::Problem>) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let mut l = openreferral::decode(&bytes, taxonomy(), common::now().date())
            .unwrap()
            .candidates
            .pop()
            .unwrap()
            .unwrap();
        let problems = validate::tidy_and_check_imported(&mut l, taxonomy());
        (l, problems)
    };
    let (l, _) = read(service("23:06:15", "23:40:00"));
    let start = l.schedule.sessions[0].start;
    assert_eq!(start.format("%H:%M:%S").to_string(), "23:06:00");
    json_round_trip(&l);
    let (_, problems) = read(service("10:00:00", "10:00:30"));
    assert!(
        problems.iter().any(|p| p.message.contains("ends")),
        "a session ending the minute it starts passed: {problems:?}"
    );
}
