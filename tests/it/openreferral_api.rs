//! Signpost's own Open Referral UK 3.0 API (`/openreferral/`), driven through the real
//! router with the demo content: every response validated against the UK profile's
//! JSON schemas from `../shared/data/oruk/uk-profile-3.0/` with a real JSON Schema
//! validator (formats checked: uuid, email, uri, date-time), the paging fields the
//! ORUK validator checks, search parameters served by the site's engine, stable ids,
//! incremental sync with withdrawals, CORS, 4xx JSON errors for bad parameters, and a
//! round trip: `signpost import` of this API into a fresh data directory.

use crate::common::{self, TestApp, fake_http, signpost_cmd};

use std::collections::{BTreeSet, HashMap};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use signpost::listing::{Listing, Status};
use signpost::publish::ids;

/// The UK profile's compiled service schema, with its definitions.
fn compiled() -> Value {
    common::shared_json("oruk/uk-profile-3.0/schema/compiled/service_with_definitions.json")
}

/// A validator for one definition of the compiled schema (or the service itself).
fn validator(definition: Option<&str>) -> jsonschema::Validator {
    let mut schema = compiled();
    if let Some(d) = definition {
        let defs = schema["definitions"].clone();
        schema = json!({ "definitions": defs, "$ref": format!("#/definitions/{d}") });
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the profile's schema compiles")
}

/// The ORUK page shape (the OpenAPI `Page` schema, every field required as the ORUK
/// validator requires them) around items of `item`.
fn page_validator(item: Option<&str>) -> jsonschema::Validator {
    let openapi = common::shared_json("oruk/uk-profile-3.0/schema/openapi.json");
    let mut page = openapi["components"]["schemas"]["Page"].clone();
    let fields = [
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    ];
    page["required"] = json!(fields);
    let defs = compiled()["definitions"].clone();
    let items = match item {
        Some(d) => json!({ "$ref": format!("#/definitions/{d}") }),
        None => {
            let mut service = compiled();
            service.as_object_mut().unwrap().remove("definitions");
            service
        }
    };
    page["properties"]["contents"] = json!({ "type": "array", "items": items });
    page["definitions"] = defs;
    jsonschema::options()
        .should_validate_formats(true)
        .build(&page)
        .expect("the page schema compiles")
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errs = errors(v, instance);
    assert!(
        errs.is_empty(),
        "{what} is not valid: {errs:#?}\n{instance:#}"
    );
}

/// What the ORUK validator checks of a page's fields beyond their types: that they
/// agree with each other and with the contents.
fn paging_problems(v: &Value) -> Vec<String> {
    let n = |k: &str| v[k].as_u64().unwrap_or(u64::MAX);
    let size = v["contents"].as_array().map_or(0, |c| c.len()) as u64;
    let (total, pages, page) = (n("total_items"), n("total_pages"), n("page_number"));
    let mut out = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            out.push(what.to_string());
        }
    };
    check(n("size") == size, "size is not the number of contents");
    check(size <= total, "more contents than total_items");
    check(v["empty"] == (size == 0), "empty disagrees with contents");
    check(
        v["first_page"] == (page == 1),
        "first_page disagrees with page_number",
    );
    check(
        v["last_page"] == (page >= pages),
        "last_page disagrees with total_pages",
    );
    check(
        pages >= 1 && (total == 0 || pages <= total),
        "total_pages out of range",
    );
    out
}

/// The page fields agree with each other and with the request.
#[track_caller]
fn assert_paging(v: &Value, page: u64, per_page: u64) {
    let problems = paging_problems(v);
    assert!(problems.is_empty(), "{problems:?}: {v}");
    let total = v["total_items"].as_u64().unwrap();
    let pages = v["total_pages"].as_u64().unwrap();
    let size = v["size"].as_u64().unwrap();
    assert_eq!(v["page_number"], page);
    assert_eq!(pages, total.div_ceil(per_page).max(1));
    let expected = if page < pages {
        per_page
    } else if page == pages {
        total - (pages - 1) * per_page
    } else {
        0
    };
    assert_eq!(size, expected, "page {page} of {pages}");
}

