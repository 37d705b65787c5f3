//! Open Referral (HSDS 3.0, ORUK 3.0 and ORUK 1.0) imports: the real example records and
//! the ORUK validator's own mocks from `../shared/data/`, served page by page by a local
//! HTTP server shaped like each API version, plus hand-written ORUK 1.0 records for the
//! messy cases (HTML, no name, no fitting type, removed services, a failing record).

use crate::common;
use crate::common::fake_http;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use common::{listing, new_app, shared_json as read, signpost_cmd};
use serde_json::{Value, json};
use signpost::App;
use signpost::ingest::openreferral::{self, ApiOptions, DirectoryReport};
use signpost::ingest::{ImportOptions, import};
use signpost::listing::schedule::Repeat;
use signpost::listing::{Day, JoinMethod, Mode, Status};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

#[derive(Clone, Copy, PartialEq)]
enum Version {
    V1,
    V3,
}

struct Directory {
    version: Version,
    /// The list entries, in order.
    list: Vec<Value>,
    /// Full records by id (a list entry stands in where there is none).
    full: HashMap<String, Value>,
    per_page: usize,
    /// Ids whose full record answers 500.
    broken: HashSet<String>,
    hits: usize,
}

type Shared = Arc<Mutex<Directory>>;

async fn services(State(d): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut d = d.lock().unwrap();
    d.hits += 1;
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = d.list.len();
    let pages = total.div_ceil(d.per_page).max(1);
    let contents: Vec<Value> = d
        .list
        .iter()
        .skip((page - 1) * d.per_page)
        .take(d.per_page)
        .cloned()
        .collect();
    let body = match d.version {
        Version::V3 => json!({
            "total_items": total, "total_pages": pages, "page_number": page,
            "size": contents.len(), "first_page": page == 1, "last_page": page >= pages,
            "empty": contents.is_empty(), "contents": contents
        }),
        // ORUK 1.0's page schema (openapi.json components.schemas.page): `number` is
        // zero-based, the records are `content`.
        Version::V1 => json!({
            "totalElements": total, "totalPages": pages, "number": page - 1,
            "size": d.per_page, "first": page == 1, "last": page >= pages,
            "empty": contents.is_empty(), "content": contents
        }),
    };
    axum::Json(body).into_response()
}

async fn service(State(d): State<Shared>, Path(id): Path<String>) -> Response {
    let mut d = d.lock().unwrap();
    d.hits += 1;
    if d.broken.contains(&id) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let rec = d.full.get(&id).cloned().or_else(|| {
        d.list
            .iter()
            .find(|s| openreferral::map::id_of(s).as_deref() == Some(id.as_str()))
            .cloned()
    });
    match rec {
        Some(r) => axum::Json(r).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(d: Directory) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(d));
    let app = Router::new()
        .route("/api/services", axum::routing::get(services))
        .route("/api/services/{id}", axum::routing::get(service))
        .with_state(shared.clone());
    let base = format!("{}/api", fake_http::serve(app).await);
    (base, shared)
}

fn directory(version: Version, list: Vec<Value>, full: Vec<Value>, per_page: usize) -> Directory {
    Directory {
        version,
        list,
        full: full
            .into_iter()
            .map(|f| (openreferral::map::id_of(&f).unwrap(), f))
            .collect(),
        per_page,
        broken: HashSet::new(),
        hits: 0,
    }
}

async fn harvest(app: &App, base: &str, source: &str) -> DirectoryReport {
    openreferral::harvest_api(
        &app.store,
        app.taxonomy,
        base,
        &ApiOptions {
            source: source.into(),
            delay: std::time::Duration::ZERO,
            max_pages: None,
            area: None,
        },
        today(),
    )
    .await
    .unwrap()
}

/// The HSDS 3.0 example service with its placeholder US location swapped for a real
/// Sale address and its 2005 schedule dates taken off, so it describes a live service.
fn hsds_example_in_sale() -> Value {
    let mut s = read("openreferral/hsds-3.0/examples/service_full.json");
    let loc = &mut s["service_at_locations"][0]["location"];
    loc["latitude"] = Value::Null;
    loc["longitude"] = Value::Null;
    loc["addresses"][0]["address_1"] = json!("Sale Waterside");
    loc["addresses"][0]["city"] = json!("Sale");
    loc["addresses"][0]["postal_code"] = json!("m33 7zf");
    for sched in s["schedules"].as_array_mut().unwrap() {
        let o = sched.as_object_mut().unwrap();
        for k in ["until", "valid_to", "valid_from", "dtstart", "count"] {
            o.remove(k);
        }
    }
    s
}

