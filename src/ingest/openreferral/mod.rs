//! Open Referral service directories: HSDS 3.0 / Open Referral UK 3.0, and the ORUK
//! 1.0 API that most live UK council directories still serve.
//!
//! Both APIs list services a page at a time (`GET {base}/services?page=N`) and give a
//! service's full record at `GET {base}/services/{id}`; list entries are summaries, so
//! every service is fetched in full. The paging fields differ by version (3.0:
//! `total_pages`, `page_number`, `last_page`, `contents`; 1.0: `totalPages`, `number`,
//! `last`, `content`), so both are read. Only a directory read to its last page is
//! complete, and only then are services that have gone from it withdrawn: a list page
//! that fails ends the run with nothing withdrawn, and a service whose full record could
//! not be fetched keeps its current listing.
//!
//! A file (`signpost import FILE`) may hold one service, a list of services or a page.

pub mod map;

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;

use super::http::Body;
use super::{Candidate, ImportOptions, ImportReport, IngestError, ItemProblem, fetch};
use crate::listing::Taxonomy;
use crate::store::Store;

/// Most pages we will follow, so a server that ignores `page` can't loop us forever.
const MAX_PAGES: usize = 10_000;

/// Decoded records and the warnings about what was left out of them.
#[derive(Debug, Default)]
pub struct Decoded {
    pub candidates: Vec<Candidate>,
    pub warnings: Vec<ItemProblem>,
}

/// Does this JSON look like Open Referral: a service, a list of services, a page of
/// them, or an API's `api_details`?
pub fn looks_like(v: &Value) -> bool {
    let service = |s: &Value| {
        s.is_object()
            && s.get("provenance").is_none()
            && (s.get("service_at_locations").is_some()
                || s.get("organization").is_some()
                || s.get("regular_schedules").is_some()
                || s.get("cost_options").is_some()
                || (s.get("id").is_some() && s.get("name").is_some() && s.get("status").is_some()))
    };
    match v {
        Value::Array(a) => a.first().is_some_and(service),
        Value::Object(_) => page_contents(v).is_some() || service(v) || is_api_details(v),
        _ => false,
    }
}

/// An ORUK API's root (`api_details`): says the version, holds no services.
pub fn is_api_details(v: &Value) -> bool {
    v.get("version").and_then(Value::as_str).is_some_and(|s| {
        let s = s.to_ascii_uppercase();
        s.contains("HSDS") || s.contains("ORUK") || s.contains("OPEN REFERRAL")
    })
}

/// The records on a page: 3.0 `contents`, 1.0 `content` (and `contents` in its
/// OpenAPI file).
pub fn page_contents(v: &Value) -> Option<&Vec<Value>> {
    ["contents", "content"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_array))
}

/// Is this page the last one? Reads either version's paging fields.
fn is_last_page(v: &Value, page: usize) -> bool {
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    let num = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
    if flag("last_page").or(flag("last")) == Some(true) || flag("empty") == Some(true) {
        return true;
    }
    if let Some(total) = num("total_pages").or(num("totalPages")) {
        // ORUK 1.0 numbers pages from 0 in `number` but takes ?page=1 for the first;
        // we count requests, which is what totalPages bounds.
        return page >= total;
    }
    page_contents(v).is_none_or(|c| c.is_empty())
}

/// Decodes a file: one service, a list of services, or a page of them.
pub fn decode(bytes: &[u8], taxonomy: &Taxonomy, today: NaiveDate) -> Result<Decoded, IngestError> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let v: Value = serde_json::from_slice(bytes)?;
    let records: Vec<Value> = match v {
        Value::Array(a) => a,
        ref o @ Value::Object(_) => match page_contents(o) {
            Some(c) => c.clone(),
            None if is_api_details(o) => {
                return Err(IngestError::UnknownFormat(
                    "an Open Referral API's details page; import the API's address instead of this file".into(),
                ));
            }
            None => vec![v],
        },
        _ => {
            return Err(IngestError::UnknownFormat(
                "JSON that is neither a service nor a list of services".into(),
            ));
        }
    };
    let mut out = Decoded::default();
    for (i, r) in records.iter().enumerate() {
        push_mapped(&mut out, i + 1, r, taxonomy, today);
    }
    Ok(out)
}

