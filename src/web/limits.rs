//! Per-client rate limits on every POST (a `governor` keyed limiter, as axum middleware).
//!
//! The client is the peer address of the connection. Behind a reverse proxy every
//! request would share the proxy's address, which still caps the total. Requests with
//! no peer address (the router driven directly, as in tests) share one bucket.
//! Refusals are a plain page saying to wait, with `Retry-After`; nothing is stored.
//!
//! The wait we advertise is the limiter's exact wait rounded **up** to whole seconds
//! ([`whole_seconds`]): a client that waits as long as we say is let through. (The
//! `tower_governor` layer used before rounded down, so "wait 1 second" after a 1.9 s
//! wait was refused again.)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::views::groups::refused_page;

type Limiter = Arc<DefaultKeyedRateLimiter<IpAddr>>;

/// The client a request counts against: its peer address, or one shared bucket.
fn client(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// A wait in whole seconds, rounded up (at least 1): 1.9 s is 2, 1.0 s is 1.
pub fn whole_seconds(wait: Duration) -> u64 {
    let up = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    up.max(1)
}

/// "1 second", "2 seconds".
pub fn seconds_text(n: u64) -> String {
    if n == 1 {
        "1 second".into()
    } else {
        format!("{n} seconds")
    }
}

/// The refusal: a page saying how long to wait, and the same in `Retry-After`.
fn refused(wait: Duration) -> Response<Body> {
    let secs = whole_seconds(wait);
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        refused_page(
            "Too many requests",
            &format!(
                "You have sent a lot of forms in a short time. Wait {}, then try again. Nothing from this request was saved.",
                seconds_text(secs)
            ),
        ),
    )
        .into_response();
    r.headers_mut().insert(header::RETRY_AFTER, secs.into());
    r
}

async fn limit(State(limiter): State<Limiter>, req: Request, next: Next) -> Response<Body> {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    match limiter.check_key(&client(&req)) {
        Ok(()) => next.run(req).await,
        Err(not_until) => refused(not_until.wait_time_from(DefaultClock::default().now())),
    }
}

/// Adds the POST limit to `router`, unless limits are off (`per_minute` 0).
pub fn apply(router: axum::Router, per_minute: u32, burst: u32) -> axum::Router {
    if per_minute == 0 {
        return router;
    }
    let period = Duration::from_millis((60_000 / u64::from(per_minute)).max(1));
    let Some(quota) = Quota::with_period(period) else {
        tracing::warn!("rate limit settings are not valid; POST limits are off");
        return router;
    };
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let limiter: Limiter = Arc::new(RateLimiter::keyed(quota.allow_burst(burst)));
    // Forget clients that have gone quiet, so a spray of addresses cannot grow memory.
    let quiet = limiter.clone();
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                quiet.retain_recent();
            }
        });
    }
    router.layer(axum::middleware::from_fn_with_state(limiter, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_and_say_second_or_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1900)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(1000)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(10)), 1);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(seconds_text(1), "1 second");
        assert_eq!(seconds_text(2), "2 seconds");
    }
}
