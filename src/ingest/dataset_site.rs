//! OpenActive dataset sites and data catalogs: finding a publisher's feeds.
//!
//! An OpenActive publisher describes its open data on a "dataset site": an HTML page
//! embedding a JSON-LD `Dataset` whose `distribution` lists one `DataDownload` per RPDE
//! feed (`contentUrl`, with the kind of item in `additionalType` or `name`). Dataset
//! sites are in turn listed by `DataCatalog`s (`dataset`), and catalogs by a catalog
//! collection (`hasPart`). Given any of these, [`discover`] walks down to the feeds,
//! politely and with limits, so a source can be configured once by its dataset site
//! and follow the publisher when it adds or moves a feed.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::Value;

use super::http::{Fetched, Http};
use super::jsonld::{self, as_list, has_type};
use super::openactive::{HarvestOptions, HarvestReport, harvest};
use crate::listing::Taxonomy;
use crate::store::Store;

/// Pages (catalogs and dataset sites) read at most while discovering.
pub const MAX_DOCUMENTS: usize = 500;
/// Catalog collection → catalog → dataset site: deeper nesting than this is not real.
const MAX_DEPTH: usize = 4;
/// A catalog or dataset site page is small.
const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// One RPDE feed a dataset offers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Feed {
    pub url: String,
    /// What its items are, like `SessionSeries` or `ScheduledSession`.
    pub kind: String,
    /// The dataset site that lists it.
    pub dataset: String,
    /// The dataset's name, for messages.
    pub dataset_name: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Discovery {
    pub feeds: Vec<Feed>,
    /// Dataset sites and catalogs that could not be read or used, with why.
    pub problems: Vec<String>,
    pub documents: usize,
}

fn id_or_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(_) => ["url", "@id", "id"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .map(|s| s.trim().to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn resolve(base: &str, href: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|b| b.join(href))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| href.to_string())
}

fn kind_of(d: &Value) -> String {
    let from_type = d
        .get("additionalType")
        .and_then(Value::as_str)
        .map(|t| t.trim().rsplit(['/', '#']).next().unwrap_or("").to_string())
        .filter(|t| !t.is_empty());
    from_type
        .or_else(|| {
            d.get("identifier")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .or_else(|| d.get("name").and_then(Value::as_str).map(String::from))
        .unwrap_or_default()
}

/// The feeds in a `Dataset` node; anything else in its distribution is skipped.
fn feeds_of(dataset: &Value, page: &str, out: &mut Discovery) {
    let name = dataset
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(page)
        .to_string();
    let before = out.feeds.len();
    for d in as_list(dataset.get("distribution")) {
        let Some(url) = d
            .get("contentUrl")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            continue;
        };
        let format = d
            .get("encodingFormat")
            .and_then(Value::as_str)
            .unwrap_or("");
        // Only RPDE feeds (the format is often left out; a JSON-LD or CSV download is not a feed).
        if !format.is_empty() && !format.contains("rpde") && !format.contains("json") {
            continue;
        }
        let url = resolve(page, url);
        if out.feeds.iter().any(|f| f.url == url) {
            continue;
        }
        out.feeds.push(Feed {
            url,
            kind: kind_of(d),
            dataset: page.to_string(),
            dataset_name: name.clone(),
        });
    }
    if out.feeds.len() == before {
        out.problems.push(format!(
            "{page}: the dataset '{name}' lists no RPDE feed in its distribution"
        ));
    }
}

/// Walks from a dataset site, data catalog or catalog collection to the feeds.
pub async fn discover(http: &Http, start: &str) -> Discovery {
    let mut out = Discovery::default();
    let mut queue = VecDeque::from([(start.to_string(), 0usize)]);
    let mut seen = HashSet::new();
    while let Some((url, depth)) = queue.pop_front() {
        if !seen.insert(url.clone()) {
            continue;
        }
        if out.documents >= MAX_DOCUMENTS {
            out.problems.push(format!(
                "stopped after reading {MAX_DOCUMENTS} catalogs and dataset sites"
            ));
            break;
        }
        out.documents += 1;
        let body = match http.get_limited(&url, None, MAX_DOCUMENT_BYTES).await {
            Ok(Fetched::Body(b)) => b,
            Ok(Fetched::NotModified) => continue,
            Err(e) => {
                out.problems.push(format!("{url}: could not be read: {e}"));
                continue;
            }
        };
        let json = body
            .content_type
            .as_deref()
            .is_some_and(|c| c.contains("json"))
            || body
                .bytes
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'{' || *b == b'[');
        let x = if json {
            jsonld::from_json(&body.bytes)
        } else {
            jsonld::from_html(&String::from_utf8_lossy(&body.bytes))
        };
        let mut used = false;
        for node in &x.nodes {
            if has_type(node, "Dataset") {
                used = true;
                feeds_of(node, &url, &mut out);
            }
            if has_type(node, "DataCatalog") {
                used = true;
                for part in as_list(node.get("hasPart"))
                    .into_iter()
                    .chain(as_list(node.get("dataset")))
                {
                    // A dataset may be embedded whole rather than linked.
                    if has_type(part, "Dataset") && part.get("distribution").is_some() {
                        feeds_of(part, &url, &mut out);
                    } else if let Some(href) = id_or_url(part) {
                        if depth + 1 > MAX_DEPTH {
                            out.problems
                                .push(format!("{url}: catalogs nested too deep; {href} skipped"));
                        } else {
                            queue.push_back((resolve(&url, &href), depth + 1));
                        }
                    }
                }
            }
        }
        if !used {
            let mut why = x.problems.join("; ");
            if why.is_empty() {
                why = if x.blocks == 0 {
                    "it has no JSON-LD, so it is not an OpenActive dataset site or data catalog"
                        .into()
                } else {
                    "its JSON-LD has no Dataset or DataCatalog".into()
                };
            }
            out.problems.push(format!("{url}: {why}"));
        }
    }
    out
}