fn push_mapped(
    out: &mut Decoded,
    position: usize,
    record: &Value,
    taxonomy: &Taxonomy,
    today: NaiveDate,
) {
    match map::service_to_listing(record, taxonomy, today) {
        Ok(m) => {
            if !m.warnings.is_empty() {
                out.warnings.push(ItemProblem {
                    position,
                    source_id: Some(m.listing.provenance.source_id.clone()),
                    reasons: m.warnings,
                });
            }
            out.candidates.push(Ok(m.listing));
        }
        Err(r) => out.candidates.push(Err(ItemProblem {
            position,
            source_id: r.id,
            reasons: r.reasons,
        })),
    }
}

/// Options for reading a directory's API.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub source: String,
    /// Pause between requests, to be polite to the council's server.
    pub delay: Duration,
    /// Stop after this many list pages. A partial read withdraws nothing.
    pub max_pages: Option<usize>,
    /// The area the directory covers: where services that say nowhere are placed.
    pub area: Option<crate::geo::area::Area>,
}

/// What a directory harvest did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DirectoryReport {
    pub pages: usize,
    /// Full service records fetched.
    pub fetched: usize,
    /// True when the whole directory was read (so missing services were withdrawn).
    pub complete: bool,
    pub import: ImportReport,
}

impl std::fmt::Display for DirectoryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pages, {} services fetched{}; ",
            self.pages,
            self.fetched,
            if self.complete {
                ""
            } else {
                " (stopped early: nothing withdrawn)"
            }
        )?;
        write!(f, "{}", self.import)
    }
}

/// The API base from what a person typed: the base itself, its `/services` list, or
/// a page of it.
pub fn api_base(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    let t = no_query.trim_end_matches('/');
    t.strip_suffix("/services").unwrap_or(t).to_string()
}

/// Whether `address` asks for the first page of the services list under `base`:
/// `…/services` or `…/services?page=1` (any other parameter, like a page size, makes
/// it a different page).
fn is_first_page(address: &str, base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(address) else {
        return false;
    };
    url.path().trim_end_matches('/').ends_with("/services")
        && address.starts_with(base)
        && url.query_pairs().all(|(k, v)| k == "page" && v == "1")
}

fn with_page(base: &str, page: usize) -> String {
    format!("{base}/services?page={page}")
}

/// Reads a whole directory through its API, imports every service, and withdraws the
/// source's listings whose services have gone (only when every page was read).
pub async fn harvest_api(
    store: &Store,
    taxonomy: &Taxonomy,
    base: &str,
    opts: &ApiOptions,
    today: NaiveDate,
) -> Result<DirectoryReport, IngestError> {
    harvest_api_from(store, taxonomy, base, opts, today, None).await
}

