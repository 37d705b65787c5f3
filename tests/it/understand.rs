//! Filters understood from the words (issue 14, part 5), through the real router on
//! the demo directory: the words that name a filter send the page on to the search
//! with that filter, the page says what it understood and offers the words as typed,
//! and words that are part of a listing's name stay words.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, enc};

/// Where a search page sends the browser, if it does.
async fn redirect_of(t: &TestApp, q: &str) -> Option<String> {
    let (status, headers, body) = t.get(&format!("/search?q={}", enc(q))).await;
    match status {
        StatusCode::SEE_OTHER => Some(headers["location"].to_str().unwrap().to_string()),
        StatusCode::OK => None,
        other => panic!("{q}: {other}\n{body}"),
    }
}

/// A URL's query parameters; `get` gives the first value of a name, or "".
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn pairs(url: &str) -> Pairs {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    Pairs(
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
    )
}

#[tokio::test]
async fn words_that_name_filters_become_the_filters_the_page_shows() {
    let t = TestApp::with_demo();
    let typed = "free walking on Monday mornings near Sale";
    let to = redirect_of(&t, typed).await.expect("a redirect");
    let p = pairs(&to);
    assert_eq!(p.get("q"), "walking", "{to}");
    assert_eq!(p.get("near"), "Sale", "{to}");
    assert_eq!(p.get("free"), "1", "{to}");
    assert_eq!(p.get("day"), "mon", "{to}");
    assert_eq!(p.get("time"), "morning", "{to}");
    assert_eq!(p.get("typed"), typed, "{to}");

    let (status, _, page) = t.get(&to).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("We used some of your words as filters."),
        "{page}"
    );
    // Each filter can be taken off like any other applied filter.
    for chip in ["Free only", "Monday", "Morning (before midday)"] {
        assert!(
            page.contains(&format!("Remove filter: </span>{chip}")),
            "{chip}: {page}"
        );
    }
    assert!(page.contains("results near Sale"), "{page}");
    assert!(page.contains(r#"name="q" value="walking""#), "{page}");
    // The results are the search with those filters.
    let api = t
        .search(&to.split_once('?').unwrap().1.replace("typed=", "x="))
        .await;
    let total = api["total"].as_u64().unwrap();
    assert!(total > 0, "{api}");
    assert!(page.contains(&format!("{total} result")), "{page}");
    for hit in api["hits"].as_array().unwrap() {
        assert!(hit["distance_miles"].as_f64().unwrap() <= 5.0, "{hit}");
        assert_eq!(hit["free"], true, "{hit}");
    }

    // Word for word: every word searched, the filters taken off, no redirect.
    let word_for_word = page
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("as_typed=1"))
        .expect("a word-for-word link")
        .replace("&amp;", "&");
    let w = pairs(&word_for_word);
    assert_eq!(w.get("q"), typed);
    assert_eq!((w.get("free"), w.get("day"), w.get("near")), ("", "", ""));
    let (status, _, page) = t.get(&word_for_word).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!(r#"name="q" value="{typed}""#)),
        "{page}"
    );
    assert!(!page.contains("some of your words as filters"));
}

#[tokio::test]
async fn each_kind_of_filter_word() {
    let t = TestApp::with_demo();
    for (q, want) in [
        (
            "exercise for over 60s",
            vec![("q", "exercise"), ("age", "60")],
        ),
        (
            "wheelchair accessible dance",
            vec![("q", "dance"), ("access", "wheelchair")],
        ),
        ("step-free art", vec![("q", "art"), ("access", "step-free")]),
        (
            "befriending by phone",
            vec![("q", "befriending"), ("mode", "phone")],
        ),
        (
            "chair exercise online",
            vec![("q", "chair exercise"), ("mode", "online")],
        ),
        (
            "choir on Tuesday evenings",
            vec![("q", "choir"), ("day", "tue"), ("time", "evening")],
        ),
        (
            "walking M33 7XW",
            vec![("q", "walking"), ("near", "M33 7XW")],
        ),
        (
            "yoga in Chorlton",
            vec![("q", "yoga"), ("near", "Chorlton")],
        ),
        (
            "football near m41",
            vec![("q", "football"), ("near", "m41")],
        ),
    ] {
        let to = redirect_of(&t, q)
            .await
            .unwrap_or_else(|| panic!("{q}: no redirect"));
        let p = pairs(&to);
        for (k, v) in want {
            assert_eq!(p.get(k), v, "{q} → {to}");
        }
        let (status, _, page) = t.get(&to).await;
        assert_eq!(status, StatusCode::OK, "{to}");
        assert!(page.contains("some of your words as filters"), "{to}");
    }
}

#[tokio::test]
async fn words_that_are_part_of_a_name_or_not_a_filter_stay_words() {
    let t = TestApp::with_demo();
    // A choir whose name starts with a filter word; it is not free.
    let report = t.import_one(
        "choirs",
        serde_json::json!({
            "title": "Free Spirits Choir",
            "description": "A friendly community choir. £3 a session.",
            "types": ["music-singing"],
            "cost": {"free": false, "price": "£3 a session"},
            "provenance": {"source_id": "fsc-1"}
        }),
    );
    assert_eq!(report.created, 1, "{report}");
    let v = t.search("q=Free+Spirits+Choir").await;
    assert_eq!(v["hits"][0]["title"], "Free Spirits Choir", "{v}");

    for q in [
        "Free Spirits Choir",
        "free spirits",
        // Names in the demo: "Coffee Morning", "Friday Night Disco", "Online Chair Exercise".
        "coffee morning",
        "friday night disco",
        "online chair exercise",
        // Words that only look like filters, and a place nobody lists.
        "help in the home",
        "sun lounge",
        "walks near Atlantis",
    ] {
        assert_eq!(redirect_of(&t, q).await, None, "{q}");
    }
    let v = t.search("q=Free+Spirits+Choir").await;
    assert_eq!(v["hits"][0]["title"], "Free Spirits Choir", "{v}");
    // The same word elsewhere is still a filter.
    let to = redirect_of(&t, "free choir").await.expect("free choir");
    assert_eq!(pairs(&to).get("free"), "1");
    // A filter that would leave nothing is not taken: no walking football is online.
    assert_eq!(t.search("q=walking+football&mode=online").await["total"], 0);
    assert_eq!(redirect_of(&t, "walking football online").await, None);
    let (_, _, page) = t.get("/search?q=walking+football+online").await;
    assert!(page.contains("Walking Football"), "{page}");
    // With the place box filled in, the words are not read for a place.
    let (status, _, _) = t.get("/search?q=walking+near+Sale&near=M41").await;
    assert_eq!(status, StatusCode::OK);
}
