//! Reading a source from a file or a URL, with limits.
//!
//! URLs are fetched with an honest User-Agent, a timeout and a cap on the body size,
//! so a slow or enormous response can't hang or exhaust a harvest.

use std::time::Duration;

use super::IngestError;

pub const USER_AGENT: &str = concat!(
    "Signpost/",
    env!("CARGO_PKG_VERSION"),
    " (community activity directory; open source)"
);
/// Largest source we read in one go.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Reads a local file, refusing anything larger than [`MAX_BYTES`].
pub fn read_file(path: &str) -> Result<Vec<u8>, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| IngestError::Read(path.into(), e))?;
    if meta.len() > MAX_BYTES as u64 {
        return Err(IngestError::Read(
            path.into(),
            std::io::Error::other(format!("larger than {} MB", MAX_BYTES / 1024 / 1024)),
        ));
    }
    std::fs::read(path).map_err(|e| IngestError::Read(path.into(), e))
}

/// Fetches a URL, streaming so an oversized body is cut off early.
pub async fn fetch_url(url: &str) -> Result<Vec<u8>, IngestError> {
    let fail = |e: String| IngestError::Fetch(url.to_string(), e);
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(fail(format!("the server answered {}", resp.status())));
    }
    if resp.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(fail(format!("larger than {} MB", MAX_BYTES / 1024 / 1024)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| fail(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(fail(format!("larger than {} MB", MAX_BYTES / 1024 / 1024)));
        }
    }
    Ok(body)
}

/// Attempts per request: the first, then retries on 429, 5xx and network errors.
pub const ATTEMPTS: u32 = 5;
/// Longest wait before a retry, whatever `Retry-After` asks for.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// Fetches a feed page, retrying with exponential backoff on 429, 5xx, timeouts and
/// dropped connections, and honouring `Retry-After` (in seconds) when the server sends
/// it. Client errors other than 429 are not retried: asking again will not help.
pub async fn fetch_with_retries(url: &str) -> Result<Vec<u8>, IngestError> {
    fetch_with_retries_using(url, ATTEMPTS, Duration::from_millis(500)).await
}

pub async fn fetch_with_retries_using(
    url: &str,
    attempts: u32,
    first_wait: Duration,
) -> Result<Vec<u8>, IngestError> {
    let fail = |e: String| IngestError::Fetch(url.to_string(), e);
    let client = client().map_err(|e| fail(e.to_string()))?;
    let mut wait = first_wait;
    let mut last = String::new();
    for attempt in 1..=attempts.max(1) {
        let retry_after = match client.get(url).send().await {
            Ok(mut resp) => {
                let status = resp.status();
                if status.is_success() {
                    if resp.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
                        return Err(fail(format!("larger than {} MB", MAX_BYTES / 1024 / 1024)));
                    }
                    let mut body = Vec::new();
                    let mut broken = None;
                    loop {
                        match resp.chunk().await {
                            Ok(Some(chunk)) => {
                                body.extend_from_slice(&chunk);
                                if body.len() > MAX_BYTES {
                                    return Err(fail(format!(
                                        "larger than {} MB",
                                        MAX_BYTES / 1024 / 1024
                                    )));
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                broken = Some(e.to_string());
                                break;
                            }
                        }
                    }
                    match broken {
                        None => return Ok(body),
                        Some(e) => {
                            last = format!("the connection broke while reading: {e}");
                            None
                        }
                    }
                } else if status.as_u16() == 429 || status.is_server_error() {
                    last = format!("the server answered {status}");
                    resp.headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs)
                } else {
                    return Err(fail(format!("the server answered {status}")));
                }
            }
            Err(e) => {
                last = if e.is_timeout() {
                    "the server took too long to answer".to_string()
                } else if e.is_redirect() {
                    "too many redirects".to_string()
                } else {
                    e.to_string()
                };
                if e.is_redirect() {
                    return Err(fail(last));
                }
                None
            }
        };
        if attempt == attempts.max(1) {
            break;
        }
        let pause = retry_after.unwrap_or(wait).min(MAX_RETRY_WAIT);
        tracing::warn!(url, attempt, wait_ms = pause.as_millis() as u64, reason = %last, "retrying");
        tokio::time::sleep(pause).await;
        wait = (wait * 2).min(MAX_RETRY_WAIT);
    }
    Err(fail(format!("{last} (gave up after {attempts} attempts)")))
}

/// One HTTP client for the process (connection reuse, one User-Agent).
fn client() -> reqwest::Result<&'static reqwest::Client> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let c = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()?;
    Ok(CLIENT.get_or_init(|| c))
}