async fn ok(t: &TestApp, uri: &str) -> Value {
    let (status, v) = t.json(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    v
}

/// Every service on every page of `/openreferral/services{query}`.
async fn all_services(t: &TestApp, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let schema = page_validator(None);
    for page in 1.. {
        let v = ok(
            t,
            &format!("/openreferral/services?per_page=40&page={page}{query}"),
        )
        .await;
        assert_valid(&schema, &v, "a services page");
        assert_paging(&v, page, 40);
        out.extend(v["contents"].as_array().unwrap().iter().cloned());
        if v["last_page"] == true {
            break;
        }
    }
    out
}

fn published(t: &TestApp) -> Vec<Listing> {
    let mut out = Vec::new();
    t.app
        .store
        .for_each_published(|l| {
            out.push(l);
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn the_schema_harness_fails_what_the_oruk_validator_fails() {
    // The harness must be able to fail: the validator's own failing mocks fail it
    // (a bad e-mail, a URL that is not one, a service with no name, page fields that
    // disagree with the contents) and its passing ones pass.
    let mock = |kind: &str, file: &str| {
        common::shared_json(&format!("oruk/validator-mocks/V3.0-UK-{kind}/{file}.json"))
    };
    let service = validator(None);
    let fail = errors(&service, &mock("Fail", "service_full"));
    assert!(fail.iter().any(|e| e.contains("email")), "{fail:?}");
    assert_valid(&service, &mock("Warn", "service_full"), "the passing mock");
    let list = page_validator(None);
    let fail = mock("Fail", "service_list");
    let errs = errors(&list, &fail);
    assert!(errs.iter().any(|e| e.contains("name")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("uri")), "{errs:?}");
    assert!(!paging_problems(&fail).is_empty());
    let warn = mock("Warn", "service_list");
    assert_valid(&list, &warn, "the passing list");
    assert!(paging_problems(&warn).is_empty());
}

#[tokio::test]
async fn every_response_validates_against_the_uk_profile() {
    let t = TestApp::with_demo();
    let details = ok(&t, "/openreferral/").await;
    assert_eq!(details["version"], "HSDS-UK-3.0");
    for k in ["profile", "openapi_url"] {
        let u = details[k].as_str().unwrap();
        assert!(
            url::Url::parse(u).is_ok() && u.starts_with("https://"),
            "{k}: {u}"
        );
    }
    assert_eq!(ok(&t, "/openreferral").await, details);

    let service = validator(None);
    let pages = page_validator(None);
    let services = all_services(&t, "").await;
    assert_eq!(
        services.len(),
        published(&t).len(),
        "every published listing"
    );
    for page in [1, 2] {
        let v = ok(
            &t,
            &format!("/openreferral/services?page={page}&per_page=7"),
        )
        .await;
        assert_valid(&pages, &v, "a services page");
        assert_paging(&v, page, 7);
    }
    let past_end = ok(&t, "/openreferral/services?page=999").await;
    assert_valid(&pages, &past_end, "a page past the end");
    assert_eq!(past_end["empty"], true);

    let mut seen = BTreeSet::new();
    for s in &services {
        let id = s["id"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "{id} listed twice");
        assert_valid(&service, s, "a listed service");
        let full = ok(&t, &format!("/openreferral/services/{id}")).await;
        assert_valid(&service, &full, "a full service");
        assert_eq!(&full, s, "the list shows each service in full");
        assert_eq!(full["status"], "active");
    }
    // What the demo content has is there, in the profile's shapes.
    let has = |key: &str| services.iter().filter(|s| s.get(key).is_some()).count();
    for key in [
        "organization",
        "service_at_locations",
        "schedules",
        "cost_options",
        "contacts",
        "attributes",
        "last_modified",
        "service_areas",
    ] {
        assert!(has(key) > 0, "no service has {key}");
    }
    let rrule = services
        .iter()
        .flat_map(|s| s["schedules"].as_array().cloned().unwrap_or_default())
        .find(|sc| sc["freq"] == "WEEKLY")
        .expect("a weekly schedule");
    assert!(rrule["byday"].as_str().unwrap().len() >= 2, "{rrule}");
    assert!(rrule["opens_at"].is_string(), "{rrule}");

    let sal_one = validator(Some("service_at_location"));
    let sals = ok(&t, "/openreferral/service_at_locations?per_page=30").await;
    assert_valid(
        &page_validator(Some("service_at_location")),
        &sals,
        "service_at_locations",
    );
    let first = &sals["contents"][0];
    let id = first["id"].as_str().unwrap();
    let one = ok(&t, &format!("/openreferral/service_at_locations/{id}")).await;
    assert_valid(&sal_one, &one, "a service_at_location");
    assert_valid(&service, &one["service"], "its service");

    let taxonomies = ok(&t, "/openreferral/taxonomies").await;
    assert_valid(&page_validator(Some("taxonomy")), &taxonomies, "taxonomies");
    assert_paging(&taxonomies, 1, 50);
    let tax_one = validator(Some("taxonomy"));
    for tx in taxonomies["contents"].as_array().unwrap() {
        let full = ok(
            &t,
            &format!("/openreferral/taxonomies/{}", tx["id"].as_str().unwrap()),
        )
        .await;
        assert_valid(&tax_one, &full, "a taxonomy");
        assert!(!full["taxonomy_terms"].as_array().unwrap().is_empty());
    }
    let term_one = validator(Some("taxonomy_term"));
    let terms = ok(&t, "/openreferral/taxonomy_terms?per_page=200").await;
    assert_valid(
        &page_validator(Some("taxonomy_term")),
        &terms,
        "taxonomy_terms",
    );
    let total = terms["total_items"].as_u64().unwrap() as usize;
    let tax = t.app.taxonomy;
    assert_eq!(
        total,
        tax.types.len() + tax.access.len() + tax.circumstances.len()
    );
    for term in terms["contents"].as_array().unwrap() {
        let id = term["id"].as_str().unwrap();
        let full = ok(&t, &format!("/openreferral/taxonomy_terms/{id}")).await;
        assert_valid(&term_one, &full, "a taxonomy term");
    }
    // Walking maps to OpenActive Activity List concepts.
    let walking = ids::term("types", "walking");
    let w = ok(&t, &format!("/openreferral/taxonomy_terms/{walking}")).await;
    assert!(
        w["exact_match"][0]
            .as_str()
            .unwrap()
            .starts_with("https://openactive.io/activity-list#")
    );
    let types = ok(
        &t,
        &format!(
            "/openreferral/taxonomy_terms?per_page=200&taxonomy_id={}",
            signpost::publish::taxonomy::Vocab::Types.id()
        ),
    )
    .await;
    assert_eq!(types["total_items"], tax.types.len());
}

#[tokio::test]
async fn searches_use_the_sites_engine() {
    let t = TestApp::with_demo();
    let by_store_id: HashMap<i64, String> = published(&t)
        .iter()
        .map(|l| (l.id, ids::listing(l).to_string()))
        .collect();
    // The same query finds the same listings in the same order as the site's API.
    for (oruk, site) in [
        ("search=walking", "q=walking"),
        (
            "search=choir&postcode=M33+7XW&proximity=5000",
            "q=choir&near=M33+7XW&within=3.107",
        ),
        ("day=TU", "day=tue"),
        ("minimum_age=70", "age=70"),
        ("start_time=09:00&end_time=11:30", "time=morning"),
        (
            &format!("taxonomy_term_id={}", ids::term("types", "walking")),
            "type=walking",
        ),
        (
            &format!("taxonomy_term_id={}", ids::term("access", "wheelchair")),
            "access=wheelchair",
        ),
    ] {
        let v = ok(&t, &format!("/openreferral/services?per_page=10&{oruk}")).await;
        let site = t.search(site).await;
        let want: Vec<String> = common::ids(&site)
            .iter()
            .map(|id| by_store_id[id].clone())
            .collect();
        let got: Vec<String> = v["contents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        assert!(!want.is_empty(), "{site}");
        assert_eq!(got, want, "{oruk}");
        assert_eq!(v["total_items"], site["total"], "{oruk}");
    }
    // A long page is read and built in two halves at once: it is the short pages
    // one after another, in order.
    let ids = |v: &Value| -> Vec<String> {
        v["contents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    for query in ["", "&postcode=M33+7XW&proximity=40000", "&search=group"] {
        let long = ids(&ok(&t, &format!("/openreferral/services?per_page=40{query}")).await);
        assert!(long.len() >= 16, "{query}: a page long enough to split");
        let mut short = Vec::new();
        for page in 1..=4 {
            let uri = format!("/openreferral/services?per_page=10&page={page}{query}");
            short.extend(ids(&ok(&t, &uri).await));
        }
        assert_eq!(long, short, "{query}");
    }
}

#[tokio::test]
async fn bad_parameters_are_4xx_json_never_5xx() {
    let t = TestApp::with_demo();
    for (qs, param) in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=100000", "per_page"),
        ("taxonomy_term_id=nope", "taxonomy_term_id"),
        (
            "taxonomy_id=00000000-0000-0000-0000-000000000000",
            "taxonomy_id",
        ),
        ("day=someday", "day"),
        ("minimum_age=-1", "minimum_age"),
        ("minimum_age=10&maximum_age=20", "maximum_age"),
        ("start_time=25:99", "start_time"),
        ("modified_after=yesterday", "modified_after"),
        ("modified_after=2026-01-01&search=walk", "modified_after"),
        ("proximity=500", "proximity"),
        ("postcode=M33+7XW&proximity=far", "proximity"),
        ("postcode=ZZ99+9ZZ", "postcode"),
        ("postcode=%3Cscript%3E", "postcode"),
    ] {
        let (status, v) = t.json(&format!("/openreferral/services?{qs}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{qs}: {v}");
        let named: Vec<&str> = v["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{qs}: {v}"))
            .iter()
            .map(|e| e["param"].as_str().unwrap())
            .collect();
        assert!(named.contains(&param), "{qs}: {v}");
    }
    for uri in [
        "/openreferral/services/not-a-uuid",
        "/openreferral/services/00000000-0000-0000-0000-000000000000",
        "/openreferral/service_at_locations/x",
        "/openreferral/taxonomies/x",
        "/openreferral/taxonomy_terms/00000000-0000-0000-0000-000000000000",
    ] {
        let (status, v) = t.json(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(v["error"].is_string(), "{uri}: {v}");
    }
    for hostile in common::hostile_strings() {
        let q = common::enc(hostile);
        for name in [
            "search",
            "postcode",
            "day",
            "modified_after",
            "taxonomy_term_id",
            "page",
        ] {
            let (status, _, _) = t.get(&format!("/openreferral/services?{name}={q}")).await;
            assert!(
                status.is_success() || status.is_client_error(),
                "{name}={hostile:?}: {status}"
            );
        }
    }
}

#[tokio::test]
async fn cors_allows_any_origin_to_read() {
    let t = TestApp::with_demo();
    let req = Request::get("/openreferral/services")
        .header("origin", "https://council.example")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = common::send(&t.router, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "*");
    // The site's own pages are not opened up.
    let req = Request::get("/api/search?q=walk")
        .header("origin", "https://council.example")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = common::send(&t.router, req).await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn ids_survive_restart_and_reindex() {
    let t = TestApp::with_demo();
    let before: Vec<String> = all_services(&t, "")
        .await
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    {
        let mut indexer = t.indexer.lock().unwrap();
        indexer.rebuild(&t.app.store, t.app.taxonomy).unwrap();
    }
    // A second App on the same directory: a restart.
    drop(t.indexer.lock().unwrap());
    let again = std::sync::Arc::new(signpost::App::open(t.dir.path()).unwrap());
    let router = signpost::web::router(signpost::web::AppState::new(again));
    let mut after = Vec::new();
    for page in 1.. {
        let req = Request::get(format!("/openreferral/services?per_page=40&page={page}"))
            .body(Body::empty())
            .unwrap();
        let (_, _, body) = common::send(&router, req).await;
        let v: Value = serde_json::from_str(&body).unwrap();
        after.extend(
            v["contents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string()),
        );
        if v["last_page"] == true {
            break;
        }
    }
    assert_eq!(before, after);
    // And they are the ids of the listings' identities, not of the store's numbering.
    let l = &published(&t)[0];
    assert!(
        before
            .contains(&ids::for_source(&l.provenance.source, &l.provenance.source_id).to_string())
    );
}

#[tokio::test]
async fn edits_and_withdrawals_show_up_in_modified_after() {
    let t = TestApp::with_demo();
    // The store keeps change times to the second: start after the import's second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let changed = ok(
        &t,
        &format!("/openreferral/services?modified_after={since}"),
    )
    .await;
    assert_eq!(changed["total_items"], 0, "{changed}");

    let all = published(&t);
    let mut edited = all[0].clone();
    edited.title = format!("{} (new time)", edited.title);
    t.app.store.upsert(&edited).unwrap();
    let withdrawn = &all[1];
    t.app
        .store
        .set_status(withdrawn.id, Status::Archived)
        .unwrap();
    t.sync();

    let changed = ok(
        &t,
        &format!("/openreferral/services?modified_after={since}"),
    )
    .await;
    assert_valid(&page_validator(None), &changed, "a modified_after page");
    let by_id: HashMap<String, &Value> = changed["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s))
        .collect();
    assert_eq!(by_id.len(), 2, "{changed}");
    let e = by_id[&ids::listing(&edited).to_string()];
    assert_eq!(e["name"], edited.title);
    assert_eq!(e["status"], "active");
    let modified = e["last_modified"].as_str().unwrap();
    assert!(modified >= since.as_str(), "{modified} < {since}");
    let w = by_id[&ids::listing(withdrawn).to_string()];
    assert_eq!(w["status"], "inactive");

    // A plain read lists the active directory only; the withdrawn one still answers.
    let ids_now: Vec<String> = all_services(&t, "")
        .await
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!ids_now.contains(&ids::listing(withdrawn).to_string()));
    let gone = ok(
        &t,
        &format!("/openreferral/services/{}", ids::listing(withdrawn)),
    )
    .await;
    assert_eq!(gone["status"], "inactive");
    assert_valid(&validator(None), &gone, "a withdrawn service");
}

/// What each listing looks like for comparing a round trip: the fields the format
/// carries, normalised where the importer re-derives them.
fn comparable(l: &Listing) -> Value {
    let mut modes = l.modes.clone();
    modes.sort();
    let sorted = |v: &Vec<String>| {
        let mut v = v.clone();
        v.sort();
        v
    };
    let venue = l.venue.as_ref();
    json!({
        "title": l.title,
        "description": l.description,
        "organisation": [l.organisation.name, l.organisation.website, l.organisation.email, l.organisation.phone],
        "types": sorted(&l.types),
        "modes": modes,
        "venue": venue.map(|v| json!([v.name, v.address, v.postcode, v.lat, v.lon])),
        "area": [l.area_served.description, l.area_served.postcodes],
        "sessions": l.schedule.sessions,
        "dates": l.schedule.dates,
        "note": l.schedule.note,
        "cost": [l.cost.free, l.cost.amount_pence, l.cost.price],
        "access": sorted(&l.access.features),
        "access_notes": l.access.notes,
        "travel": l.access.travel,
        "ages": [l.audience.age_min, l.audience.age_max],
        "circumstances": sorted(&l.audience.circumstances),
        "audience_notes": l.audience.notes,
        // The join method is not here: HSDS has no field for it, and the importer
        // reads it from the words of `application_process`, which may say "book"
        // of a drop-in ("no need to book").
        "join": [l.join.contact.name, l.join.contact.phone, l.join.contact.email, l.join.contact.url],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signpost_imports_its_own_api() {
    let t = TestApp::with_demo();
    let base = fake_http::serve(t.router.clone()).await;
    let fresh = tempfile::tempdir().unwrap();
    let dir = fresh.path().to_path_buf();
    let url = format!("{base}/openreferral/");
    let out = tokio::task::spawn_blocking(move || {
        signpost_cmd(&dir)
            .args(["import", &url, "--source-name", "upstream"])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = common::succeeded(&out);
    let original = published(&t);
    assert!(
        text.contains(&format!("upstream: read {n}, new {n}", n = original.len())),
        "{text}"
    );
    let copy = signpost::App::open(fresh.path()).unwrap();
    let mut mismatches: HashMap<String, usize> = HashMap::new();
    let mut examples: HashMap<String, String> = HashMap::new();
    for l in &original {
        let uuid = ids::listing(l).to_string();
        let got = common::listing(&copy, "upstream", &uuid);
        let (a, b) = (comparable(l), comparable(&got));
        for (k, v) in a.as_object().unwrap() {
            if &b[k] != v {
                *mismatches.entry(k.clone()).or_default() += 1;
                let e = examples.entry(k.clone()).or_default();
                if e.len() < 600 {
                    e.push_str(&format!("\n{}: {v} became {}", l.title, b[k]));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{mismatches:?}{}",
        examples.values().cloned().collect::<String>()
    );
}
