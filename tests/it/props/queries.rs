//! What people type into the search: postcodes, the search parameters (the query
//! string of `/search` and `/api/search`), and the words of a query through the text
//! analysis and query building of the real engine over the demo directory.

use std::time::Duration;

use proptest::prelude::*;
use signpost::geo::postcode::Postcode;
use signpost::listing::Taxonomy;
use signpost::search::request::SearchRequest;

use super::{config, demo, edge_string, within};
use crate::common;

/// A postcode-shaped string: any of the six UK shapes, in any case, with any spacing.
fn postcode_shaped() -> impl Strategy<Value = String> {
    let outward = prop_oneof![
        "[A-Z][0-9]",
        "[A-Z][0-9]{2}",
        "[A-Z]{2}[0-9]",
        "[A-Z]{2}[0-9]{2}",
        "[A-Z][0-9][A-Z]",
        "[A-Z]{2}[0-9][A-Z]",
    ];
    (
        outward,
        "[0-9][A-Z]{2}",
        "[ \t]{0,3}",
        "[ ]{0,2}",
        any::<bool>(),
    )
        .prop_map(|(o, i, mid, edge, lower)| {
            let s = format!("{edge}{o}{mid}{i}{edge}");
            if lower { s.to_lowercase() } else { s }
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// Anything typed as a postcode: a postcode or a message, and a postcode read back
    /// from how it is shown is the same postcode (the display form is a fixed point).
    #[test]
    fn postcodes_parse_or_explain(s in prop_oneof![edge_string(), postcode_shaped(), any::<String>()]) {
        match Postcode::parse(&s) {
            Ok(p) => {
                let shown = p.to_string();
                prop_assert!(shown.len() <= 8, "{shown}");
                prop_assert_eq!(Postcode::parse(&shown).unwrap(), p.clone());
                prop_assert_eq!(p.as_key(), shown);
                prop_assert!(!p.area().is_empty());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// Every postcode-shaped string is a full postcode, shown upper case with one space.
    #[test]
    fn postcode_shapes_are_full_postcodes(s in postcode_shaped()) {
        let p = Postcode::parse(&s).unwrap();
        prop_assert!(p.is_full());
        let compact: String = s.split_whitespace().collect::<String>().to_uppercase();
        let shown = p.to_string();
        prop_assert_eq!(shown.replace(' ', ""), compact);
        prop_assert_eq!(shown.matches(' ').count(), 1);
    }
}

/// One search parameter: a known name with a valid value, an edge value, or anything.
fn param() -> impl Strategy<Value = (String, String)> {
    let t = Taxonomy::embedded();
    let types: Vec<String> = t.types.iter().map(|x| x.slug.clone()).collect();
    let access: Vec<String> = t.access.iter().map(|x| x.slug.clone()).collect();
    let name = prop::sample::select(vec![
        "q",
        "near",
        "within",
        "type",
        "access",
        "free",
        "day",
        "time",
        "age",
        "mode",
        "sort",
        "page",
        "s",
        "include_stale",
        "Q",
        "",
    ]);
    let valid = prop_oneof![
        prop::sample::select(types),
        prop::sample::select(access),
        prop::sample::select(
            [
                "mon",
                "sun",
                "morning",
                "evening",
                "online",
                "in-person",
                "phone",
                "home-visit",
                "relevance",
                "distance",
                "1",
                "0",
                "yes",
                "off",
                "2",
                "10",
                "0.1",
                "25",
                "120",
                "M33 7XW",
                "m33",
                "Sale",
                "53.42,-2.33",
                "walking",
                "lonely",
                "choir OR singing",
                "\"coffee morning\"",
                "walk*",
                "-football"
            ]
            .map(String::from)
            .to_vec(),
        ),
        "[a-z ]{1,20}",
    ];
    (name, prop_oneof![3 => valid, 2 => edge_string()]).prop_map(|(n, v)| (n.to_string(), v))
}

fn query_string(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

proptest! {
    #![proptest_config(config(256))]

    /// Any query string is read into a request plus plain messages, never a panic; a
    /// request read without problems is written back to a query string (as the page
    /// links do) and read again unchanged.
    #[test]
    fn search_parameters_round_trip(pairs in prop::collection::vec(param(), 0..8), raw in any::<String>()) {
        let t = Taxonomy::embedded();
        let _ = SearchRequest::from_query_string(&raw, t);
        let qs = query_string(&pairs);
        let (req, errors) = SearchRequest::from_query_string(&qs, t);
        for e in &errors {
            prop_assert!(!e.message.trim().is_empty());
        }
        prop_assert!(req.q.chars().count() <= signpost::search::request::MAX_QUERY_CHARS);
        prop_assert!(!req.include_stale, "include_stale is never read from a public query string");
        if errors.is_empty() {
            let again = req.to_query_string(Some(req.page));
            let (back, errors) = SearchRequest::from_query_string(&again, t);
            prop_assert!(errors.is_empty(), "{qs} → {again}: {errors:?}");
            // What the page shows is cut at a length, and the cut may end in a space,
            // which reading the link trims: the same search either way.
            let same = SearchRequest {
                q: req.q.trim_end().to_string(),
                near_input: req.near_input.trim_end().to_string(),
                ..req.clone()
            };
            prop_assert_eq!(back, same, "{} → {}", qs, again);
        }
    }
}

/// Words as people type them, with the query syntax tantivy knows (which we must
/// not let through as syntax), the thesaurus's lay words, and anything else.
fn query_words() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        3 => prop::sample::select(
            ["walking", "walk", "lonely", "choir", "singing", "coffee", "morning", "men's",
             "shed", "befriending", "art", "dementia", "wheelchair", "free", "sale", "the",
             "a", "and", "of"]
            .map(String::from)
            .to_vec(),
        ),
        2 => prop::sample::select(
            ["AND", "OR", "NOT", "-", "+", "*", "?", ":", "(", ")", "[", "]", "{", "}", "\"",
             "~2", "^3", "title:", "id:1", "/re.*/", "\\", "&&", "||", "!", "IN [a b]", "'"]
            .map(String::from)
            .to_vec(),
        ),
        1 => edge_string(),
        1 => "[a-zé]{1,12}",
    ];
    prop::collection::vec(word, 0..10).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(config(96))]

    /// Any words, with any other parameters, searched in the demo directory: an answer
    /// within a second, no more hits than a page holds, each one a listing in the store.
    #[test]
    fn the_query_language_never_fails(q in query_words(), pairs in prop::collection::vec(param(), 0..3)) {
        let t = demo();
        let mut all = pairs.clone();
        all.push(("q".into(), q));
        let (req, errors) = SearchRequest::from_query_string(&query_string(&all), t.app.taxonomy);
        prop_assume!(errors.is_empty());
        let location = req.near.as_ref().and_then(|n| {
            let store = &*t.app.store;
            signpost::geo::locate::Geocoder::new(store).locate(n).ok()
        });
        let r = within(Duration::from_secs(2), "search", || {
            t.app.engine.search(&req, location.as_ref(), common::now())
        })
        .unwrap();
        prop_assert!(r.hits.len() <= r.per_page);
        prop_assert!(r.total >= r.hits.len());
        for h in &r.hits {
            prop_assert!(t.app.store.get(h.id).unwrap().is_some(), "hit {} is not in the store", h.id);
        }
        // The page's ids are the hits', and asking for the ids alone (as the Open
        // Referral API does, with exact totals and no counts) gives the same page.
        prop_assert_eq!(&r.ids, &r.hits.iter().map(|h| h.id).collect::<Vec<_>>());
        let lean = SearchRequest {
            ids_only: true,
            without_type_counts: true,
            matches_only: true,
            ..req.clone()
        };
        let bare = t.app.engine.search(&lean, location.as_ref(), common::now()).unwrap();
        prop_assert!(bare.hits.is_empty());
        prop_assert_eq!((&bare.ids, bare.total), (&r.ids, r.total));
    }
}
