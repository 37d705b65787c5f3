//! Real directories come in whole (issue 11): a council's Open Referral UK 1.0
//! directory that gives most services no location, taxonomy or times, served page by
//! page as its API did; the real Active Newham feed and the official OpenActive
//! examples; activities reachable only through the Activity List's `broader`; and a
//! moderator's choice of types surviving a re-harvest of the same source.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value, json};
use signpost::App;
use signpost::geo::area::Area;
use signpost::ingest::openreferral::{self, ApiOptions, DirectoryReport};
use signpost::listing::taxonomy::GENERAL_TYPE;
use signpost::web::{self, AppState};

const NLINCS: &str = "quality/north-lincolnshire-council_oruk1_services_2024-12.json";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

/// An ORUK 1.0 API over a list of services: `GET /services?page=N` pages (zero-based
/// `number`, records in `content`, as the ORUK 1.0 OpenAPI file has them) and
/// `GET /services/{id}`.
struct Directory {
    services: Vec<Value>,
    per_page: usize,
}

type Shared = Arc<Mutex<Directory>>;

async fn services(State(d): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let d = d.lock().unwrap();
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let pages = d.services.len().div_ceil(d.per_page).max(1);
    let content: Vec<Value> = d
        .services
        .iter()
        .skip((page - 1) * d.per_page)
        .take(d.per_page)
        .cloned()
        .collect();
    axum::Json(json!({
        "totalElements": d.services.len(), "totalPages": pages, "number": page - 1,
        "size": d.per_page, "first": page == 1, "last": page >= pages,
        "empty": content.is_empty(), "content": content
    }))
    .into_response()
}

async fn service(State(d): State<Shared>, Path(id): Path<String>) -> Response {
    let d = d.lock().unwrap();
    match d
        .services
        .iter()
        .find(|s| openreferral::map::id_of(s).as_deref() == Some(id.as_str()))
    {
        Some(s) => axum::Json(s.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves `services` and returns the API's `/services` address.
async fn serve(services_list: Vec<Value>, per_page: usize) -> String {
    serve_shared(services_list, per_page).await.0
}

/// [`serve`], with the directory to change between harvests.
async fn serve_shared(services_list: Vec<Value>, per_page: usize) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(Directory {
        services: services_list,
        per_page,
    }));
    let app = Router::new()
        .route("/api/services", axum::routing::get(services))
        .route("/api/services/{id}", axum::routing::get(service))
        .with_state(shared.clone());
    let url = format!("{}/api/services", common::fake_http::serve(app).await);
    (url, shared)
}

async fn harvest(app: &App, url: &str, area: Option<&str>) -> DirectoryReport {
    openreferral::harvest_api(
        &app.store,
        app.taxonomy,
        url,
        &ApiOptions {
            source: "nlincs".into(),
            delay: std::time::Duration::ZERO,
            max_pages: None,
            area: area.map(|a| Area::parse(a).unwrap()),
        },
        today(),
    )
    .await
    .unwrap()
}

fn nlincs() -> Vec<Value> {
    common::shared_json(NLINCS).as_array().unwrap().clone()
}

/// Services a directory publishes as active and named: what must come in.
fn active_named(services: &[Value]) -> Vec<&Value> {
    services
        .iter()
        .filter(|s| s["status"].as_str().is_none_or(|t| t.trim() == "active"))
        .filter(|s| s["name"].as_str().is_some_and(|n| !n.trim().is_empty()))
        .collect()
}

/// The router over an app that has imported something: indexed, with the pinned clock.
fn router(app: App) -> (Arc<App>, Router) {
    let app = Arc::new(app);
    let mut indexer = app.indexer().unwrap();
    app.sync(&mut indexer).unwrap();
    let router = web::router(AppState::new(app.clone()).with_clock(Arc::new(common::now)));
    (app, router)
}

async fn get(router: &Router, uri: &str) -> (StatusCode, String) {
    let req = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, body) = common::send(router, req).await;
    (status, body)
}

