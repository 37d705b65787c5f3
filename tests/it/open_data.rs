//! Signpost's own open data: the OpenActive RPDE feed and dataset site, and the round
//! trip through Signpost's own importer; checked with OpenActive's published
//! validators (`tests/validators/`, npm packages from its lock file).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;
use signpost::listing::{Listing, Status};
use signpost::publish::openactive::{self as oa, Republish};
use signpost::web::{self, AppState, Site};

use crate::common::{self, TestApp};

const LICENCE: &str = "https://creativecommons.org/licenses/by/4.0/";
const FEED: &str = "/openactive/rpde/session-series";

/// The demo content, republished (as a source whose licence allows it would be).
fn republishing_demo() -> (TestApp, Republish) {
    let mut t = TestApp::with_demo();
    let republish = Republish::default().with("demo", "Signpost demo listings", LICENCE);
    oa::remember(&t.app.store, &republish).unwrap();
    t.router = router(&t, &republish);
    (t, republish)
}

fn router(t: &TestApp, republish: &Republish) -> axum::Router {
    let mut site = Site::new(t.dir.path());
    site.republish = republish.clone();
    web::router(
        AppState::new(t.app.clone())
            .with_clock(Arc::new(common::now))
            .with_site(site),
    )
}

/// The path of an absolute link on the test router's host.
fn path_of(url: &str) -> &str {
    url.strip_prefix("http://localhost").unwrap_or(url)
}

/// Every item from `from` to the end of the feed, checking the RPDE rules on the way:
/// items in (modified, id) order, `next` built from the last item, and the last page
/// empty and pointing at itself. Returns the items and the last page's address.
async fn walk(t: &TestApp, from: &str) -> (Vec<Value>, String) {
    let mut url = from.to_string();
    let mut items = Vec::new();
    let mut last_key = (-1i64, -1i64);
    loop {
        let (status, headers, body) = t.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        assert_eq!(headers["access-control-allow-origin"], "*");
        let page: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(page["license"], LICENCE);
        let next = page["next"].as_str().unwrap().to_string();
        let got = page["items"].as_array().unwrap();
        if got.is_empty() {
            assert_eq!(path_of(&next), url, "the last page points at itself");
            assert_eq!(headers["cache-control"], "public, max-age=8");
            return (items, url);
        }
        assert_eq!(headers["cache-control"], "public, max-age=3600");
        for i in got {
            let key = (
                i["modified"].as_i64().unwrap(),
                i["id"].as_str().unwrap().parse::<i64>().unwrap(),
            );
            assert!(key > last_key, "items in modified + id order");
            last_key = key;
        }
        let last = got.last().unwrap();
        assert_eq!(
            path_of(&next),
            format!(
                "{FEED}?afterTimestamp={}&afterId={}",
                last["modified"],
                last["id"].as_str().unwrap()
            )
        );
        items.extend(got.iter().cloned());
        url = path_of(&next).to_string();
    }
}

fn by_id(items: &[Value]) -> BTreeMap<i64, Value> {
    items
        .iter()
        .map(|i| (i["id"].as_str().unwrap().parse().unwrap(), i.clone()))
        .collect()
}

/// What OpenActive can carry: a type on the Activity List, a place (or online), and a
/// price (or free).
fn fits_openactive(l: &Listing, taxonomy: &signpost::listing::Taxonomy) -> bool {
    use signpost::listing::Mode;
    l.types
        .iter()
        .any(|ty| taxonomy.openactive_activity(ty).is_some())
        && ((l.venue.is_some() && l.modes.contains(&Mode::InPerson))
            || l.modes.contains(&Mode::Online))
        && (l.cost.free || l.cost.amount_pence.is_some())
}

fn demo_listings(t: &TestApp) -> Vec<Listing> {
    t.app
        .store
        .ids_for_source("demo")
        .unwrap()
        .into_iter()
        .map(|(id, _)| t.listing(id))
        .collect()
}