/// Feeds of parents (series, facilities, courses) first, so their sessions and slots
/// find them already there; the harvest is correct in any order, this is just quicker
/// to show listings.
pub fn parents_first(feeds: &mut [Feed]) {
    let rank = |k: &str| match k {
        "ScheduledSession" | "Slot" => 1,
        _ => 0,
    };
    feeds.sort_by_key(|f| rank(&f.kind));
}

/// What harvesting a dataset site (or catalog) did.
#[derive(Debug, Default, serde::Serialize)]
pub struct DatasetReport {
    pub source: String,
    pub discovery: Discovery,
    /// Each feed's harvest, or why it failed (the others still ran).
    pub feeds: Vec<(Feed, Result<HarvestReport, String>)>,
}

impl DatasetReport {
    pub fn failed_feeds(&self) -> usize {
        self.feeds.iter().filter(|(_, r)| r.is_err()).count()
    }
}

impl std::fmt::Display for DatasetReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: found {} feeds in {} catalogs and dataset sites; {} harvested, {} failed",
            self.source,
            self.discovery.feeds.len(),
            self.discovery.documents,
            self.feeds.len() - self.failed_feeds(),
            self.failed_feeds()
        )?;
        for p in &self.discovery.problems {
            write!(f, "\n  {p}")?;
        }
        for (feed, r) in &self.feeds {
            match r {
                Ok(r) => write!(f, "\n  {} ({}): {r}", feed.url, feed.kind)?,
                Err(e) => write!(f, "\n  {} ({}): failed: {e}", feed.url, feed.kind)?,
            }
        }
        Ok(())
    }
}

/// Discovers the feeds behind `start` and harvests each under `source` (so sessions
/// in one feed join their series in another). One feed failing does not stop the rest.
pub async fn harvest_dataset(
    store: &Store,
    taxonomy: &'static Taxonomy,
    http: &Http,
    source: &str,
    start: &str,
    max_pages: Option<usize>,
    now: NaiveDateTime,
) -> DatasetReport {
    let mut discovery = discover(http, start).await;
    parents_first(&mut discovery.feeds);
    let mut report = DatasetReport {
        source: source.to_string(),
        feeds: Vec::new(),
        discovery,
    };
    let opts = HarvestOptions {
        source: source.to_string(),
        max_pages,
        delay: Duration::ZERO,
        area: None,
    };
    for feed in report.discovery.feeds.clone() {
        let r = harvest(store, taxonomy, &feed.url, &opts, now, |_| {})
            .await
            .map_err(|e| e.to_string());
        report.feeds.push((feed, r));
    }
    report
}
