//! Per-client rate limits on every POST (tower_governor).
//!
//! The client is the peer address of the connection. Behind a reverse proxy every
//! request would share the proxy's address, which still caps the total. Requests with
//! no peer address (the router driven directly, as in tests) share one bucket.
//! Refusals are a plain page saying to wait, with `Retry-After`; nothing is stored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use super::views::groups::refused_page;

#[derive(Debug, Clone, Copy)]
pub struct ClientIp;

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()))
    }
}

fn refused(e: GovernorError) -> Response<Body> {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                refused_page(
                    "Too many requests",
                    &format!("You have sent a lot of forms in a short time. Wait {} seconds, then try again. Nothing from this request was saved.", wait_time.max(1)),
                ),
            )
                .into_response();
            if let Ok(v) = wait_time.max(1).to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        other => {
            tracing::warn!("rate limiter: {other}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Adds the POST limit to `router`, unless limits are off (`per_minute` 0).
pub fn apply(router: axum::Router, per_minute: u32, burst: u32) -> axum::Router {
    if per_minute == 0 {
        return router;
    }
    let Some(config) = GovernorConfigBuilder::default()
        .key_extractor(ClientIp)
        .per_millisecond((60_000 / u64::from(per_minute)).max(1))
        .burst_size(burst.max(1))
        .methods(vec![Method::POST])
        .finish()
    else {
        tracing::warn!("rate limit settings are not valid; POST limits are off");
        return router;
    };
    let config = Arc::new(config);
    // Forget clients that have gone quiet, so a spray of addresses cannot grow memory.
    let limiter = config.limiter().clone();
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                limiter.retain_recent();
            }
        });
    }
    router.layer(GovernorLayer::new(config).error_handler(refused))
}
