//! Several web nodes, one store of record: the follow feed a primary gives its
//! followers, and the rule that a follower takes no writes.
//!
//! `GET /follow/changes?after=SEQ&limit=N&wait=S` answers with the rows of the store
//! changed after `SEQ`, every column, in change order (`store::replica`), with the
//! store's identity and its last change:
//! `{"store": "…", "seq": 1234, "rows": [...]}`. It is for the operator's own nodes
//! only: it carries what the public feeds leave out (listings whose licence forbids
//! republishing, duplicates merged into others, listings waiting for moderation), so
//! it answers only requests that carry the shared `follow_token` as a bearer token,
//! and is not there at all (404) on a site without one, or on a follower. With `wait`, an answer with
//! nothing new is held for up to that many seconds (at most 25) and sent as soon as
//! something changes, so a follower sees a change within a few milliseconds of its
//! commit while asking about once every 25 seconds when nothing happens.
//!
//! A follower cannot commit a write: what it stored would never reach the primary.
//! So it refuses every request that writes or leads to a form that writes (any method
//! but GET, HEAD and OPTIONS; "Add your activity", a group's private link, reporting a
//! problem, moderation) with a page saying that nothing was saved, as a 503 with
//! `Retry-After`. The load balancer sends those paths to the primary (docs/SCALING.md);
//! the refusal is what keeps "nothing acknowledged is lost" true when it does not.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::form::Pairs;
use super::views::groups::refused_page;
use super::{AppState, WebError, blocking};
use crate::groups::tokens::same_secret;

/// Most rows in one answer.
pub const MAX_ROWS: usize = 1_000;
/// Rows in an answer when `limit` is not given.
const DEFAULT_ROWS: usize = 500;
/// Longest `wait`, in seconds: well inside the site's request timeout (30 s).
const MAX_WAIT: u64 = 25;
/// How often a held answer looks for a change.
const LOOK_EVERY: Duration = Duration::from_millis(20);

fn number(q: &Pairs, name: &'static str, default: u64, max: u64) -> Result<u64, WebError> {
    match q.first(name) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| {
            WebError::refused(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("{name} must be a whole number from 0 to {max}"),
            )
        }),
    }
}

/// `GET /follow/changes`: see the module docs.
pub(super) async fn changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    // A follower's copy is followed from the primary, not from another copy.
    let token = state.site.follow_token.as_deref();
    let Some(token) = token.filter(|_| !state.site.follower) else {
        return Err(WebError::NotFound.into());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_secret(given.trim(), token) {
        return Err(WebError::refused(
            StatusCode::UNAUTHORIZED,
            "Not allowed",
            "the follow feed needs this site's follow_token as a bearer token",
        )
        .into());
    }
    let q = Pairs::query(raw.as_deref());
    let after = number(&q, "after", 0, i64::MAX as u64)? as i64;
    let limit = number(&q, "limit", DEFAULT_ROWS as u64, MAX_ROWS as u64)?.max(1) as usize;
    let wait = Duration::from_secs(number(&q, "wait", 0, MAX_WAIT)?);
    let until = Instant::now() + wait;
    let mut stopping = state.site.stopping.clone();
    // While nothing is new, one indexed look at the last change each round.
    loop {
        let last = blocking(&state, |app| app.store.max_seq()).await?;
        let stop = stopping.as_ref().is_some_and(|s| *s.borrow());
        if last > after || Instant::now() >= until || stop {
            break;
        }
        let stopped = async {
            match stopping.as_mut() {
                Some(s) => {
                    let _ = s.wait_for(|stop| *stop).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = stopped => {}
        }
    }
    let (store, seq, rows) = blocking(&state, move |app| {
        let rows = app.store.rows_since(after, limit)?;
        // Read after the rows, so it is never below the last of them.
        let seq = app.store.max_seq()?;
        Ok::<_, WebError>((app.store.store_id()?, seq, rows))
    })
    .await?;
    Ok(Json(json!({ "store": store, "seq": seq, "rows": rows })))
}

/// Whether a request writes, or asks for a form whose sending writes.
fn writes(method: &Method, path: &str) -> bool {
    // OPTIONS asks what is allowed (a browser's CORS check before reading the API).
    if ![Method::GET, Method::HEAD, Method::OPTIONS].contains(method) {
        return true;
    }
    let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    under("/add")
        || under("/manage")
        || under("/moderate")
        || (path.starts_with("/listings/") && path.ends_with("/report"))
}

/// On a follower: refuses writes (see the module docs); everything else goes on.
pub(super) async fn refuse_writes(req: Request, next: Next) -> Response<Body> {
    if !writes(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let mut r = (
        StatusCode::SERVICE_UNAVAILABLE,
        refused_page(
            "Not saved: please try again",
            "Adding or changing activities, reporting a problem and moderation are handled by \
             the site's main server, and this request reached a copy that only shows the \
             directory. Nothing you sent was saved. Please try again in a minute; if this \
             keeps happening, tell the people who run this site.",
        ),
    )
        .into_response();
    r.headers_mut().insert(header::RETRY_AFTER, 60.into());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_a_write() {
        for (m, p) in [
            (Method::POST, "/add/send"),
            (Method::POST, "/listings/3/report"),
            (Method::GET, "/add"),
            (Method::GET, "/manage/abc/edit"),
            (Method::GET, "/moderate"),
            (Method::GET, "/moderate/login"),
            (Method::GET, "/listings/3/report"),
            (Method::PUT, "/search"),
            (Method::DELETE, "/listings/3"),
        ] {
            assert!(writes(&m, p), "{m} {p}");
        }
        for p in [
            "/",
            "/search",
            "/listings/3",
            "/listings/3/calendar.ics",
            "/additional",
            "/api/search",
            "/follow/changes",
        ] {
            assert!(!writes(&Method::GET, p), "{p}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abcdefgh", "abcdefgh"));
        assert!(!same_secret("abcdefgh", "abcdefgx"));
        assert!(!same_secret("abcdefgh", "abcdefg"));
        assert!(!same_secret("", "a"));
    }
}
