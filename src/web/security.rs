//! Security headers on every response, and the layers that protect the server.
//!
//! A strict Content-Security-Policy (no script at all, styles only from our own
//! stylesheet, no third-party anything), no framing, no sniffing, and no referrer
//! leaking a search (which may describe someone's circumstances) to other sites.
//!
//! A request that takes longer than the site's timeout is answered with a short page
//! saying to try again, so a stuck search or store cannot hold a connection forever.

use std::time::Duration;

use axum::Router;
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::response::SetMultipleResponseHeadersLayer;
use tower_http::timeout::TimeoutLayer;

use super::WebError;

pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("permissions-policy"),
        "geolocation=(), camera=(), microphone=(), interest-cohort=()",
    ),
];

/// Sets the security headers on every response `router` gives, replacing any a
/// handler set.
pub fn headers(router: Router) -> Router {
    router.layer(SetMultipleResponseHeadersLayer::overriding(
        HEADERS
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)).into())
            .collect(),
    ))
}

/// The status of a response cut off by the timeout. Only the timeout gives it here,
/// so it can be told apart and given a page.
const TIMED_OUT: StatusCode = StatusCode::SERVICE_UNAVAILABLE;

/// Answers requests still running after `limit` with 503 and a page saying to try
/// again (the work itself is dropped; anything already committed stays committed).
pub fn timeout(router: Router, limit: Duration) -> Router {
    router
        .layer(TimeoutLayer::with_status_code(TIMED_OUT, limit))
        .layer(axum::middleware::map_response(timed_out_page))
}

async fn timed_out_page(r: Response) -> Response {
    use axum::body::HttpBody;
    if r.status() != TIMED_OUT || r.body().size_hint().exact() != Some(0) {
        return r;
    }
    tracing::warn!("a request took too long and was answered with 503");
    let mut page = WebError::TimedOut.into_response();
    page.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    page
}
