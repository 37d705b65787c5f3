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
