//! `serve --follow URL`: this node follows a primary's store of record.
//!
//! A follower has its own data directory and its own search index, and copies the
//! primary's listings into its store as they change, through the primary's follow
//! feed (`web::follow`, rows applied by `store::replica`). The loop asks for the rows
//! changed after the last one it holds, with `wait` so that the primary answers as
//! soon as something changes; it applies each page in one transaction and, once it
//! has caught up, brings its index up to date at once, so a change is searchable here
//! a few milliseconds after the primary committed it (measured: `tests/it/follow.rs`, docs/SCALING.md).
//!
//! It never stops the server. A primary that cannot be reached, a refused token, an
//! answer that cannot be read, or rows that must not be applied (another directory's,
//! or a primary that went back in time) are each said once in the log, with what to
//! do, and tried again with a growing pause (at most [`MAX_PAUSE`]); meanwhile this
//! node keeps serving what it has.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

use super::shutdown::Stopping;
use crate::App;
use crate::search::{Indexer, SearchError};
use crate::store::{Applied, ReplicaError, Row, StoreError};

/// Rows asked for at a time (the follow feed's most).
const PAGE: usize = 1_000;
/// How long the primary may hold an answer while nothing changes (seconds).
const WAIT: u64 = 25;
/// Longest pause between attempts after failures.
pub const MAX_PAUSE: Duration = Duration::from_secs(30);

/// The shortest follow token accepted.
pub const MIN_TOKEN: usize = 16;

/// One answer of the follow feed.
#[derive(Debug, Deserialize)]
struct Page {
    store: String,
    seq: i64,
    rows: Vec<Row>,
}

/// Why a round of following did not bring this node up to date.
#[derive(Debug, thiserror::Error)]
enum FollowError {
    #[error("cannot reach the primary: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error(
        "the primary refused this follower's token: set the same follow_token on both \
         (SIGNPOST_FOLLOW_TOKEN or the config file)"
    )]
    Refused,
    #[error(
        "the primary has no follow feed (404): set follow_token on the primary, the same \
         as on this follower, and check the address is the primary's"
    )]
    NoFeed,
    #[error("the primary answered {0}")]
    Status(reqwest::StatusCode),
    #[error("the primary's answer could not be read: {0}")]
    Unreadable(#[source] reqwest::Error),
    #[error("{0}")]
    Apply(#[from] ReplicaError),
    #[error("indexing what was copied failed: {0}")]
    Index(#[from] SearchError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("the copying task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Checks the follow settings before the server starts: the primary's address must be
/// an http(s) address and the token long enough. A follow token on its own (a primary)
/// is checked for length too.
pub fn check(primary: Option<&str>, token: Option<&str>) -> Result<(), String> {
    if let Some(t) = token
        && t.trim().chars().count() < MIN_TOKEN
    {
        return Err(format!(
            "follow_token must be at least {MIN_TOKEN} characters (a long random secret)"
        ));
    }
    if let Some(p) = primary {
        let url = url::Url::parse(p).map_err(|e| {
            format!("follow: {p:?} is not a web address like http://10.0.0.1:3000 ({e})")
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("follow: {p:?} must start with http:// or https://"));
        }
        if token.is_none_or(|t| t.trim().is_empty()) {
            return Err(
                "follow needs follow_token, the secret set on the primary too \
                 (SIGNPOST_FOLLOW_TOKEN or the config file)"
                    .into(),
            );
        }
    }
    Ok(())
}

/// Follows `primary` until the server stops.
pub(super) async fn follow_primary(
    app: Arc<App>,
    indexer: Arc<Mutex<Indexer>>,
    primary: String,
    token: String,
    mut stopping: Stopping,
) {
    let primary = primary.trim_end_matches('/').to_string();
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(WAIT + 15))
        .gzip(true)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot follow {primary}: the HTTP client could not be made: {e}");
            return;
        }
    };
    tracing::info!("following the primary at {primary}");
    let mut failures: u32 = 0;
    // The first request is answered at once, so that a data directory that must not
    // follow this primary is said at start-up, not when the primary next changes.
    let mut wait = 0;
    loop {
        let round = one_round(&app, &indexer, &client, &primary, &token, wait);
        let done = tokio::select! {
            r = round => r,
            _ = stopping.wait() => return,
        };
        match done {
            Ok(applied) => {
                wait = WAIT;
                if failures > 0 {
                    tracing::info!(
                        seq = applied.seq,
                        "following the primary at {primary} again after {failures} failed attempts"
                    );
                }
                failures = 0;
                if applied.rows > 0 {
                    tracing::info!(
                        rows = applied.rows,
                        seq = applied.seq,
                        "copied changes from the primary"
                    );
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = pause_after(failures);
                // Said when it starts failing, then now and then, not every attempt.
                if failures == 1 || failures.is_multiple_of(20) {
                    let also = if failures > 1 {
                        format!(" ({failures} attempts in a row)")
                    } else {
                        String::new()
                    };
                    tracing::error!(
                        "following the primary at {primary}: {e}{also}; trying again every \
                         {} s or less; this server keeps serving what it has",
                        pause.as_secs().max(1)
                    );
                }
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stopping.wait() => return,
                }
            }
        }
    }
}

