//! Relevance on a real council directory, through the real import path: North
//! Lincolnshire's Open Referral UK 1.0 service list and its judged queries
//! (`../shared/data/quality/`). The floors are the scores this build reaches (recorded
//! in BENCHMARKS.md), so a change that ranks worse fails here.

use crate::common;

/// Grade-2 hit@3 (of 20) and NDCG@10 this build must reach.
const FLOOR_HIT3: usize = 19;
const FLOOR_NDCG: f64 = 0.76;

/// A data directory holding the whole North Lincolnshire directory, imported through
/// the real CLI.
fn import_the_directory() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let directory =
        common::shared("quality/north-lincolnshire-council_oruk1_services_2024-12.json");
    let out = common::signpost_cmd(dir.path())
        .arg("import")
        .arg(&directory)
        .args(["--source-name", "north-lincolnshire", "--area", "E06000013"])
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    println!("{text}");
    dir
}

#[test]
fn relevance_on_the_development_directory_stays_above_its_floor() {
    let dir = import_the_directory();
    let out = common::signpost_cmd(dir.path())
        .arg("eval")
        .arg(common::shared("quality/nlincs-queries.json"))
        .output()
        .unwrap();
    let text = common::succeeded(&out);
    println!("{text}");
    let headline = text.lines().next().unwrap();
    // "grade-2 hit@3 14/20, NDCG@10 0.453, 2 with no results"
    let hit3: usize = headline
        .split("hit@3 ")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no hit@3 in {headline}"));
    let ndcg: f64 = headline
        .split("NDCG@10 ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no NDCG@10 in {headline}"));
    assert!(
        hit3 >= FLOOR_HIT3 && ndcg >= FLOOR_NDCG,
        "relevance fell below its floor (hit@3 {FLOOR_HIT3}, NDCG@10 {FLOOR_NDCG}): {headline}"
    );
}

/// The titles of the first `n` results for `q`, through the real CLI.
fn first_titles(dir: &std::path::Path, q: &str, n: usize) -> Vec<String> {
    let out = common::signpost_cmd(dir)
        .args(["search", "--json", q])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&common::succeeded(&out)).unwrap();
    json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .take(n)
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

/// Needs in people's words that the judged set does not name reach a service for
/// that need in the real directory, through the needs vocabulary (content/needs.toml).
/// Each service was judged by reading it; the check is on words of its name. Before
/// the vocabulary, only "ex serviceman" had such a service in its first three results
/// (BENCHMARKS.md, "Needs vocabulary").
#[test]
fn needs_in_peoples_words_reach_a_service_for_them() {
    let dir = import_the_directory();
    let cases: &[(&str, &[&str])] = &[
        // Housing Advice; Day Centre for the Homeless
        ("sofa surfing", &["Housing", "Homeless"]),
        // Money and Debt Advice; Debt Advice Foundation
        ("bailiffs", &["Debt"]),
        // A 12-week course for women about domestic abuse
        ("coercive control", &["Phoenix Programme"]),
        // The local society for blind and partially sighted people
        ("glaucoma", &["Blind Society"]),
        // The drug and alcohol service
        ("cannabis", &["We Are With You"]),
        ("gambling addiction", &["GamCare"]),
        ("mourning", &["Grief"]),
        ("caring for my mother", &["Carers"]),
        ("forgetfulness", &["Dementia"]),
        ("change of life", &["Menopause"]),
        ("jobseeker", &["Employment"]),
        ("homosexual", &["LGBTQ"]),
        ("ex serviceman", &["Veterans"]),
    ];
    let mut misses = Vec::new();
    for (q, words) in cases {
        let titles = first_titles(dir.path(), q, 3);
        let lower: Vec<String> = titles.iter().map(|t| t.to_lowercase()).collect();
        if !words
            .iter()
            .any(|w| lower.iter().any(|t| t.contains(&w.to_lowercase())))
        {
            misses.push(format!(
                "{q:?}: {titles:?}, wanted a name with one of {words:?}"
            ));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
    // Crisis words find the services that answer a crisis, and nothing else.
    let titles = first_titles(dir.path(), "ending it all", 20);
    assert!(!titles.is_empty(), "crisis words found nothing");
    for t in &titles {
        assert!(
            [
                "Hopeline",
                "Safe Space",
                "Listening",
                "Shout",
                "Samaritans",
                "Papyrus"
            ]
            .iter()
            .any(|w| t.contains(w)),
            "{t:?} is not a crisis or listening service: {titles:?}"
        );
    }
}

/// How the search reads a phrase: lowercase words, possessive "'s" and punctuation
/// dropped (as `Taxonomy::from_toml` compares phrases).
fn phrase_key(text: &str) -> String {
    text.to_lowercase()
        .replace("'s ", " ")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "s")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The needs vocabulary is built for people's words in general, not for the judged
/// queries: none of its phrases is a development query (the tool that builds it leaves
/// them out with `--hold-out`), so the development set keeps measuring the search.
#[test]
fn the_needs_vocabulary_has_no_phrase_of_the_judged_queries() {
    let queries = common::shared_json("quality/nlincs-queries.json");
    let judged: Vec<String> = queries["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| phrase_key(q["q"].as_str().unwrap()))
        .collect();
    assert_eq!(judged.len(), 20);
    let taxonomy = signpost::listing::Taxonomy::embedded();
    let needs: Vec<_> = taxonomy
        .thesaurus
        .iter()
        .filter(|e| !e.sources.is_empty())
        .collect();
    assert!(needs.len() > 100, "the needs vocabulary is loaded");
    for e in needs {
        for says in &e.says {
            assert!(
                !judged.contains(&phrase_key(says)),
                "content/needs.toml says {says:?}, a judged query ({:?})",
                e.sources
            );
        }
    }
}
