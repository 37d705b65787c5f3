//! Search behaviour through the real router and JSON API, on the real demo content.

use crate::common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::{TestApp, enc, ids, titles};
use serde_json::Value;
use signpost::listing::{Day, Mode, TimeOfDay};

fn hits(v: &Value) -> &Vec<Value> {
    v["hits"].as_array().unwrap()
}

/// Every hit id on every page of a search.
async fn all_ids(t: &TestApp, qs: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for page in 1..=100 {
        let v = t.search(&format!("{qs}&page={page}")).await;
        let got = ids(&v);
        if got.is_empty() {
            break;
        }
        out.extend(got);
    }
    out
}

#[tokio::test]
async fn text_search_finds_by_title_first() {
    let t = TestApp::with_demo();
    let v = t.search("q=walking+football").await;
    assert!(v["total"].as_u64().unwrap() >= 2);
    let first = &titles(&v)[0];
    assert!(first.to_lowercase().contains("walking football"), "{first}");
    // JSON contract fields.
    let h = &hits(&v)[0];
    for key in [
        "id",
        "title",
        "types",
        "access",
        "mode",
        "free",
        "next_session",
        "url",
    ] {
        assert!(h.get(key).is_some(), "hit lacks {key}: {h}");
    }
    assert!(
        v["type_counts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "walking-sports")
    );
}

#[tokio::test]
async fn stemming_and_folding() {
    let t = TestApp::with_demo();
    let walks = t.search("q=walks").await;
    let walking = t.search("q=walking").await;
    assert_eq!(
        walks["total"], walking["total"],
        "walks and walking stem alike"
    );
    let cafe = t.search("q=caf%C3%A9").await;
    let plain = t.search("q=cafe").await;
    assert_eq!(cafe["total"], plain["total"], "café folds to cafe");
    assert!(plain["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn typos_still_find() {
    let t = TestApp::with_demo();
    for (typo, want) in [
        ("knittin", "knit"),
        ("walkng footbal", "walking football"),
        ("dementa", "dementia"),
        ("choire", "choir"),
    ] {
        let v = t.search(&format!("q={}", enc(typo))).await;
        let found = hits(&v).iter().any(|h| {
            let l = t.listing(h["id"].as_i64().unwrap());
            format!("{} {} {}", l.title, l.summary, l.description)
                .to_lowercase()
                .contains(want)
        });
        assert!(
            found,
            "'{typo}' should find something about '{want}': {:?}",
            titles(&v)
        );
    }
}

#[tokio::test]
async fn lay_words_find_what_groups_call_things() {
    let t = TestApp::with_demo();
    // "lonely" appears in few listings; the thesaurus must bring in befriending and
    // social groups that never use the word.
    let v = t.search("q=lonely").await;
    let total = v["total"].as_u64().unwrap();
    assert!(total >= 10, "lonely found only {total}");
    let without_word = all_ids(&t, "q=lonely")
        .await
        .into_iter()
        .filter(|&id| {
            let l = t.listing(id);
            let text = format!("{} {} {}", l.title, l.summary, l.description).to_lowercase();
            !text.contains("lonel")
                && (l.types.contains(&"befriending".to_string())
                    || l.types.contains(&"social-groups".to_string()))
        })
        .count();
    assert!(
        without_word >= 5,
        "thesaurus brought in only {without_word} befriending/social listings"
    );

    // A category word finds the things in that category.
    let v = t.search("q=exercise").await;
    let kinds: HashSet<String> = hits(&v)
        .iter()
        .flat_map(|h| {
            h["types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        kinds.iter().any(|k| [
            "walking",
            "walking-sports",
            "gentle-exercise",
            "dance",
            "swimming"
        ]
        .contains(&k.as_str())),
        "exercise should find activity types: {kinds:?}"
    );
    for q in ["low+mood", "bereaved", "carer", "dementia", "food"] {
        let v = t.search(&format!("q={q}")).await;
        assert!(v["total"].as_u64().unwrap() > 0, "{q} found nothing");
    }
}

#[tokio::test]
async fn each_filter_restricts_results() {
    let t = TestApp::with_demo();
    let everything = t.search("").await["total"].as_u64().unwrap();
    assert!(everything >= 250, "demo has {everything} listings");

    // type, with counts per type.
    let v = t.search("type=gardening-nature").await;
    assert!(v["total"].as_u64().unwrap() > 0);
    for h in hits(&v) {
        assert!(
            h["types"]
                .as_array()
                .unwrap()
                .contains(&Value::from("gardening-nature"))
        );
    }
    let counted = v["type_counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "gardening-nature")
        .unwrap()["count"]
        .as_u64()
        .unwrap();
    assert_eq!(counted, v["total"].as_u64().unwrap());
    assert!(
        v["type_counts"].as_array().unwrap().len() > 5,
        "other types still counted"
    );

    // access: all of those asked.
    for id in all_ids(&t, "access=hearing-loop&access=wheelchair").await {
        let l = t.listing(id);
        assert!(
            l.access.features.contains(&"hearing-loop".into())
                && l.access.features.contains(&"wheelchair".into())
        );
    }
    // free only.
    let free = all_ids(&t, "free=1").await;
    assert!(!free.is_empty() && (free.len() as u64) < everything);
    for id in free {
        assert!(t.listing(id).cost.free);
    }
    // day (any of those asked).
    let today = common::now().date();
    for id in all_ids(&t, "day=sat&day=sun").await {
        let days = t.listing(id).schedule.days(today);
        assert!(days.contains(&Day::Sat) || days.contains(&Day::Sun));
    }
    // time of day.
    let evening = all_ids(&t, "time=evening").await;
    assert!(!evening.is_empty());
    for id in evening {
        assert!(
            t.listing(id)
                .schedule
                .times_of_day(today)
                .contains(TimeOfDay::Evening.slug())
        );
    }
    // age.
    let for_20 = all_ids(&t, "age=20").await;
    assert!(!for_20.is_empty() && (for_20.len() as u64) < everything);
    for id in for_20 {
        let a = t.listing(id).audience;
        assert!(a.age_min.unwrap_or(0) <= 20 && a.age_max.unwrap_or(255) >= 20);
    }
    // mode.
    for id in all_ids(&t, "mode=phone").await {
        assert!(t.listing(id).modes.contains(&Mode::Phone));
    }
    // Combined filters only narrow.
    let combined = t.search("q=walk&free=1&time=morning").await["total"]
        .as_u64()
        .unwrap();
    let fewer = t.search("q=walk").await["total"].as_u64().unwrap();
    assert!(combined <= fewer);
}

#[tokio::test]
async fn distance_filter_and_order() {
    let t = TestApp::with_demo();
    let v = t.search("near=WA14&within=1.5&sort=distance").await;
    let loc = &v["location"];
    assert_eq!(loc["label"], "WA14");
    let mut last = -1.0;
    let mut seen_remote = false;
    for page in 1..=30 {
        let v = t
            .search(&format!("near=WA14&within=1.5&sort=distance&page={page}"))
            .await;
        if hits(&v).is_empty() {
            break;
        }
        for h in hits(&v) {
            match h["distance_miles"].as_f64() {
                Some(d) if h["reach"] == "distance" => {
                    assert!(
                        !seen_remote,
                        "venues come before remote listings when sorted by distance"
                    );
                    assert!(d >= last - 1e-9, "not nearest first: {d} after {last}");
                    assert!(d <= 1.5 + 0.05, "{d} is outside 1.5 miles");
                    last = d;
                }
                _ => seen_remote = true,
            }
        }
    }
    assert!(last >= 0.0, "some venue within 1.5 miles of WA14");
}

#[tokio::test]
async fn location_search_keeps_online_and_phone_listings() {
    let t = TestApp::with_demo();
    let mut reaches = HashSet::new();
    for page in 1..=40 {
        let v = t
            .search(&format!("near=M33+7XW&within=1&page={page}"))
            .await;
        if hits(&v).is_empty() {
            break;
        }
        for h in hits(&v) {
            reaches.insert(h["reach"].as_str().unwrap().to_string());
            if h["reach"] != "distance" {
                assert!(
                    !h["reach_label"].as_str().unwrap().is_empty(),
                    "remote hits are labelled"
                );
            }
        }
    }
    assert!(reaches.contains("distance"), "{reaches:?}");
    assert!(
        reaches.contains("online"),
        "online listings kept: {reaches:?}"
    );
    assert!(
        reaches.contains("phone"),
        "phone listings kept: {reaches:?}"
    );
    // Far away (Edinburgh), Trafford-only phone lines and venues drop out, but services
    // open to anywhere stay.
    let v = t.search("near=EH1&within=5").await;
    for h in hits(&v) {
        assert_ne!(h["reach"], "distance");
    }
    // Only in person: no remote listings.
    let v = t.search("near=M33&within=2&mode=in-person").await;
    for h in hits(&v) {
        assert_eq!(h["reach"], "distance");
    }
}

#[tokio::test]
async fn relevance_is_blended_with_distance() {
    let t = TestApp::with_demo();
    let v = t.search("q=choir&near=M41&within=20").await;
    assert_eq!(v["sort"], "relevance");
    let v2 = t.search("q=choir&near=M41&within=20&sort=distance").await;
    assert_eq!(v2["sort"], "distance");
    assert_eq!(v["total"], v2["total"]);
}

#[tokio::test]
async fn postcode_problems_are_clear_4xx() {
    let t = TestApp::with_demo();
    for (near, want) in [
        ("not+a+postcode", "not a UK postcode"),
        ("ZZ99+9ZZ", "could not find"),
        ("SW1A1AAAAAAAAAAAAAAAA", "too long"),
    ] {
        let (status, v) = t.json(&format!("/api/search?near={near}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{near}");
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains(want), "{near}: {msg}");
        assert_eq!(v["errors"][0]["param"], "near");
    }
    // A full postcode we have no table for falls back to its district, and says so.
    let v = t.search("near=M33+7XW").await;
    assert_eq!(v["location"]["precision"], "district");
    assert!(v["location"]["note"].as_str().unwrap().contains("M33"));
    // Messy spacing and case normalise.
    let v = t.search("near=%20m33%20%207xw%20").await;
    assert_eq!(v["location"]["label"], "M33 7XW");
}

#[tokio::test]
async fn other_bad_parameters_are_4xx_json() {
    let t = TestApp::with_demo();
    for qs in [
        "within=far",
        "within=0",
        "within=1000",
        "type=unicorns",
        "access=moat",
        "free=maybe",
        "day=someday",
        "time=noon",
        "age=200",
        "age=x",
        "mode=carrier-pigeon",
        "sort=random",
        "page=0",
        "page=101",
        "page=abc",
        "sort=distance",
    ] {
        let (status, v) = t.json(&format!("/api/search?{qs}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{qs}");
        assert!(!v["error"].as_str().unwrap().is_empty());
    }
    // A page past the end is not an error: just no hits.
    let v = t.search("q=walking&page=100").await;
    assert!(hits(&v).is_empty());
    assert!(v["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn listing_json_has_the_whole_model() {
    let t = TestApp::with_demo();
    let v = t.search("near=M33&mode=in-person").await;
    let id = hits(&v)[0]["id"].as_i64().unwrap();
    let (status, l) = t.json(&format!("/api/listings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for key in [
        "title",
        "organisation",
        "types",
        "modes",
        "venue",
        "schedule",
        "cost",
        "access",
        "audience",
        "join",
        "provenance",
        "status",
        "postcode",
        "lat",
        "lon",
    ] {
        assert!(l.get(key).is_some(), "listing lacks {key}");
    }
    assert!(l["lat"].as_f64().is_some());
    let (status, v) = t.json("/api/listings/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
    let (status, _) = t.json("/api/listings/%3Cscript%3E").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn next_session_is_a_real_future_date() {
    let t = TestApp::with_demo();
    let v = t.search("q=walking").await;
    let mut dated = 0;
    for h in hits(&v) {
        if let Some(start) = h["next_session"]["start"].as_str() {
            assert!(start > "2026-11-24T09:00", "{start} is in the past");
            assert!(!h["next_session"]["text"].as_str().unwrap().is_empty());
            dated += 1;
        }
    }
    assert!(dated > 0);
}

#[tokio::test]
async fn reindex_gives_identical_results() {
    let t = TestApp::with_demo();
    let queries = [
        "q=walking",
        "q=lonely",
        "near=M33&within=3",
        "q=choir&near=M41&within=10",
        "type=arts-crafts&free=1",
        "q=knittin",
        "near=WA15&sort=distance&page=2",
        "q=",
    ];
    let before = results(&t, &queries).await;
    {
        let mut i = t.indexer.lock().unwrap();
        let r = i.rebuild(&t.app.store, t.app.taxonomy).unwrap();
        assert!(r.indexed >= 250);
    }
    same_results(&t, &queries, before, "reindex").await;
}

/// The JSON of each search.
async fn results(t: &TestApp, queries: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for q in queries {
        out.push(t.search(q).await);
    }
    out
}

/// Asserts each search gives what it gave `before` (the index was rebuilt in between).
async fn same_results(t: &TestApp, queries: &[&str], before: Vec<Value>, after: &str) {
    for (q, b) in queries.iter().zip(before) {
        assert_eq!(
            t.search(q).await,
            b,
            "results changed after {after} for {q}"
        );
    }
}

#[tokio::test]
async fn archived_listings_leave_search_after_sync() {
    let t = TestApp::with_demo();
    let v = t.search("q=walking+football").await;
    let id = ids(&v)[0];
    t.app
        .store
        .set_status(id, signpost::listing::Status::Archived)
        .unwrap();
    t.sync();
    let v = t.search("q=walking+football").await;
    assert!(!ids(&v).contains(&id));
    let (status, _) = t.json(&format!("/api/listings/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn several_word_expansions_match_names_in_order() {
    let t = TestApp::with_demo();
    // "forgetful" means, among others, "memory cafe" and "singing for the brain": the
    // listings called those come before one that only has the word "memory" in its
    // name.
    let v = t.search("q=forgetful").await;
    let found = titles(&v);
    let last_phrase = found
        .iter()
        .rposition(|t| t.contains("Memory Café") || t == "Singing for the Brain")
        .unwrap();
    let music = found.iter().position(|t| t == "Music for Memory").unwrap();
    assert!(last_phrase < music, "{found:?}");
    // Typed as a phrase, the cafés are at the top.
    let v = t.search("q=memory+cafe").await;
    let found = titles(&v);
    assert!(found[0].contains("Memory Café"), "{found:?}");
    let cafes = found.iter().filter(|t| t.contains("Memory Café")).count();
    assert!(
        found
            .iter()
            .take(cafes + 1)
            .filter(|t| t.contains("Memory Café"))
            .count()
            == cafes,
        "{found:?}"
    );
}

#[tokio::test]
async fn pages_walk_every_match_once() {
    let t = TestApp::with_demo();
    for qs in [
        "q=walking",
        "q=lonely&near=M33&within=5",
        "near=M41&within=3",
        "near=WA15&within=10&sort=distance",
        "q=",
    ] {
        let total = t.search(qs).await["total"].as_u64().unwrap() as usize;
        let seen = all_ids(&t, qs).await;
        assert!(total > 10, "{qs}: more than one page to walk");
        assert_eq!(seen.len(), total, "{qs}");
        let distinct: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(distinct.len(), total, "{qs}: a listing on two pages");
    }
}

#[tokio::test]
async fn listings_added_bit_by_bit_are_put_back_in_order_with_the_same_results() {
    let t = TestApp::with_demo();
    assert_eq!(
        t.indexer.lock().unwrap().unordered(),
        0,
        "a new index is built in order"
    );
    // A second directory lists half the activities again under other names, and they
    // arrive through sync, one change at a time.
    let mut copies = Vec::new();
    t.app
        .store
        .for_each_published(|l| {
            if l.id % 2 == 0 {
                let mut c = l.clone();
                c.id = 0;
                c.title = format!("{} (second listing)", l.title);
                c.provenance.source = "second-directory".into();
                c.provenance.source_id = format!("copy-{}", l.id);
                copies.push(c);
            }
            Ok(())
        })
        .unwrap();
    t.app.store.upsert_batch(&copies).unwrap();
    t.sync();
    let added = copies.len() as u64;
    assert_eq!(t.indexer.lock().unwrap().unordered(), added);
    assert_eq!(
        t.app.engine.index.payload().unordered,
        added,
        "kept on disk"
    );
    let queries = [
        "q=walking",
        "q=lonely&near=M33&within=5",
        "near=M41&within=3&sort=distance",
        "near=WA15&within=10&page=2",
        "q=choir&free=1",
    ];
    let before = results(&t, &queries).await;
    {
        let mut i = t.indexer.lock().unwrap();
        // A directory this small is never reordered on its own...
        assert!(!i.should_reorder());
        assert!(t.app.reorder_if_due(&mut i).unwrap().is_none());
        // ...a big one is, once a quarter of it came in out of order.
        i.reorder_min_docs = 0;
        assert!(i.should_reorder());
        let r = t.app.reorder_if_due(&mut i).unwrap().expect("rebuilt");
        assert_eq!(r.indexed, t.app.engine.index.num_docs());
        assert_eq!(i.unordered(), 0);
        assert!(!i.should_reorder());
    }
    same_results(&t, &queries, before, "reordering").await;
}

#[tokio::test]
async fn counts_for_the_whole_directory_follow_the_index() {
    let t = TestApp::with_demo();
    let count_of = |counts: &[signpost::search::TypeCount], slug: &str| {
        counts
            .iter()
            .find(|c| c.slug == slug)
            .map_or(0, |c| c.count)
    };
    let everywhere = t.app.engine.type_counts_everywhere(common::now()).unwrap();
    let v = t.search("q=").await;
    for c in v["type_counts"].as_array().unwrap() {
        assert_eq!(
            count_of(&everywhere, c["type"].as_str().unwrap()),
            c["count"].as_u64().unwrap(),
            "{c}"
        );
    }
    // Counted once, then served from memory until the index changes.
    let again = t.app.engine.type_counts_everywhere(common::now()).unwrap();
    assert_eq!(
        count_of(&again, "walking-sports"),
        count_of(&everywhere, "walking-sports")
    );
    let v = t.search("type=walking-sports").await;
    let id = ids(&v)[0];
    t.app
        .store
        .set_status(id, signpost::listing::Status::Archived)
        .unwrap();
    t.sync();
    let after = t.app.engine.type_counts_everywhere(common::now()).unwrap();
    assert_eq!(
        count_of(&after, "walking-sports"),
        count_of(&everywhere, "walking-sports") - 1
    );
}

/// People describe a need in a sentence: the words around it ("somewhere to",
/// "things to do with my", "help with") must not empty the results, and a possessive
/// matches the plain word.
#[tokio::test]
async fn natural_phrasing_finds_what_the_words_name() {
    let t = TestApp::with_demo();
    for (q, expect) in [
        ("somewhere to sing", "sing"),
        ("where can I go to sing", "sing"),
        ("help with walking football", "walking football"),
        ("things to do with my knitting", "knit"),
    ] {
        let v = t.search(&format!("q={}", enc(q))).await;
        let found = titles(&v);
        assert!(
            found
                .iter()
                .take(3)
                .any(|t| t.to_lowercase().contains(expect)),
            "{q}: {found:?}"
        );
        assert!(
            v.get("some_words").is_none(),
            "{q}: every word that counts matched"
        );
    }
    // "men's" is "men": the stray "s" of the possessive is not a word to match.
    for q in ["men's shed", "mens shed", "men shed", "men\u{2019}s sheds"] {
        let found = titles(&t.search(&format!("q={}", enc(q))).await);
        assert!(found[0].contains("Men's Shed"), "{q}: {found:?}");
    }
}

/// When no listing has most of the words, the listings with some of them come back
/// (those with more of them first), flagged so the page can say so.
#[tokio::test]
async fn a_search_that_matches_nothing_whole_falls_back_to_some_words() {
    let t = TestApp::with_demo();
    let v = t.search("q=choir+xylophone+zeppelin").await;
    assert!(v["total"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["some_words"], Value::Bool(true));
    assert!(titles(&v)[0].to_lowercase().contains("choir"), "{v}");
    // A search whose words all match is not flagged.
    let v = t.search("q=choir").await;
    assert!(v.get("some_words").is_none());
    // One unknown word stays a search with no results (nothing to loosen).
    let v = t.search("q=zeppelinxylophone").await;
    assert_eq!(v["total"], 0);
}

/// The results page says when it fell back to some of the words, so nobody takes a
/// loose match for an exact one.
#[tokio::test]
async fn the_page_says_when_results_match_only_some_words() {
    let t = TestApp::with_demo();
    let (status, _, page) = t.get("/search?q=choir+xylophone+zeppelin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nothing matched all of your words"), "{page}");
    let (_, _, page) = t.get("/search?q=choir").await;
    assert!(!page.contains("Nothing matched all of your words"));
}

/// Past the counting threshold a search says "more than", in the JSON, on the page and
/// in the counts per type, yet ranks every match: the results are those of counting
/// everything. The Open Referral API, whose totals are exact integers, still counts
/// every match.
#[tokio::test]
async fn broad_searches_say_more_than_the_threshold() {
    let t = TestApp::with_demo();
    // The threshold: as many as a narrow search finds, fewer than a broad one.
    let narrow_total = t.search("q=choir").await["total"].as_u64().unwrap();
    let exact = t.search("q=group").await;
    let total = exact["total"].as_u64().unwrap();
    assert!(
        narrow_total >= 1 && total > narrow_total + 10,
        "a broad and a narrow search on the demo content: {total}, {narrow_total}"
    );
    assert!(exact.get("more_than_total").is_none(), "{exact}");
    let page_two = ids(&t.search("q=group&page=2").await);

    let cap = narrow_total as usize;
    t.app.engine.set_count_up_to(cap);
    let capped = t.search("q=group").await;
    assert_eq!(capped["total"], cap);
    assert_eq!(capped["more_than_total"], true);
    assert_eq!(ids(&capped), ids(&exact), "every match is still ranked");
    assert_eq!(ids(&t.search("q=group&page=2").await), page_two);
    let counts = capped["type_counts"].as_array().unwrap();
    assert!(!counts.is_empty());
    for c in counts {
        assert_eq!(c["partial"], true, "{c}");
        assert!(c["count"].as_u64().unwrap() <= narrow_total, "{c}");
    }
    // A search with no more than the threshold is still counted exactly.
    let narrow = t.search("q=choir").await;
    assert_eq!(narrow["total"], narrow_total);
    assert!(narrow.get("more_than_total").is_none(), "{narrow}");

    let (_, _, body) = t.get("/search?q=group").await;
    assert!(body.contains(&format!("More than {cap} results")), "{body}");
    assert!(
        body.contains(" or more)"),
        "partial counts per type: {body}"
    );

    let (status, oruk) = t.json("/openreferral/services?search=group").await;
    assert_eq!(status, StatusCode::OK);
    t.app.engine.set_count_up_to(usize::MAX);
    let (_, oruk_exact) = t.json("/openreferral/services?search=group").await;
    assert_eq!(oruk["total_items"], oruk_exact["total_items"]);
    assert!(
        oruk["total_items"].as_u64().unwrap() > narrow_total,
        "{oruk}"
    );
}
