//! Reading a source from a file or a URL, with limits.
//!
//! URLs go through the polite client in [`super::http`] (honest User-Agent,
//! robots.txt, per-host limits, timeouts and a size cap counted while streaming), so a
//! slow or enormous response can't hang or exhaust a harvest.

use super::IngestError;
use super::http::{Fetched, Http, HttpError};

pub use super::http::USER_AGENT;
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

/// Fetches a URL once (no retries) through the polite client: robots.txt, per-host
/// limits, timeouts and the size cap all apply.
pub async fn fetch_url(url: &str) -> Result<Vec<u8>, IngestError> {
    match Http::global().get_once(url).await {
        Err(e) => Err(fetch_error(url, &e, 1)),
        ok => body(url, ok),
    }
}

/// Attempts per request: the first, then retries on 429, 5xx and network errors.
pub const ATTEMPTS: u32 = 5;
pub use super::http::MAX_RETRY_WAIT;

/// Fetches a feed page through the process's polite client ([`Http::global`]),
/// retrying with exponential backoff on 429, 5xx, timeouts and dropped connections,
/// and honouring `Retry-After` (in seconds) when the server sends it. Client errors
/// other than 429 are not retried: asking again will not help.
pub async fn fetch_with_retries(url: &str) -> Result<Vec<u8>, IngestError> {
    body(url, Http::global().get(url, None).await)
}

fn body(url: &str, r: Result<Fetched, HttpError>) -> Result<Vec<u8>, IngestError> {
    match r {
        Ok(Fetched::Body(b)) => Ok(b.bytes),
        Ok(Fetched::NotModified) => Err(IngestError::Fetch(
            url.to_string(),
            "the server answered 304 Not Modified to a request that was not conditional".into(),
        )),
        Err(e) => Err(fetch_error(url, &e, Http::global().policy().attempts)),
    }
}

/// An [`HttpError`] as an ingest error naming the URL.
pub fn fetch_error(url: &str, e: &HttpError, attempts: u32) -> IngestError {
    let mut why = e.to_string();
    if e.is_transient() && attempts > 1 && !matches!(e, HttpError::RobotsUnavailable(_)) {
        why.push_str(&format!(" (gave up after {attempts} attempts)"));
    }
    IngestError::Fetch(url.to_string(), why)
}
