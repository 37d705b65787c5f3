//! The minimal HTML pages: form, results, listing, errors, headers.

use crate::common;

use axum::http::StatusCode;
use common::{TestApp, ids};

#[tokio::test]
async fn search_page_renders_results_and_keeps_input() {
    let t = TestApp::with_demo();
    let (status, headers, body) = t.get("/search?q=choir&near=m41&within=3").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("results near M41"));
    assert!(body.contains(r#"value="choir""#));
    assert!(body.contains(r#"<option value="3" selected>"#));
    assert!(body.contains("/listings/"));
    // Security headers, no cookies.
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn search_page_shows_errors_with_status_400() {
    let t = TestApp::with_demo();
    let (status, _, body) = t.get("/search?q=walk&near=nowhere+at+all").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("There is a problem"));
    assert!(body.contains(r##"href="#near""##));
    assert!(
        body.contains(r#"value="nowhere at all""#),
        "typed text is kept"
    );
    assert!(body.contains(r#"value="walk""#));
}

#[tokio::test]
async fn listing_page_and_404() {
    let t = TestApp::with_demo();
    let v = t.search("q=walking&mode=in-person").await;
    let id = ids(&v)[0];
    let l = t.listing(id);
    let (status, _, body) = t.get(&format!("/listings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&maud::html! { (l.title) }.into_string()));
    assert!(body.contains("openstreetmap.org"));
    assert!(body.contains("How to join"));
    let (status, _, body) = t.get("/listings/0").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
    let (status, _, _) = t.get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, headers, _) = t.get("/static/site.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn crisis_words_lead_with_urgent_help() {
    let t = TestApp::with_demo();
    let (_, _, body) = t.get("/search?q=I+want+to+kill+myself").await;
    assert!(body.contains("Get help now") && body.contains("116 123"));
    let (_, _, body) = t.get("/search?q=knitting").await;
    assert!(!body.contains("Get help now"));
    // The needs vocabulary's crisis phrases too (content/needs.toml), as whole words.
    for q in ["ending+it+all", "I+want+to+end+it", "no+reason+to+live"] {
        let (_, _, body) = t.get(&format!("/search?q={q}")).await;
        assert!(body.contains("Get help now"), "{q}");
    }
    let (_, _, body) = t.get("/search?q=book+club+ending").await;
    assert!(!body.contains("Get help now"));
}