async fn search(router: &Router, qs: &str) -> Value {
    let (status, body) = get(router, &format!("/api/search?{qs}")).await;
    assert_eq!(status, StatusCode::OK, "{qs}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn published(app: &App) -> Vec<signpost::listing::Listing> {
    let mut out = Vec::new();
    app.store
        .for_each_published(|l| {
            out.push(l);
            Ok(())
        })
        .unwrap();
    out
}

/// Runs the `signpost` binary off the async threads (the test server runs on them).
async fn cli(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = common::signpost_cmd(data);
    cmd.args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_council_directory_comes_in_whole_and_is_found_in_its_area() {
    let all = nlincs();
    let wanted = active_named(&all).len();
    let url = serve(all.clone(), 50).await;
    let dir = tempfile::tempdir().unwrap();
    // A wrong area is refused before anything is read, saying what is wanted.
    let out = cli(
        dir.path(),
        &[
            "import",
            &url,
            "--format",
            "openreferral",
            "--area",
            "Atlantis",
        ],
    )
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'Atlantis' is not a postcode area (DN)"),
        "{err}"
    );

    let out = cli(
        dir.path(),
        &[
            "import",
            &url,
            "--format",
            "openreferral",
            "--area",
            "E06000013",
            "--source-name",
            "nlincs",
        ],
    )
    .await;
    let text = common::succeeded(&out);
    let app = App::open(dir.path()).unwrap();
    let imported = published(&app).len();
    // Every one: a web address written without "https://" or an e-mail address with
    // the sentence's full stop is mended, and a contact detail that cannot be is left
    // out with a warning, never the service (15 were dropped for that before).
    assert_eq!(
        imported, wanted,
        "{imported} of {wanted} active, named services imported: {text}"
    );
    // The summary counts what was filled in; only real rejections are listed (no
    // name, not active, duplicated id, unreadable, contact details that are wrong).
    assert!(text.contains(&format!("imported {imported}: ")), "{text}");
    assert!(
        text.contains(" placed by the source's area, 0 with no area stated"),
        "{text}"
    );
    let rejections = text.split("\nwarnings (").next().unwrap();
    for line in rejections
        .lines()
        .filter(|l| l.trim_start().starts_with("item "))
    {
        assert!(
            [
                "no name",
                "not active",
                "more than once",
                "not valid JSON",
                "not an email",
                "not a web address"
            ]
            .iter()
            .any(|w| line.contains(w)),
            "not a real rejection: {line}"
        );
    }

    let listings = published(&app);
    let (app, router) = router(app);
    let mut missing_by_name = Vec::new();
    let mut missing_near = Vec::new();
    for l in &listings {
        let q = common::enc(&l.title);
        let v = search(&router, &format!("q={q}")).await;
        if !common::titles(&v).contains(&l.title) {
            missing_by_name.push(l.title.clone());
        }
        // Every one is kept in a location search inside the area, labelled, and
        // claims no distance it does not have.
        let v = search(&router, &format!("q={q}&near=DN15+6NL")).await;
        let hit = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["title"] == l.title.as_str());
        match hit {
            Some(h) => {
                let label = h["reach_label"].as_str().unwrap();
                assert!(!label.is_empty(), "{} has no label", l.title);
                if l.venue.as_ref().and_then(|v| v.lat).is_none() {
                    assert_ne!(h["reach"], "distance", "{}", l.title);
                    assert!(h["distance_miles"].is_null(), "{}: {h}", l.title);
                }
                if l.modes.is_empty() {
                    assert_eq!(label, "Covers North Lincolnshire", "{}", l.title);
                }
            }
            None => missing_near.push(l.title.clone()),
        }
    }
    assert!(
        missing_by_name.is_empty(),
        "not found by their own names: {missing_by_name:?}"
    );
    assert!(
        missing_near.is_empty(),
        "not found near DN15: {missing_near:?}"
    );

    // A service with nothing but a name and description: its page says what is missing.
    let men = listings
        .iter()
        .find(|l| l.modes.is_empty() && l.schedule.sessions.is_empty())
        .unwrap();
    let (status, page) = get(&router, &format!("/listings/{}", men.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Times not given — contact the organiser"),
        "{page}"
    );
    assert!(page.contains("Covers North Lincolnshire."), "{page}");
    assert!(page.contains("Source: "), "{page}");
    drop(app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_area_nothing_is_dropped_and_the_summary_says_how_to_place_it() {
    let all = nlincs();
    let wanted = active_named(&all).len();
    let url = serve(all, 100).await;
    let (_dir, app) = common::new_app();
    let r = harvest(&app, &url, None).await;
    assert!(r.import.created * 100 >= wanted * 95, "{r}");
    assert!(r.import.gaps.area_not_stated > 600, "{r}");
    assert!(r.import.gaps.general_type > 0, "{r}");
    let text = r.to_string();
    assert!(text.contains("set the source's area (--area"), "{text}");

    let listings = published(&app);
    let unplaced = listings
        .iter()
        .find(|l| l.modes.is_empty() && l.area_served.postcodes.is_empty())
        .unwrap()
        .clone();
    let general = listings
        .iter()
        .find(|l| l.types == [GENERAL_TYPE])
        .unwrap()
        .clone();
    let (_app, router) = router(app);
    // Found by its words, labelled, but not in a location search.
    let v = search(&router, &format!("q={}", common::enc(&unplaced.title))).await;
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == unplaced.id)
        .unwrap_or_else(|| panic!("{} not found by its name", unplaced.title));
    assert_eq!(hit["reach_label"], "Area not stated");
    let v = search(
        &router,
        &format!("q={}&near=DN15+6NL", common::enc(&unplaced.title)),
    )
    .await;
    assert!(!common::ids(&v).contains(&unplaced.id));
    let (_, page) = get(&router, &format!("/listings/{}", unplaced.id)).await;
    assert!(page.contains("Area not stated."), "{page}");
    // The general type is a filter like any other, with its count.
    let v = search(&router, &format!("type={GENERAL_TYPE}")).await;
    assert!(common::ids(&v).len() > 1, "{v}");
    assert!(v["total"].as_u64().unwrap() >= 1);
    let v = search(
        &router,
        &format!("q={}&type={GENERAL_TYPE}", common::enc(&general.title)),
    )
    .await;
    assert!(common::ids(&v).contains(&general.id), "{v}");
}

#[test]
fn areas_are_read_as_people_write_them() {
    let a = Area::parse("DN15 DN16").unwrap();
    assert_eq!(a.label(), "DN15, DN16");
    let e = Area::parse("Scunthorpe and district").unwrap_err();
    assert!(e.contains("postcode district (DN15)"), "{e}");
    assert_eq!(
        Area::parse("E06000013").unwrap().label(),
        "North Lincolnshire"
    );
}

mod openactive {
    use super::*;
    use signpost::ingest::openactive::{HarvestOptions, harvest, map};

    const EXAMPLES: &str = "openactive/data-models/2.x/examples";

    async fn harvest_file(app: &App, path: &std::path::Path, now: chrono::NaiveDateTime) {
        harvest(
            &app.store,
            app.taxonomy,
            path.to_str().unwrap(),
            &HarvestOptions {
                source: "oa".into(),
                max_pages: None,
                delay: std::time::Duration::ZERO,
                area: None,
            },
            now,
            |_| {},
        )
        .await
        .unwrap();
    }

    fn items(path: &std::path::Path) -> Vec<Value> {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["items"].as_array().unwrap().clone()
    }

    fn source_ids(app: &App) -> Vec<String> {
        published(app)
            .into_iter()
            .map(|l| l.provenance.source_id)
            .collect()
    }

    /// Dates an item (or the series it embeds, or its sessions) gives, if any.
    fn dates(data: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for v in [data, &data["superEvent"], &data["facilityUse"]] {
            if let Some(d) = v["startDate"].as_str() {
                out.push(d.to_string());
            }
            for s in v["subEvent"].as_array().into_iter().flatten() {
                out.extend(s["startDate"].as_str().map(String::from));
            }
        }
        out
    }

    /// A future activity: a parent (or a session embedding one) whose dates, if it
    /// gives any, are not all before `now`.
    fn is_future_activity(data: &Value, now: &str, parents: &[String]) -> bool {
        let kind = map::type_of(data);
        if kind == "Place" || kind.is_empty() {
            return false;
        }
        let child = kind == "ScheduledSession" || kind == "Slot";
        if child && !data["superEvent"].is_object() && !data["facilityUse"].is_object() {
            // Points at a series published elsewhere: an activity only with it.
            let parent = map::parent_ref(data).unwrap_or_default();
            if !parents.contains(&parent) {
                return false;
            }
        }
        let ds = dates(data);
        ds.is_empty() || ds.iter().any(|d| d.as_str() >= now)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_future_activity_in_the_official_examples_becomes_a_listing() {
        let dir = common::shared(EXAMPLES);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| std::fs::read_to_string(p).unwrap().contains("\"items\""))
            .collect();
        files.sort();
        let (_d, app) = common::new_app();
        // Before every example's dates, so each describes a future activity.
        let now = signpost::clock::parse_now("2016-01-01T09:00").unwrap();
        for f in &files {
            harvest_file(&app, f, now).await;
        }
        let all: Vec<(String, Value)> = files
            .iter()
            .flat_map(|f| {
                items(f)
                    .into_iter()
                    .map(move |i| (f.display().to_string(), i))
            })
            .collect();
        let parents: Vec<String> = all
            .iter()
            .filter_map(|(_, i)| map::id_of(&i["data"]))
            .collect();
        let listed = source_ids(&app);
        let mut checked = 0;
        for (file, item) in &all {
            let data = &item["data"];
            if !is_future_activity(data, "2016-01-01", &parents) {
                continue;
            }
            checked += 1;
            let key = map::group_key(file, item["id"].as_str().unwrap_or(""), data);
            assert!(
                listed.contains(&key),
                "{file}: {key} is not listed ({listed:?})"
            );
        }
        assert!(checked >= 12, "{checked} example activities checked");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_future_activity_in_the_real_newham_feed_becomes_a_listing() {
        let path =
            common::shared("openactive/real-feeds/active-newham_sessions_20200102.rpde.json");
        let (_d, app) = common::new_app();
        let now = signpost::clock::parse_now("2020-01-02T09:00").unwrap();
        harvest_file(&app, &path, now).await;
        let listed = source_ids(&app);
        let mut checked = 0;
        for item in items(&path) {
            if item["state"] != "updated" || !is_future_activity(&item["data"], "2020-01-02", &[]) {
                continue;
            }
            checked += 1;
            let key = map::group_key("feed", item["id"].as_str().unwrap_or(""), &item["data"]);
            assert!(
                listed.contains(&key),
                "{key} ({}) is not listed",
                item["data"]["name"]
            );
        }
        assert!(checked > 150, "{checked}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_activity_reachable_only_through_broader_gets_its_type() {
        let path = common::shared(&format!("{EXAMPLES}/sessionseries_example_1.json"));
        let mut page: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let (_d, app) = common::new_app();
        let now = signpost::clock::parse_now("2016-01-01T09:00").unwrap();
        // Rpm™ is mapped to no type itself; Indoor Cycling, its broader concept, is.
        // Shbam™ (named only in words, as legacy feeds do) reaches Dance Fitness.
        let cases = [
            (
                json!([{"@type": "Concept", "@id": "https://openactive.io/activity-list#2c2b9be5-9491-4958-bee8-70ced347d384", "prefLabel": "Rpm™"}]),
                "rpm",
            ),
            (json!(["Shbam"]), "shbam"),
        ];
        for (activity, id) in cases {
            let data = &mut page["items"][0]["data"];
            data["activity"] = activity;
            data["@id"] = json!(format!("https://example.com/series/{id}"));
            data["name"] = json!("Thursday class");
            let file = tmp.path().join(format!("{id}.json"));
            std::fs::write(&file, page.to_string()).unwrap();
            harvest_file(&app, &file, now).await;
            let l = common::listing(&app, "oa", &format!("https://example.com/series/{id}"));
            assert!(
                !l.types.is_empty() && l.types != [GENERAL_TYPE],
                "{id}: {:?}",
                l.types
            );
        }
        let rpm = common::listing(&app, "oa", "https://example.com/series/rpm");
        assert_eq!(rpm.types, ["sport-fitness"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderators_types_survive_a_reharvest_of_the_same_source() {
    let some: Vec<Value> = nlincs().into_iter().take(120).collect();
    let (url, directory) = serve_shared(some, 40).await;
    let (_dir, app) = common::new_app();
    harvest(&app, &url, Some("DN15 DN16")).await;
    let (waiting, total) = app.store.needs_category(500).unwrap();
    assert!(total > 0 && !waiting.is_empty());
    let item = &waiting[0];
    let chosen = vec!["befriending".to_string(), "advice".to_string()];
    assert!(app.store.set_types(item.id, &chosen, "mod-a").unwrap());
    let l = app.store.get(item.id).unwrap().unwrap();
    assert_eq!(l.types, chosen);

    // The source is harvested again, unchanged, and then with the record edited.
    let r = harvest(&app, &url, Some("DN15 DN16")).await;
    assert_eq!(r.import.created, 0, "{r}");
    let again = app.store.get(item.id).unwrap().unwrap();
    assert_eq!(again.types, chosen, "kept across a re-harvest");
    let (waiting, _) = app.store.needs_category(500).unwrap();
    assert!(!waiting.iter().any(|w| w.id == item.id));
    {
        let mut d = directory.lock().unwrap();
        let s = d
            .services
            .iter_mut()
            .find(|s| s["name"] == item.title.as_str())
            .unwrap();
        s["description"] = json!("Changed at the source since the last harvest.");
    }
    let r = harvest(&app, &url, Some("DN15 DN16")).await;
    assert!(r.import.updated >= 1, "{r}");
    let edited = app.store.get(item.id).unwrap().unwrap();
    assert_eq!(
        edited.description,
        "Changed at the source since the last harvest."
    );
    assert_eq!(
        edited.types, chosen,
        "kept when the record changes at the source"
    );

    let log = app.store.audit_log(10, 0).unwrap();
    let entry = log.iter().find(|e| e.action == "set types").unwrap();
    assert_eq!(entry.actor, "mod-a");
    assert_eq!(entry.subject, format!("listing {}", item.id));
    assert_eq!(entry.after.as_deref(), Some(r#"["befriending","advice"]"#));
    assert_eq!(entry.before.as_deref(), Some(r#"["other"]"#));
}
