//! Honest back-off: the wait a refused client is told (`Retry-After` and the page) is
//! rounded up, so a retry after exactly that wait is let through.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use signpost::web::{self, AppState};

use crate::common::{self, TestApp, send};

fn post(uri: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("title=x"))
        .unwrap()
}

#[tokio::test]
async fn a_retry_after_the_advertised_wait_succeeds() {
    let t = TestApp::with_demo();
    let state = AppState::new(t.app.clone()).with_clock(Arc::new(common::now));
    let mut site = (*state.site).clone();
    // One POST every 1.875 s: the old rounding said "1 second" for that wait.
    site.posts_per_minute = 32;
    site.post_burst = 1;
    let r = web::router(state.with_site(site));

    let (s, _, _) = send(&r, post("/add")).await;
    assert_ne!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "the first POST is allowed"
    );
    let (s, h, body) = send(&r, post("/add")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(wait, 2, "1.875 s rounds up to 2");
    assert!(body.contains("Wait 2 seconds, then try again"), "{body}");

    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (s, _, body) = send(&r, post("/add")).await;
    assert_ne!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "refused after waiting as long as we were told: {body}"
    );

    // A wait under a second says "1 second", not "1 seconds".
    let state = AppState::new(t.app.clone()).with_clock(Arc::new(common::now));
    let mut site = (*state.site).clone();
    site.posts_per_minute = 120; // one every 0.5 s
    site.post_burst = 1;
    let r = web::router(state.with_site(site));
    send(&r, post("/add")).await;
    let (s, h, body) = send(&r, post("/add")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h["retry-after"], "1");
    assert!(body.contains("Wait 1 second, then try again"), "{body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (s, _, _) = send(&r, post("/add")).await;
    assert_ne!(s, StatusCode::TOO_MANY_REQUESTS);
}