/// The pause after `failures` failed attempts in a row: 0.25 s, doubling, at most
/// [`MAX_PAUSE`].
fn pause_after(failures: u32) -> Duration {
    let ms = 250u64.saturating_mul(1 << failures.saturating_sub(1).min(10));
    Duration::from_millis(ms).min(MAX_PAUSE)
}

/// Asks for the rows after the last one held (waiting for a change), applies them and
/// indexes them.
async fn one_round(
    app: &Arc<App>,
    indexer: &Arc<Mutex<Indexer>>,
    client: &reqwest::Client,
    primary: &str,
    token: &str,
    wait: u64,
) -> Result<Applied, FollowError> {
    let a = app.clone();
    let after = tokio::task::spawn_blocking(move || a.store.max_seq()).await??;
    let url = format!("{primary}/follow/changes?after={after}&limit={PAGE}&wait={wait}");
    let resp = client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(FollowError::Unreachable)?;
    match resp.status() {
        s if s.is_success() => {}
        reqwest::StatusCode::UNAUTHORIZED => return Err(FollowError::Refused),
        reqwest::StatusCode::NOT_FOUND => return Err(FollowError::NoFeed),
        s => return Err(FollowError::Status(s)),
    }
    let page: Page = resp.json().await.map_err(FollowError::Unreadable)?;
    let (app, indexer) = (app.clone(), indexer.clone());
    tokio::task::spawn_blocking(move || {
        let applied = app.store.apply_rows(&page.store, page.seq, &page.rows)?;
        // Searchable at once when this is the last of what there is; a follower far
        // behind (a full page: more to come) leaves indexing to the index follower's
        // next tick, which takes every page copied since in one commit.
        if applied.rows > 0 && page.rows.len() < PAGE {
            let mut guard = indexer.lock().unwrap_or_else(|p| p.into_inner());
            app.sync(&mut guard)?;
        }
        Ok(applied)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_with_reasons() {
        let token = "a-long-enough-secret";
        assert!(check(None, None).is_ok());
        assert!(check(None, Some(token)).is_ok());
        assert!(check(Some("http://10.0.0.1:3000"), Some(token)).is_ok());
        let short = check(None, Some("short")).unwrap_err();
        assert!(short.contains("at least 16"), "{short}");
        let none = check(Some("http://10.0.0.1:3000"), None).unwrap_err();
        assert!(none.contains("follow_token"), "{none}");
        let bad = check(Some("10.0.0.1:3000"), Some(token)).unwrap_err();
        assert!(bad.contains("http"), "{bad}");
        let ftp = check(Some("ftp://primary/"), Some(token)).unwrap_err();
        assert!(ftp.contains("http://"), "{ftp}");
    }

    #[test]
    fn pauses_grow_to_a_limit() {
        assert_eq!(pause_after(1), Duration::from_millis(250));
        assert_eq!(pause_after(2), Duration::from_millis(500));
        assert_eq!(pause_after(50), MAX_PAUSE);
    }
}