/// As [`harvest_api`], with the address a person gave already fetched (while working
/// out the format). When that answer is the directory's first page of services it is
/// used as page 1 instead of being fetched again.
pub async fn harvest_api_from(
    store: &Store,
    taxonomy: &Taxonomy,
    address: &str,
    opts: &ApiOptions,
    today: NaiveDate,
    first: Option<Body>,
) -> Result<DirectoryReport, IngestError> {
    let base = api_base(address);
    let mut first = first.filter(|_| is_first_page(address, &base));
    let mut report = DirectoryReport::default();
    let mut decoded = Decoded::default();
    // Services in the directory we could not read in full this time: keep them.
    let mut keep: HashSet<String> = HashSet::new();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut position = 0;
    let mut page = 1;
    let mut complete = false;
    let mut previous_first: Option<String> = None;
    loop {
        if opts.max_pages.is_some_and(|m| report.pages >= m) || page > MAX_PAGES {
            break;
        }
        let url = with_page(&base, page);
        let bytes = match first.take() {
            Some(b) => b.bytes,
            None => fetch::fetch_with_retries(&url).await?,
        };
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
            IngestError::Fetch(url.clone(), format!("the page is not valid JSON: {e}"))
        })?;
        let Some(contents) = page_contents(&v) else {
            return Err(IngestError::Fetch(
                url,
                "the page has no 'contents' (or 'content') list of services".into(),
            ));
        };
        report.pages += 1;
        // A server that ignores ?page would send page 1 again and again.
        let first = contents.first().and_then(map::id_of);
        let has_paging = ["total_pages", "totalPages", "last_page", "last"]
            .iter()
            .any(|k| v.get(*k).is_some());
        if !has_paging && page > 1 && first.is_some() && first == previous_first {
            decoded.warnings.push(ItemProblem {
                position: position + 1,
                source_id: None,
                reasons: vec![format!("page {page} repeats page {}, so the server seems to ignore paging; stopped there", page - 1)],
            });
            complete = true;
            break;
        }
        previous_first = first;
        let last = is_last_page(&v, page);
        for entry in contents {
            position += 1;
            let read = read_service(entry, &base, opts, &mut seen_ids).await;
            match read {
                Read::Record(record) => {
                    report.fetched += 1;
                    push_mapped(&mut decoded, position, &record, taxonomy, today);
                }
                Read::Refused(id, reasons, kept) => {
                    if kept && let Some(id) = &id {
                        keep.insert(id.clone());
                    }
                    decoded.candidates.push(Err(ItemProblem {
                        position,
                        source_id: id,
                        reasons,
                    }));
                }
            }
        }
        if last {
            complete = true;
            break;
        }
        page += 1;
        if !opts.delay.is_zero() {
            tokio::time::sleep(opts.delay).await;
        }
    }
    report.complete = complete;
    let Decoded {
        candidates,
        warnings,
    } = decoded;
    let run = || {
        super::import_keeping(
            store,
            taxonomy,
            candidates,
            &ImportOptions {
                source: opts.source.clone(),
                withdraw_missing: complete,
                area: opts.area.clone(),
            },
            &keep,
        )
    };
    let mut import = super::blocking(run)?;
    import.warnings.extend(warnings);
    report.import = import;
    Ok(report)
}

/// One entry of a directory's list, read in full.
enum Read {
    Record(Value),
    /// Not read: the entry's id (if it has one), why, and whether the listing it
    /// already has is kept (the record could not be read this time).
    Refused(Option<String>, Vec<String>, bool),
}

/// Fetches the full record of one entry of a services page, once per id.
async fn read_service(
    entry: &Value,
    base: &str,
    opts: &ApiOptions,
    seen_ids: &mut HashSet<String>,
) -> Read {
    let Some(id) = map::id_of(entry) else {
        let why = "the list entry has no id, so its full record cannot be fetched";
        return Read::Refused(None, vec![why.into()], false);
    };
    if !seen_ids.insert(id.clone()) {
        let why = "this id is listed more than once in the directory";
        return Read::Refused(Some(id), vec![why.into()], false);
    }
    if !opts.delay.is_zero() {
        tokio::time::sleep(opts.delay).await;
    }
    let detail_url = format!("{base}/services/{}", encode(&id));
    match fetch::fetch_with_retries(&detail_url).await {
        Ok(b) => match serde_json::from_slice::<Value>(&b) {
            Ok(v) => Read::Record(v),
            Err(e) => Read::Refused(
                Some(id),
                vec![format!("its full record is not valid JSON: {e}")],
                true,
            ),
        },
        Err(e) => Read::Refused(
            Some(id),
            vec![format!("{e}; its current listing (if any) was kept")],
            true,
        ),
    }
}

fn encode(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