#[test]
fn uk_profile_example_file_imports_with_its_fields() {
    let bytes = std::fs::read(common::shared(
        "oruk/uk-profile-3.0/examples/service_full.json",
    ))
    .unwrap();
    assert_eq!(
        signpost::ingest::Format::detect(&bytes).unwrap(),
        signpost::ingest::Format::OpenReferral
    );
    let d = openreferral::decode(&bytes, signpost::listing::Taxonomy::embedded(), today()).unwrap();
    assert_eq!(d.candidates.len(), 1);
    let l = d.candidates[0].as_ref().unwrap();
    assert_eq!(l.title, "Community Counselling");
    assert_eq!(
        l.provenance.source_id,
        "ac148810-d857-441c-9679-408f346de14b"
    );
    assert_eq!(l.types, vec!["mental-wellbeing"]);
    // "ABC 1234" at latitude 100 can't be placed, but the service is also by video.
    assert!(l.venue.is_none());
    assert_eq!(l.modes, vec![Mode::Online]);
    assert_eq!(
        l.cost.price.as_deref(),
        Some("£35 per 1 hour session (Under 18s and Over 60s)")
    );
    assert_eq!(l.cost.amount_pence, Some(3500));
    assert!(!l.cost.free);
    assert_eq!(l.access.features, vec!["wheelchair", "hearing-loop"]);
    assert!(l.access.notes.contains("T-coil"));
    assert_eq!(
        (l.audience.age_min, l.audience.age_max),
        (Some(12), Some(100))
    );
    assert_eq!(l.organisation.name, "Example Organization Inc.");
    assert_eq!(l.join.contact.email.as_deref(), Some("email@example.com"));
    assert_eq!(l.join.contact.name.as_deref(), Some("Ann Persona"));
    assert!(l.schedule.sessions.is_empty(), "its schedule ended in 2005");
    assert!(
        l.schedule
            .note
            .starts_with("The service is available from 10 am to 6pm")
    );
    let warnings = d.warnings[0].reasons.join(" | ");
    assert!(
        warnings.contains("'ABC 1234' is not a UK postcode"),
        "{warnings}"
    );
    assert!(
        warnings.contains("100, 101 is not a position in the UK"),
        "{warnings}"
    );
    assert!(warnings.contains("ended on 1 January 2005"), "{warnings}");

    let (_dir, app) = new_app();
    let r = import(
        &app.store,
        app.taxonomy,
        d.candidates,
        &ImportOptions {
            source: "oruk".into(),
            withdraw_missing: false,
            area: None,
        },
    )
    .unwrap();
    assert_eq!((r.created, r.failed.len()), (1, 0), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsds_example_through_the_api_with_a_uk_location() {
    let s = hsds_example_in_sale();
    let (base, _) = serve(directory(Version::V3, vec![s.clone()], vec![s], 10)).await;
    let (_dir, app) = new_app();
    let r = harvest(&app, &base, "council").await;
    assert!(r.complete);
    assert_eq!((r.pages, r.fetched, r.import.created), (1, 1, 1), "{r}");
    let l = listing(&app, "council", "ac148810-d857-441c-9679-408f346de14b");
    assert_eq!(l.title, "Community Counselling");
    let v = l.venue.as_ref().unwrap();
    assert_eq!(v.postcode.as_deref(), Some("M33 7ZF"));
    assert_eq!(v.name, "MyCity Civic Center");
    assert_eq!(v.address, "Sale Waterside, MyVillage, Sale");
    assert!(v.lat.is_some(), "placed by its postcode");
    assert_eq!(l.modes, vec![Mode::InPerson, Mode::Online]);
    let rules: Vec<String> = l.schedule.sessions.iter().map(|r| r.describe()).collect();
    assert_eq!(
        rules,
        vec!["Every Thursday, 10am to 6pm", "Every Friday, 10am to 6pm"]
    );
    assert!(
        l.schedule
            .sessions
            .iter()
            .all(|r| r.repeat == Repeat::Weekly)
    );
    assert_eq!(l.schedule.sessions[0].day, Day::Thu);
    assert_eq!(l.cost.amount_pence, Some(3500));
    assert_eq!(
        l.access.features,
        vec!["public-transport", "wheelchair", "hearing-loop"]
    );
    // The location's `transportation` is how to get there, shown as such.
    assert_eq!(l.access.travel.len(), 1, "{:?}", l.access.travel);
    assert_eq!(l.access.travel[0].by, signpost::listing::TravelMode::Any);
    assert!(
        l.access.travel[0]
            .note
            .starts_with("MyCity Civic Center is serviced by the number 1 Bus"),
        "{:?}",
        l.access.travel
    );
    assert!(
        !l.access.notes.contains("number 1 Bus"),
        "{}",
        l.access.notes
    );
    assert_eq!(
        l.join.method,
        JoinMethod::Referral,
        "ask your GP for a referral letter"
    );
    assert_eq!(l.join.contact.phone.as_deref(), Some("+44 1234 234567"));
    assert!(l.audience.notes.contains("aged 12 and over"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_fail_mock_is_reported_and_wrong_contact_details_left_out() {
    let list = read("oruk/validator-mocks/V3.0-UK-Fail/service_list.json")["contents"]
        .as_array()
        .unwrap()
        .clone();
    let full = read("oruk/validator-mocks/V3.0-UK-Fail/service_full.json");
    let (base, _) = serve(directory(Version::V3, list, vec![full], 2)).await;
    let (_dir, app) = new_app();
    let r = harvest(&app, &base, "fail").await;
    assert_eq!(r.pages, 2);
    // A service whose only faults are its contact details comes in without them (a
    // council's service is still a service; a wrong address would send people
    // nowhere), and the report says what was left out. Records without a name, or
    // listed twice, are refused.
    assert_eq!(r.import.created, 1, "{r}");
    assert_eq!(r.import.failed.len(), 3, "{r}");
    let text = r.to_string();
    assert!(text.contains("item 1 (ac148810-d857-441c-9679-408f346de14b): email: 'email-example_com' is not an email address, so it was left out; url: 'example/counselling' is not a web address, so it was left out"), "{text}");
    assert!(
        text.contains("item 2 (b644a0d2-9e8a-4c33-9390-ae9ee93fc056): the service has no name"),
        "{text}"
    );
    assert!(
        text.contains("item 3 (e85f5bb0-62f0-42cc-a08a-0c5c16273090): the service has no name"),
        "{text}"
    );
    assert!(
        text.contains(
            "item 4 (ac148810-d857-441c-9679-408f346de14b): this id is listed more than once"
        ),
        "{text}"
    );
    let ids = app.store.ids_for_source("fail").unwrap();
    assert_eq!(ids.len(), 1);
    let kept = app.store.get(ids[0].0).unwrap().unwrap();
    assert!(kept.join.contact.email.is_none(), "{:?}", kept.join.contact);
    assert!(kept.join.contact.url.is_none(), "{:?}", kept.join.contact);

    // The same list as a file: every entry is reported.
    let bytes = std::fs::read(common::shared(
        "oruk/validator-mocks/V3.0-UK-Fail/service_list.json",
    ))
    .unwrap();
    let d = openreferral::decode(&bytes, app.taxonomy, today()).unwrap();
    assert!(d.candidates.iter().all(|c| {
        c.as_ref()
            .is_err_and(|p| p.reasons[0] == "the service has no name")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_warn_mock_imports_with_warnings() {
    let list = read("oruk/validator-mocks/V3.0-UK-Warn/service_list.json")["contents"]
        .as_array()
        .unwrap()
        .clone();
    let full = read("oruk/validator-mocks/V3.0-UK-Warn/service_full.json");
    let (base, _) = serve(directory(Version::V3, list, vec![full], 10)).await;
    let (_dir, app) = new_app();
    let r = harvest(&app, &base, "warn").await;
    assert_eq!((r.import.created, r.import.failed.len()), (1, 0), "{r}");
    assert_eq!(r.import.warnings.len(), 1);
    assert!(r.to_string().contains("warnings (1):"));
    let l = listing(&app, "warn", "ac148810-d857-441c-9679-408f346de14b");
    assert_eq!(
        l.join.contact.url.as_deref(),
        Some("http://example.com/counselling")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paged_service_list_is_followed_to_the_last_page() {
    // The validator's paging mock: 128 entries (all the same service id).
    let list = read("oruk/validator-mocks/V3.0-UK-Test/service_list.json")["contents"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 128);
    let (base, shared) = serve(directory(Version::V3, list, vec![], 10)).await;
    let (_dir, app) = new_app();
    let r = harvest(&app, &format!("{base}/services"), "test").await;
    assert!(r.complete);
    assert_eq!(r.pages, 13, "{r}");
    assert_eq!(r.fetched, 1, "each id is fetched once");
    // The mock's entries are summaries with no location or online delivery: since
    // issue 11 the service comes in all the same ("Area not stated", counted), and
    // only the repeats of its id are rejected.
    assert_eq!(r.import.created, 1, "{r}");
    assert_eq!(r.import.gaps.area_not_stated, 1, "{r}");
    assert!(r.to_string().contains("set the source's area"), "{r}");
    assert_eq!(r.import.failed.len(), 127);
    assert!(
        r.import
            .failed
            .iter()
            .all(|p| p.reasons[0].contains("listed more than once"))
    );
    assert_eq!(r.import.failed.last().unwrap().position, 128);
    assert_eq!(shared.lock().unwrap().hits, 14);
}

/// ORUK 1.0 records as real council feeds publish them.
fn v1_service(
    id: &str,
    name: Option<&str>,
    description: &str,
    term: &str,
    postcode: &str,
) -> Value {
    let mut s = json!({
        "id": id,
        "description": description,
        "url": format!("https://example.org/services/{id}"),
        "email": "hello@example.org",
        "status": "active",
        "fees": "",
        "attending_type": "venue",
        "organization": {"id": "org-1", "name": "Trafford Community Hub", "url": "https://hub.example.org"},
        "regular_schedules": [
            {"id": "rs-1", "weekday": "Tuesday", "opens_at": "10:00", "closes_at": "11:30", "freq": "WEEKLY", "interval": 1}
        ],
        "cost_options": [{"id": "c1", "amount": 0, "option": "Everyone"}],
        "eligibilitys": [{"id": "e1", "eligibility": "Unpaid carers looking after someone", "minimum_age": 18, "maximum_age": null}],
        "contacts": [{"id": "ct1", "name": "Sue", "phones": [{"id": "p1", "number": "0161 912 1234"}]}],
        "service_taxonomys": [{"id": "st1", "taxonomy": {"id": "t1", "name": term, "vocabulary": "esdNeeds"}}],
        "service_at_locations": [{
            "id": "sal1",
            "location": {
                "id": "loc1", "name": "Sale Library", "latitude": "", "longitude": "",
                "physical_addresses": [{"id": "a1", "address_1": "Tatton Road", "city": "Sale", "postal_code": postcode}],
                "accessibility_for_disabilities": [{"id": "acc1", "accessibility": "Step free access and an accessible toilet"}]
            }
        }]
    });
    if let Some(n) = name {
        s["name"] = json!(n);
    }
    s
}

fn v1_directory() -> Vec<Value> {
    vec![
        v1_service(
            "101",
            Some("Carers' <b>coffee</b> morning"),
            "<p>A friendly coffee morning for carers.</p><ul><li>Tea &amp; cake</li></ul>",
            "Carers support",
            "M33 7ZF",
        ),
        v1_service(
            "102",
            Some("Chair yoga"),
            "Gentle chair-based yoga.",
            "Physical activity",
            "M33 2AA",
        ),
        v1_service("103", None, "A record with no name.", "Social", "M33 3BB"),
        v1_service(
            "104",
            Some("Pest control"),
            "Council pest control service.",
            "Environmental health",
            "M33 4CC",
        ),
        v1_service(
            "105",
            Some("Walking netball"),
            "Walking netball for all abilities.",
            "Sport",
            "M41 5DE",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oruk_1_paging_reimport_and_withdrawal() {
    let (base, shared) = serve(directory(Version::V1, v1_directory(), vec![], 2)).await;
    let (_dir, app) = new_app();
    let r = harvest(&app, &base, "v1").await;
    assert!(r.complete);
    assert_eq!((r.pages, r.fetched), (3, 5), "{r}");
    // Issue 11: 'Pest control' fits none of Signpost's types and comes in with the
    // general type (counted in the summary) instead of being rejected.
    assert_eq!(r.import.created, 4, "{r}");
    let text = r.to_string();
    assert!(
        text.contains("item 3 (103): the service has no name"),
        "{text}"
    );
    assert_eq!(r.import.failed.len(), 1, "{text}");
    assert_eq!(r.import.gaps.general_type, 1, "{text}");
    assert_eq!(listing(&app, "v1", "104").types, vec!["other"]);

    let l = listing(&app, "v1", "101");
    assert_eq!(l.title, "Carers' coffee morning");
    assert_eq!(
        l.description,
        "A friendly coffee morning for carers.\n\nTea & cake"
    );
    assert_eq!(l.types, vec!["support-groups"]);
    assert!(l.cost.free);
    assert_eq!(
        l.schedule.sessions[0].describe(),
        "Every Tuesday, 10am to 11:30am"
    );
    assert_eq!(l.audience.age_min, Some(18));
    assert_eq!(l.audience.circumstances, vec!["carers"]);
    assert_eq!(l.access.features, vec!["step-free", "accessible-toilet"]);
    assert_eq!(l.venue.as_ref().unwrap().address, "Tatton Road, Sale");
    assert_eq!(l.join.contact.phone.as_deref(), Some("0161 912 1234"));
    assert_eq!(
        l.organisation.website.as_deref(),
        Some("https://hub.example.org")
    );
    assert_eq!(listing(&app, "v1", "102").types, vec!["gentle-exercise"]);

    // The same directory again changes nothing.
    let r = harvest(&app, &base, "v1").await;
    assert_eq!(
        (
            r.import.created,
            r.import.updated,
            r.import.unchanged,
            r.import.withdrawn
        ),
        (0, 0, 4, 0),
        "{r}"
    );

    // A service whose full record fails to load is kept; one that has gone is withdrawn.
    {
        let mut d = shared.lock().unwrap();
        d.broken.insert("102".into());
        d.list.retain(|s| s["id"] != "105");
    }
    let r = harvest(&app, &base, "v1").await;
    assert_eq!(r.import.withdrawn, 1, "{r}");
    assert!(
        r.to_string().contains("item 2 (102): could not fetch"),
        "{r}"
    );
    assert_eq!(listing(&app, "v1", "105").status, Status::Archived);
    assert_eq!(listing(&app, "v1", "102").status, Status::Published);
    assert_eq!(listing(&app, "v1", "101").status, Status::Published);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_read_withdraws_nothing() {
    let (base, _) = serve(directory(Version::V1, v1_directory(), vec![], 2)).await;
    let (_dir, app) = new_app();
    harvest(&app, &base, "v1").await;
    let r = openreferral::harvest_api(
        &app.store,
        app.taxonomy,
        &base,
        &ApiOptions {
            source: "v1".into(),
            delay: std::time::Duration::ZERO,
            max_pages: Some(1),
            area: None,
        },
        today(),
    )
    .await
    .unwrap();
    assert!(!r.complete);
    assert_eq!(r.import.withdrawn, 0);
    assert!(r.to_string().contains("stopped early"));
}

/// Runs the CLI on a blocking thread (so the test's own server keeps answering) and
/// returns its output, which must show success.
async fn cli_off_runtime(data_dir: &std::path::Path, args: &[&str]) -> String {
    let data_dir = data_dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || signpost_cmd(&data_dir).args(&args).output())
        .await
        .unwrap()
        .unwrap();
    common::succeeded(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_imports_a_file_and_a_directory_api() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::shared("oruk/uk-profile-3.0/examples/service_full.json");
    let out = signpost_cmd(dir.path())
        .args([
            "import",
            file.to_str().unwrap(),
            "--format",
            "openreferral",
            "--source-name",
            "example",
        ])
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    assert!(text.contains("example: read 1, new 1"), "{text}");
    assert!(text.contains("'ABC 1234' is not a UK postcode"), "{text}");

    let (base, _) = serve(directory(Version::V1, v1_directory(), vec![], 2)).await;
    let url = format!("{base}/services");
    let text = cli_off_runtime(dir.path(), &["import", &url, "--source-name", "council"]).await;
    assert!(
        // Issue 11: 'Pest control' (no fitting type) comes in with the general type.
        text.contains("council: 3 pages, 5 services fetched; council: read 5, new 4"),
        "{text}"
    );
    assert!(
        text.contains("item 3 (103): the service has no name"),
        "{text}"
    );

    // The same directory as a configured source: a second run changes nothing.
    let sources = dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!("[[source]]\nname = \"council\"\nkind = \"openreferral\"\nurl = {base:?}\ndelay_ms = 0\n"),
    )
    .unwrap();
    let text = cli_off_runtime(
        dir.path(),
        &["crawl", "--sources", sources.to_str().unwrap()],
    )
    .await;
    assert!(
        text.contains("council: 3 pages, 5 services fetched; council: read 5, new 0, updated 0, unchanged 4, withdrawn 0, failed 1"),
        "{text}"
    );
}