#[tokio::test]
async fn the_feed_carries_republished_listings_and_tombstones_the_rest() {
    let (t, _) = republishing_demo();
    let (items, _) = walk(&t, FEED).await;
    let items = by_id(&items);
    let demo = demo_listings(&t);
    assert_eq!(items.len(), demo.len(), "one item per demo listing");
    let taxonomy = t.app.taxonomy;
    let (mut updated, mut deleted) = (0, 0);
    for l in &demo {
        let item = &items[&l.id];
        assert_eq!(item["kind"], "SessionSeries");
        let fits = fits_openactive(l, taxonomy);
        if fits && l.status == Status::Published {
            updated += 1;
            assert_eq!(item["state"], "updated", "{}", l.title);
            let d = &item["data"];
            assert_eq!(d["@type"], "SessionSeries");
            assert_eq!(d["name"], l.title.as_str());
            assert_eq!(d["@id"], format!("http://localhost/listings/{}", l.id));
            assert_eq!(d["signpost:license"], LICENCE);
            assert_eq!(d["signpost:attribution"]["name"], "Signpost demo listings");
            for a in d["activity"].as_array().unwrap() {
                assert_eq!(a["inScheme"], oa::ACTIVITY_LIST);
            }
        } else {
            deleted += 1;
            assert_eq!(item["state"], "deleted", "{}", l.title);
            assert!(item.get("data").is_none());
        }
    }
    assert!(
        updated >= 50,
        "most demo activities fit OpenActive: {updated}"
    );
    assert!(deleted > 0, "befriending, advice lines and the like do not");

    // A walking group: its weekly rule as a PartialSchedule.
    let walk_listing = demo
        .iter()
        .find(|l| {
            l.types.iter().any(|t| t == "walking")
                && l.schedule
                    .sessions
                    .iter()
                    .any(|r| r.repeat == signpost::listing::schedule::Repeat::Weekly)
                && l.venue.is_some()
        })
        .expect("a weekly walking group in the demo");
    let d = &items[&walk_listing.id]["data"];
    let rule = &walk_listing.schedule.sessions[0];
    let s = &d["eventSchedule"][0];
    assert_eq!(s["@type"], "PartialSchedule");
    assert_eq!(
        s["byDay"][0],
        format!("https://schema.org/{}", rule.day.name())
    );
    assert_eq!(s["startTime"], rule.start.format("%H:%M").to_string());
    assert_eq!(s["scheduleTimezone"], "Europe/London");
    assert!(
        d["activity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["prefLabel"] == "Walking"),
        "{d}"
    );
}

#[tokio::test]
async fn an_edit_or_a_withdrawal_is_on_the_next_page() {
    let (t, _) = republishing_demo();
    let (_, end) = walk(&t, FEED).await;
    let demo = demo_listings(&t);
    let mut edited = demo
        .iter()
        .find(|l| l.types.iter().any(|ty| ty == "walking") && l.venue.is_some())
        .unwrap()
        .clone();
    edited.title = "Walking group (now on Thursdays too)".into();
    t.app.store.upsert(&edited).unwrap();

    let (status, _, body) = t.get(&end).await;
    assert_eq!(status, StatusCode::OK);
    let page: Value = serde_json::from_str(&body).unwrap();
    let got = page["items"].as_array().unwrap();
    assert_eq!(got.len(), 1, "only the edited listing: {page}");
    assert_eq!(got[0]["id"], edited.id.to_string());
    assert_eq!(got[0]["state"], "updated");
    assert_eq!(got[0]["data"]["name"], edited.title.as_str());

    let next = path_of(page["next"].as_str().unwrap()).to_string();
    t.app.store.set_status(edited.id, Status::Archived).unwrap();
    let (_, _, body) = t.get(&next).await;
    let page: Value = serde_json::from_str(&body).unwrap();
    let got = page["items"].as_array().unwrap();
    assert_eq!(got.len(), 1, "{page}");
    assert_eq!(got[0]["id"], edited.id.to_string());
    assert_eq!(got[0]["state"], "deleted", "withdrawn: a tombstone");

    // A source that may not be republished never appears, even when it changes.
    let next = path_of(page["next"].as_str().unwrap()).to_string();
    let mut other = demo[0].clone();
    other.id = 0;
    // Not the same activity as a demo listing, or the two would be merged (and the
    // demo one sent again, unchanged).
    other.title = "Benefits advice drop-in".into();
    other.venue = None;
    other.provenance.source = "a-council-directory".into();
    other.provenance.source_id = "svc-1".into();
    t.app.store.upsert(&other).unwrap();
    let (items, _) = walk(&t, &next).await;
    assert!(items.is_empty(), "{items:?}");

    // The tombstone stays for consumers that start later.
    let (all, _) = walk(&t, FEED).await;
    let all = by_id(&all);
    assert_eq!(all[&edited.id]["state"], "deleted");
}

#[tokio::test]
async fn a_source_no_longer_republished_is_withdrawn_from_the_feed() {
    let (mut t, _) = republishing_demo();
    let (_, end) = walk(&t, FEED).await;
    let demo: BTreeSet<i64> = demo_listings(&t).iter().map(|l| l.id).collect();

    let only_groups = Republish::default();
    let touched = oa::remember(&t.app.store, &only_groups).unwrap();
    assert_eq!(touched, demo.len());
    t.router = router(&t, &only_groups);
    let (items, _) = walk(&t, &end).await;
    let ids: BTreeSet<i64> = by_id(&items).keys().copied().collect();
    assert_eq!(ids, demo, "every demo listing comes round again");
    assert!(items.iter().all(|i| i["state"] == "deleted"));
    // Remembering the same choice again touches nothing.
    assert_eq!(oa::remember(&t.app.store, &only_groups).unwrap(), 0);
}

#[tokio::test]
async fn bad_feed_parameters_are_a_400_with_a_message() {
    let (t, _) = republishing_demo();
    for qs in [
        "afterTimestamp=soon&afterId=1",
        "afterTimestamp=5",
        "afterId=5",
        "afterTimestamp=5&afterId=x",
        "afterTimestamp=-1&afterId=1",
        "afterTimestamp=99999999999999999999999&afterId=1",
    ] {
        let (status, v) = t.json(&format!("{FEED}?{qs}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{qs}");
        assert!(v["error"].as_str().unwrap().contains("after"), "{qs}: {v}");
    }
    // Far past the end is simply the (empty) last page.
    let (status, v) = t
        .json(&format!("{FEED}?afterTimestamp=999999999&afterId=1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["items"], serde_json::json!([]));
}

#[tokio::test]
async fn the_dataset_site_describes_the_feed_for_people_and_tools() {
    let (t, _) = republishing_demo();
    let (status, _, html) = t.get("/openactive").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Open data</h1>"));
    assert!(html.contains("Signpost demo listings"));
    let start = html.find("application/ld+json\">").unwrap() + "application/ld+json\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let d: Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(d["@type"], "Dataset");
    assert_eq!(d["license"], LICENCE);
    assert_eq!(
        d["distribution"][0]["contentUrl"],
        format!("http://localhost{FEED}")
    );
    assert_eq!(
        d["distribution"][0]["additionalType"],
        "https://openactive.io/SessionSeries"
    );
    let (status, headers, ctx) = t.get("/openactive/context.jsonld").await;
    assert_eq!(status, StatusCode::OK, "{ctx}");
    assert_eq!(headers["content-type"], "application/ld+json");
    let ctx: Value = serde_json::from_str(&ctx).unwrap();
    let defined: Vec<&str> = ctx["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["@id"].as_str().unwrap())
        .collect();
    assert_eq!(
        defined,
        [
            "signpost:attribution",
            "signpost:byMonthWeek",
            "signpost:license",
            "signpost:transportNote"
        ]
    );
}

/// A listing as the importer can know it from the feed: what survives the round trip.
fn comparable(l: &Listing) -> Value {
    let mut v = serde_json::json!({
        "title": l.title,
        "description": l.description,
        "types": l.types,
        "modes": l.modes,
        "sessions": l.schedule.sessions,
        "except": l.schedule.except,
        "note": l.schedule.note,
        "free": l.cost.free,
        "amount_pence": l.cost.amount_pence,
        "age_min": l.audience.age_min,
        "age_max": l.audience.age_max,
        "gender": l.audience.gender,
        "access_notes": l.access.notes,
        "join_details": l.join.details,
        "meeting_point": l.join.meeting_point,
        "leader": l.join.leader,
        "places": l.join.places,
        "level": l.audience.level,
        "travel": l.access.travel,
        "organisation": l.organisation.name,
        "website": l.organisation.website,
    });
    if let Some(venue) = &l.venue {
        // The address comes back with its council area (`addressRegion`) after it.
        v["venue"] = serde_json::json!([venue.name, venue.postcode, venue.lat, venue.lon]);
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signpost_imports_its_own_feed_and_gets_the_same_listings() {
    let (t, _) = republishing_demo();
    let base = common::fake_http::serve(t.router.clone()).await;
    let fresh = tempfile::tempdir().unwrap();
    let feed = format!("{base}{FEED}");
    let out = tokio::task::spawn_blocking({
        let dir = fresh.path().to_path_buf();
        move || {
            common::signpost_cmd(&dir)
                .args(["import", &feed, "--source-name", "signpost-elsewhere"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let report = common::succeeded(&out);

    let copy = signpost::App::open(fresh.path()).unwrap();
    let taxonomy = t.app.taxonomy;
    let mut compared = 0;
    for l in demo_listings(&t) {
        let published = fits_openactive(&l, taxonomy);
        let id = format!("{base}/listings/{}", l.id);
        let got = common::find_listing(&copy, "signpost-elsewhere", &id);
        if !published {
            assert!(got.is_none(), "{} was not published", l.title);
            continue;
        }
        let got = got.unwrap_or_else(|| panic!("{} did not come back: {report}", l.title));
        let mut want = comparable(&l);
        // Types: each comes back through its Activity List concept; a type with none
        // is not carried.
        let kept: Vec<&String> = l
            .types
            .iter()
            .filter(|ty| taxonomy.openactive_activity(ty).is_some())
            .collect();
        want["types"] = serde_json::json!(kept);
        // OpenActive knows in person and online; by phone and home visits are not said.
        let modes: Vec<_> = l
            .modes
            .iter()
            .filter(|m| {
                matches!(m, signpost::listing::Mode::Online)
                    || (matches!(m, signpost::listing::Mode::InPerson) && l.venue.is_some())
            })
            .collect();
        want["modes"] = serde_json::json!(modes);
        // One-off dates in the past are dropped by the importer, as from any feed.
        let today = common::now().date();
        let dates: Vec<_> = l
            .schedule
            .dates
            .iter()
            .filter(|d| d.date >= today)
            .collect();
        assert_eq!(
            serde_json::json!(got.schedule.dates),
            serde_json::json!(dates),
            "{}",
            l.title
        );
        assert_eq!(comparable(&got), want, "{}", l.title);
        if let (Some(was), Some(now)) = (&l.venue, &got.venue) {
            let council = was
                .postcode
                .as_deref()
                .and_then(|p| signpost::geo::postcode::Postcode::parse(p).ok())
                .and_then(|p| {
                    signpost::geo::area::Authorities::embedded()
                        .for_district(p.outward())
                        .and_then(|a| a.name.clone())
                });
            let expected = match council {
                Some(c) if !was.address.ends_with(&c) => format!("{}, {c}", was.address),
                _ => was.address.clone(),
            };
            assert_eq!(now.address, expected, "{}", l.title);
        }
        // Accessibility comes back through the coarser OpenActive list: everything
        // that was mapped is still there.
        for f in &l.access.features {
            if !taxonomy.access_feature(f).unwrap().openactive.is_empty() || f == "parking" {
                assert!(got.access.features.contains(f), "{}: {f}", l.title);
            }
        }
        compared += 1;
    }
    assert!(compared >= 50, "{compared} listings compared");
    // The demo has listings giving each of the fields compared.
    let demo = demo_listings(&t);
    assert!(
        demo.iter()
            .any(|l| l.join.leader.is_some() && l.join.places.is_some())
    );
    assert!(
        demo.iter()
            .any(|l| l.audience.level.is_some() && !l.join.meeting_point.is_empty())
    );
    assert!(demo.iter().any(|l| l.access.travel.len() == 2));

    // Through the dataset site too (how one Signpost would follow another).
    let fresh = tempfile::tempdir().unwrap();
    let site = format!("{base}/openactive");
    let out = tokio::task::spawn_blocking({
        let dir = fresh.path().to_path_buf();
        move || {
            common::signpost_cmd(&dir)
                .args([
                    "import",
                    &site,
                    "--format",
                    "openactive-dataset",
                    "--source-name",
                    "by-dataset-site",
                ])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    common::succeeded(&out);
    let copy = signpost::App::open(fresh.path()).unwrap();
    assert_eq!(
        copy.store.ids_for_source("by-dataset-site").unwrap().len(),
        compared
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_passes_the_openactive_validators() {
    let (t, _) = republishing_demo();
    let base = common::fake_http::serve(t.router.clone()).await;
    let feed = format!("{base}{FEED}");
    let shared = common::shared("");
    let report = tokio::task::spawn_blocking(move || {
        common::validators(&["feed", &feed, shared.to_str().unwrap()])
    })
    .await
    .unwrap();
    eprintln!("{report:#}");
    assert!(report["updated"].as_u64().unwrap() >= 50);
    let failures = |list: &Value| -> Vec<Value> {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["severity"] == "failure")
            .cloned()
            .collect()
    };
    assert_eq!(
        failures(&report["rpde"]),
        Vec::<Value>::new(),
        "RPDE validator"
    );
    assert_eq!(
        failures(&report["model"]),
        Vec::<Value>::new(),
        "data model validator"
    );
    // The conformance profiles: every item is checked; what they find must be one of
    // the gaps below, each with its reason. Anything else (a wrong type, a value too
    // long, a field Signpost knows but left out) fails.
    let mut given = BTreeSet::new();
    // Every item the profiles checked: none has an image, so the core profile names
    // each one.
    let checked: BTreeSet<String> = report["profiles"]["core"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["missing"] == "image")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(checked.len() as u64, report["updated"].as_u64().unwrap());
    for profile in ["core", "accessibility", "socialrx"] {
        let errors = report["profiles"][profile].as_array().unwrap();
        // How many items each gap is found in, for the record.
        let mut found: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for e in errors {
            let what = e["missing"]
                .as_str()
                .or(e["keyword"].as_str())
                .unwrap_or("");
            found
                .entry(format!(
                    "{}{} {what}",
                    profile,
                    e["path"].as_str().unwrap_or("")
                ))
                .or_default()
                .insert(e["id"].as_str().unwrap_or(""));
        }
        for (gap, items) in &found {
            eprintln!(
                "profile gap: {gap}: {} of {} items",
                items.len(),
                checked.len()
            );
        }
        let mut unexplained = BTreeSet::new();
        for e in errors {
            let path: String = e["path"]
                .as_str()
                .unwrap()
                .chars()
                .map(|c| if c.is_ascii_digit() { 'N' } else { c })
                .collect();
            let what = e["missing"]
                .as_str()
                .unwrap_or_else(|| e["keyword"].as_str().unwrap());
            if !PROFILE_GAPS
                .iter()
                .any(|(p, at, w, _)| *p == profile && *at == path && *w == what)
            {
                unexplained.insert(format!("{profile} {path} {what}: {}", e["message"]));
            }
            // A field the listing gives is never a gap.
            let id: i64 = e["id"].as_str().unwrap().parse().unwrap();
            let l = t.app.store.get(id).unwrap().unwrap();
            if let Some((_, gives)) = ONLY_WHEN_NOT_GIVEN
                .iter()
                .find(|(w, _)| path.is_empty() && *w == what)
                && gives(&l)
            {
                unexplained.insert(format!("{profile}: '{}' gives {what}", l.title));
            }
        }
        assert!(unexplained.is_empty(), "{unexplained:#?}");
        // And the fields Signpost collects are there for the listings that give them.
        for (what, gives) in ONLY_WHEN_NOT_GIVEN {
            let missing: BTreeSet<&str> = errors
                .iter()
                .filter(|e| e["path"] == "" && e["missing"] == *what)
                .map(|e| e["id"].as_str().unwrap())
                .collect();
            for id in &checked {
                let l = t.app.store.get(id.parse().unwrap()).unwrap().unwrap();
                if gives(&l) && !missing.contains(id.as_str()) {
                    given.insert(*what);
                }
            }
        }
    }
    for (what, _) in ONLY_WHEN_NOT_GIVEN {
        assert!(given.contains(what), "no item in the feed gives {what}");
    }
}

/// Gaps allowed only for a listing that does not give the field: when it does, the
/// feed must carry it.
type Gives = fn(&signpost::listing::Listing) -> bool;
const ONLY_WHEN_NOT_GIVEN: &[(&str, Gives)] = &[
    ("level", |l| l.audience.level.is_some()),
    ("maximumAttendeeCapacity", |l| l.join.places.is_some()),
    ("leader", |l| l.join.leader.is_some()),
    ("meetingPoint", |l| !l.join.meeting_point.is_empty()),
    ("ageRange", |l| {
        l.audience.age_min.is_some() || l.audience.age_max.is_some()
    }),
    ("location", |l| {
        l.venue.is_some() && l.modes.contains(&signpost::listing::Mode::InPerson)
    }),
];

/// What the conformance profiles ask for that Signpost cannot give honestly: (profile,
/// where, the property missing or the rule broken, why). Three kinds:
/// - a field the listing does not give (groups say what they do, when, where, for
///   whom and, if they choose, its level, size, leader, meeting point and how to get
///   there); those Signpost collects are checked against the listing
///   ([`ONLY_WHEN_NOT_GIVEN`]), and nothing is made up to fill a field;
/// - what Signpost does not collect at all (images, logos, venue e-mail and web
///   pages, live places left: nothing is booked here);
/// - where the draft profiles and the OpenActive data model disagree: the data model
///   and its validator (checked above) win, as every OpenActive consumer reads them.
const PROFILE_GAPS: &[(&str, &str, &str, &str)] = &[
    (
        "core",
        "",
        "image",
        "not collected: a photo needs its licence and the people in it asked, and pages load nothing from elsewhere",
    ),
    ("core", "", "level", "only when the group says"),
    (
        "core",
        "",
        "maximumAttendeeCapacity",
        "only when the group says",
    ),
    (
        "core",
        "",
        "remainingAttendeeCapacity",
        "nothing is booked through Signpost, so places left are not known",
    ),
    ("core", "", "ageRange", "only when the group gives ages"),
    (
        "core",
        "",
        "location",
        "online-only activities have no place (OpenActive: eventAttendanceMode)",
    ),
    (
        "core",
        "/eventSchedule",
        "type",
        "conflict: the profile wants one object; the data model wants an array",
    ),
    (
        "core",
        "/ageRange",
        "maxValue",
        "'50 and over' has no upper age, as the data model allows",
    ),
    (
        "core",
        "/location",
        "url",
        "not collected: venues have no web page of their own here",
    ),
    (
        "core",
        "/location",
        "amenityFeature",
        "only parking and an accessible toilet are known, and only when they are there",
    ),
    (
        "core",
        "/location/address",
        "email",
        "not collected: venues have no e-mail address here",
    ),
    (
        "accessibility",
        "",
        "transportNote",
        "conflict: the data model does not define transportNote (its validator fails it), so the notes are published as signpost:transportNote",
    ),
    (
        "accessibility",
        "",
        "accessibilitySupport",
        "only when a feature maps to the OpenActive list",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "carerPolicy",
        "conflict: the draft profile's AccessibilitySupport object; the data model wants the Accessibility Support list's Concepts",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "contactPoint",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "description",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "hoursAvailable",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "isAdvanceNoticeRequired",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "name",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "participantConditionSupported",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "review",
        "as above (and Signpost has no reviews)",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N",
        "url",
        "as above",
    ),
    (
        "accessibility",
        "/accessibilitySupport/N/@type",
        "const",
        "as above: the data model's type is Concept",
    ),
    ("socialrx", "", "image", "not collected (see core)"),
    ("socialrx", "", "leader", "only when the group names one"),
    (
        "socialrx",
        "/leader",
        "type",
        "conflict: the profile wants one Person; the data model wants an array of them",
    ),
    (
        "socialrx",
        "",
        "interval",
        "conflict: not in the data model (its validator fails it); the repeat is eventSchedule's repeatFrequency",
    ),
    ("socialrx", "", "level", "only when the group says"),
    (
        "socialrx",
        "",
        "maximumAttendeeCapacity",
        "only when the group says",
    ),
    (
        "socialrx",
        "",
        "remainingAttendeeCapacity",
        "nothing is booked through Signpost",
    ),
    ("socialrx", "", "meetingPoint", "only when the group says"),
    ("socialrx", "", "ageRange", "only when the group gives ages"),
    (
        "socialrx",
        "",
        "accessibilitySupport",
        "only when a feature maps to the OpenActive list",
    ),
    (
        "socialrx",
        "",
        "isAccessibleForFree",
        "only when the cost is known (free, or a price)",
    ),
    (
        "socialrx",
        "",
        "location",
        "online-only activities have no place",
    ),
    (
        "socialrx",
        "/activity/N",
        "id",
        "conflict: the profile uses JSON-LD 1.0's `id`; OpenActive 2.0 uses `@id`",
    ),
    (
        "socialrx",
        "/organizer",
        "contactPoint",
        "conflict: the data model's Organization has no contactPoint (its email and telephone are published)",
    ),
    (
        "socialrx",
        "/organizer",
        "logo",
        "not collected: groups do not send logos",
    ),
    (
        "socialrx",
        "/organizer",
        "anyOf",
        "follows from contactPoint and logo",
    ),
    (
        "socialrx",
        "/organizer/@type",
        "const",
        "follows from contactPoint and logo (the Person branch)",
    ),
    (
        "socialrx",
        "/eventSchedule",
        "type",
        "conflict: the profile wants one object; the data model wants an array",
    ),
    (
        "socialrx",
        "/ageRange",
        "maxValue",
        "'50 and over' has no upper age",
    ),
    (
        "socialrx",
        "/location",
        "description",
        "not collected: venues have no description here",
    ),
    (
        "socialrx",
        "/location/address",
        "email",
        "not collected: venues have no e-mail address here",
    ),
];
