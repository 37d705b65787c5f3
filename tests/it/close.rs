//! Searches that go on past their matches, on a real council directory (North
//! Lincolnshire's Open Referral UK 1.0 list, imported through the real importer and
//! searched through the real router): listings close to the search after matches that
//! run out, "did you mean", and the words that say who a need is about or the shape
//! of an activity rather than what is wanted.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use signpost::App;
use signpost::web::{self, AppState};

use crate::common;

/// The directory imported once for every test here (the tests only read it).
fn directory() -> &'static (tempfile::TempDir, Arc<App>, axum::Router) {
    static DIR: OnceLock<(tempfile::TempDir, Arc<App>, axum::Router)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = common::signpost_cmd(dir.path())
            .arg("import")
            .arg(common::shared(
                "quality/north-lincolnshire-council_oruk1_services_2024-12.json",
            ))
            .args(["--source-name", "north-lincolnshire", "--area", "E06000013"])
            .output()
            .unwrap();
        common::succeeded(&out);
        let app = Arc::new(App::open(dir.path()).unwrap());
        let router = web::router(AppState::new(app.clone()).with_clock(Arc::new(common::now)));
        (dir, app, router)
    })
}

async fn get(uri: &str) -> (StatusCode, String) {
    let (_, _, router) = directory();
    let (status, _, body) =
        common::send(router, Request::get(uri).body(Body::empty()).unwrap()).await;
    (status, body)
}

async fn search(qs: &str) -> Value {
    let (status, body) = get(&format!("/api/search?{qs}")).await;
    assert_eq!(status, StatusCode::OK, "{qs}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn titles_of(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| h["title"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn matches_that_run_out_go_on_with_listings_close_in_meaning_shown_apart() {
    // One service says "quit smoking"; the council's other stop-smoking services say
    // "stop" and "smoking" in other ways.
    let v = search("q=quit+smoking").await;
    assert_eq!(v["total"], 1, "{v}");
    assert!(titles_of(&v, "hits")[0].contains("Stop Smoking"), "{v}");
    let also = titles_of(&v, "also");
    assert!(
        also.iter().any(|t| t == "Swap to Stop Incentive"),
        "the stop-smoking incentive should follow the match: {also:?}"
    );
    assert!(also.len() <= 9, "at most the rest of the page: {also:?}");
    let hit_ids = common::ids(&v);
    for h in v["also"].as_array().unwrap() {
        assert!(
            !hit_ids.contains(&h["id"].as_i64().unwrap()),
            "a match is not repeated: {h}"
        );
    }
    // A listing that merely shares a word is not close: a bowls club whose
    // description says "quit" is one of the listings with some of the words.
    let some = search("q=quit").await;
    assert!(
        titles_of(&some, "hits").iter().any(|t| t == "Lawn bowling"),
        "{some}"
    );
    assert!(!also.iter().any(|t| t == "Lawn bowling"), "{also:?}");

    // The page shows them after the matches, under their own heading.
    let (status, page) = get("/search?q=quit+smoking").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("1 result"), "{page}");
    let matched = page.find("Stop Smoking Support").unwrap();
    let heading = page
        .find(r#"<h2 id="also-title">Close to your search</h2>"#)
        .expect("the section's heading");
    let close = page.find("Swap to Stop Incentive").unwrap();
    assert!(matched < heading && heading < close);
}

#[tokio::test]
async fn full_pages_unknown_words_and_the_open_referral_api_get_only_matches() {
    // A full first page: the matches have not run out.
    let v = search("q=walking").await;
    assert!(v["total"].as_u64().unwrap() > 10, "{v}");
    assert!(v.get("also").is_none(), "{v}");
    // Nothing shares a word: nothing is added.
    let v = search("q=qwxzv+blorft").await;
    assert_eq!(v["total"], 0);
    assert!(v.get("also").is_none(), "{v}");
    // The Open Referral API pages through the matches exactly.
    let (status, body) = get("/openreferral/services?search=quit+smoking").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total_items"], 1, "{v}");
    assert_eq!(v["contents"].as_array().unwrap().len(), 1, "{v}");
}

#[tokio::test]
async fn who_a_need_is_about_is_not_what_is_searched_for() {
    let (_, app, _) = directory();
    let plan = app.engine.text_plan("my dad has dementia").unwrap();
    let required: Vec<&str> = plan
        .required
        .iter()
        .flat_map(|g| g.words.iter().map(String::as_str))
        .collect();
    assert_eq!(required, ["dementia"], "{plan:?}");
    // Children are the point of a search for them.
    let plan = app
        .engine
        .text_plan("things to do with my toddler")
        .unwrap();
    assert!(
        plan.required.iter().any(|g| g.words == ["toddler"]),
        "{plan:?}"
    );
    // "Dad's Together Group" and "Dads and Kids Sessions" are not about dementia.
    let v = search("q=my+dad+has+dementia").await;
    let top = titles_of(&v, "hits");
    assert!(
        top.iter().take(5).all(|t| t.contains("Dementia")),
        "{top:?}"
    );
    // Alone, the word is a search for what it names.
    let v = search("q=dad").await;
    assert!(titles_of(&v, "hits")[0].starts_with("Dad"), "{v}");
}

#[tokio::test]
async fn a_word_for_the_shape_of_an_activity_is_not_required() {
    // "class" is also a taxonomy word (adult learning), but an art club is what a
    // person asking for an art class wants.
    let v = search("q=art+class").await;
    let titles = titles_of(&v, "hits");
    assert!(titles.iter().any(|t| t == "Art Club"), "{titles:?}");
}

#[tokio::test]
async fn misspelt_words_offer_the_spelling_the_directory_uses() {
    let v = search("q=pillates").await;
    assert_eq!(v["did_you_mean"], "pilates", "{v}");
    let v = search("q=my+dad+has+demensia").await;
    assert_eq!(v["did_you_mean"], "my dad has dementia", "{v}");
    // Known words, and real words no listing uses, are not corrected.
    for q in ["pilates", "hoarding", "drinking"] {
        let v = search(&format!("q={q}")).await;
        assert!(v.get("did_you_mean").is_none(), "{q}: {v}");
    }
    let (status, page) = get("/search?q=gardning").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"Did you mean <a href="/search?q=gardening"#),
        "{page}"
    );
}
