//! Every query parameter of the search page and API against the hostile-input lists
//! in `../shared/data/bad-inputs/`: never a 5xx, always a clear message or a result,
//! and nothing reflected unescaped.

use crate::common;

use common::{TestApp, enc, hostile_strings};

const PARAMS: &[&str] = &[
    "q", "near", "within", "type", "access", "free", "day", "time", "age", "mode", "sort", "page",
];

#[tokio::test]
async fn api_never_fails_on_hostile_input() {
    let t = TestApp::with_demo();
    let strings = hostile_strings();
    assert!(
        strings.len() > 1000,
        "only {} hostile strings",
        strings.len()
    );
    let mut bad_requests = 0;
    for s in strings {
        for p in PARAMS {
            let uri = format!("/api/search?{p}={}", enc(s));
            let (status, headers, body) = t.get(&uri).await;
            assert!(status.as_u16() < 500, "{uri} gave {status}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json")
            );
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            if status.is_client_error() {
                bad_requests += 1;
                assert!(
                    v["error"].as_str().is_some_and(|m| !m.is_empty()),
                    "{uri}: {body}"
                );
            } else {
                assert!(v["total"].is_u64(), "{uri}: {body}");
            }
        }
    }
    assert!(bad_requests > 0);
}

#[tokio::test]
async fn pages_escape_everything_they_echo() {
    let t = TestApp::with_demo();
    for s in hostile_strings() {
        for p in ["q", "near", "age", "type"] {
            let uri = format!("/search?{p}={}", enc(s));
            let (status, headers, body) = t.get(&uri).await;
            assert!(status.as_u16() < 500, "{uri} gave {status}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            assert!(!body.contains("<script"), "{uri} reflected a script tag");
            if s.contains('<') {
                assert!(
                    !body.contains(s.as_str()),
                    "{uri} reflected input unescaped"
                );
            }
            // What was typed comes back in its field, escaped.
            let echoed = match p {
                "q" => Some(s.trim().chars().take(200).collect::<String>()),
                "near" => Some(s.trim().chars().take(40).collect::<String>()),
                _ => None,
            };
            if let Some(e) = echoed {
                let escaped = maud::html! { (e) }.into_string().replace('"', "&quot;");
                assert!(
                    body.contains(&format!("name=\"{p}\" value=\"{escaped}\"")),
                    "{uri} did not echo the input escaped"
                );
            }
        }
    }
}

#[tokio::test]
async fn raw_bytes_that_are_not_utf8_are_harmless() {
    let t = TestApp::with_demo();
    for qs in [
        "q=%ff%fe%fd",
        "q=%",
        "q=%%%",
        "near=%c0%af",
        "q=%00",
        "type=%e2%80%ae",
        "q[]=x",
        "q=a&q=b",
    ] {
        let (status, _, _) = t.get(&format!("/api/search?{qs}")).await;
        assert!(status.as_u16() < 500, "{qs}");
        let (status, _, _) = t.get(&format!("/search?{qs}")).await;
        assert!(status.as_u16() < 500, "{qs}");
    }
    // Path parameters too.
    for s in hostile_strings().iter().take(300) {
        let (status, _, _) = t.get(&format!("/listings/{}", enc(s))).await;
        assert!(status.as_u16() < 500);
        let (status, _, _) = t.get(&format!("/api/listings/{}", enc(s))).await;
        assert!(status.as_u16() < 500);
    }
}

#[tokio::test]
async fn shortlist_listing_and_handover_parameters_survive_hostile_input() {
    let t = TestApp::with_demo();
    for s in hostile_strings() {
        let e = enc(s);
        for uri in [
            format!("/?s={e}"),
            format!("/search?q=walking&s={e}"),
            format!("/shortlist?s={e}"),
            format!("/shortlist/print?s=1&size={e}"),
            format!("/shortlist/text?s=1.{e}"),
            format!("/listings/1?s={e}&from={e}"),
            format!("/listings/{e}"),
            format!("/listings/{e}/calendar.ics"),
            format!("/h/{e}"),
            format!("/categories/{e}"),
            format!("/sitemaps/{e}"),
        ] {
            let (status, _, body) = t.get(&uri).await;
            assert!(status.as_u16() < 500, "{uri} gave {status}");
            let data_blocks = body
                .matches("<script type=\"application/ld+json\">")
                .count();
            assert_eq!(
                body.matches("<script").count(),
                data_blocks,
                "{uri} reflected a script tag"
            );
            if s.contains('<') {
                assert!(
                    !body.contains(s.as_str()),
                    "{uri} reflected input unescaped"
                );
            }
        }
    }
}
