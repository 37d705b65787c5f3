//! Harvesting OpenActive RPDE feeds.
//!
//! RPDE (Realtime Paged Data Exchange) is a list of pages, each with `items` and a
//! `next` URL; the last page has no items and a `next` pointing at itself, which is
//! where a harvester keeps polling for changes. Items are `updated` (with `data`) or
//! `deleted`. The ordering (modified + id, or change number) is the publisher's; we only
//! follow `next`, so both work.
//!
//! Each page is applied in one store transaction together with the cursor, so a harvest
//! killed at any moment resumes at the first page not yet committed. An item whose
//! `modified` is older than the one stored is ignored, so replaying a page is harmless.

pub mod map;

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::Value;

use super::http::{Body, Fetched, Http, Validators};
use super::{IngestError, ItemProblem, fetch};
use crate::geo::locate::Geocoder;
use crate::listing::Taxonomy;
use crate::store::{FeedTx, Store, Upserted};

/// One RPDE item, as read from a page.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub kind: String,
    pub deleted: bool,
    pub modified: String,
    pub data: Option<Value>,
}

#[derive(Debug)]
pub struct Page {
    pub items: Vec<Result<Item, ItemProblem>>,
    pub next: Option<String>,
}

fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses one RPDE page. A page that is not a JSON object with `items` is an error
/// (the harvest cannot know where to go next); a bad item is reported and skipped.
pub fn parse_page(bytes: &[u8]) -> Result<Page, String> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the page is not valid JSON: {e}"))?;
    let items = v
        .get("items")
        .and_then(Value::as_array)
        .ok_or("the page has no 'items' list, so it is not an RPDE feed page")?;
    let next = scalar(v.get("next"));
    let items = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let problem = |why: &str| ItemProblem {
                position: i + 1,
                source_id: scalar(it.get("id")),
                reasons: vec![why.to_string()],
            };
            let id = scalar(it.get("id")).ok_or_else(|| problem("the item has no id"))?;
            let state = it.get("state").and_then(Value::as_str).unwrap_or("");
            let modified = scalar(it.get("modified"))
                .ok_or_else(|| problem("the item has no 'modified' value"))?;
            match state {
                "deleted" => Ok(Item {
                    id,
                    kind: scalar(it.get("kind")).unwrap_or_default(),
                    deleted: true,
                    modified,
                    data: None,
                }),
                "updated" => {
                    let data = it
                        .get("data")
                        .filter(|d| d.is_object())
                        .cloned()
                        .ok_or_else(|| problem("an updated item has no 'data' object"))?;
                    Ok(Item {
                        id,
                        kind: scalar(it.get("kind")).unwrap_or_default(),
                        deleted: false,
                        modified,
                        data: Some(data),
                    })
                }
                other => Err(problem(&format!(
                    "the item's state is '{other}', not 'updated' or 'deleted'"
                ))),
            }
        })
        .collect();
    Ok(Page { items, next })
}

/// RPDE `modified` values are numbers or strings; numbers compare as numbers.
fn newer_or_same(new: &str, old: &str) -> bool {
    match (new.parse::<i128>(), old.parse::<i128>()) {
        (Ok(a), Ok(b)) => a >= b,
        _ => new >= old,
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HarvestReport {
    pub source: String,
    pub pages: usize,
    pub items: usize,
    pub updated: usize,
    pub deleted: usize,
    pub stale: usize,
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub withdrawn: usize,
    pub failed: Vec<ItemProblem>,
    /// True when the harvest reached the end of the feed (polling from there on).
    pub caught_up: bool,
    /// The caught-up last page answered 304 Not Modified to a conditional request.
    pub not_modified: bool,
    /// What the listings written leave unsaid (placed by area, no place, general type,
    /// no times).
    pub gaps: crate::ingest::Gaps,
}

impl std::fmt::Display for HarvestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} pages, {} items ({} updated, {} deleted, {} already newer); listings: new {}, updated {}, unchanged {}, withdrawn {}, failed {}{}",
            self.source,
            self.pages,
            self.items,
            self.updated,
            self.deleted,
            self.stale,
            self.created,
            self.changed,
            self.unchanged,
            self.withdrawn,
            self.failed.len(),
            if self.not_modified {
                "; up to date (not modified since the last poll)"
            } else if self.caught_up {
                "; up to date"
            } else {
                ""
            }
        )?;
        self.gaps
            .describe(f, self.created + self.changed + self.unchanged)?;
        for p in self.failed.iter().take(50) {
            write!(f, "\n  item {}", p.position)?;
            if let Some(id) = &p.source_id {
                write!(f, " ({id})")?;
            }
            write!(f, ": {}", p.reasons.join("; "))?;
        }
        if self.failed.len() > 50 {
            write!(f, "\n  … and {} more", self.failed.len() - 50)?;
        }
        Ok(())
    }
}

pub struct HarvestOptions {
    /// Name recorded as each listing's source.
    pub source: String,
    /// Stop after this many pages (the cursor is kept, so the next run goes on).
    pub max_pages: Option<usize>,
    /// Pause between reading one page and asking for the next, to be polite to the
    /// publisher (the next page is read while this one is written).
    pub delay: Duration,
    /// The area the feed covers: where activities that give no place are placed.
    pub area: Option<crate::geo::area::Area>,
}

/// Reads one page from a URL (through the polite client, with retries, conditional
/// when we kept validators for it) or a local file. `None` means 304 Not Modified.
async fn read_page(store: &Store, url: &str) -> Result<Option<(Vec<u8>, Validators)>, IngestError> {
    if fetch::is_url(url) {
        fetch_url(url, store.http_validators(url)?.as_ref()).await
    } else {
        let path = url.strip_prefix("file://").unwrap_or(url).to_string();
        let bytes = tokio::task::spawn_blocking(move || fetch::read_file(&path))
            .await
            .map_err(|e| IngestError::Read(url.into(), std::io::Error::other(e)))??;
        Ok(Some((bytes, Validators::default())))
    }
}

/// Fetches one page, conditional on `known` validators. `None` means 304 Not Modified.
async fn fetch_url(
    url: &str,
    known: Option<&Validators>,
) -> Result<Option<(Vec<u8>, Validators)>, IngestError> {
    let http = Http::global();
    match http.get(url, known).await {
        Ok(Fetched::NotModified) => Ok(None),
        Ok(Fetched::Body(b)) => Ok(Some((b.bytes, b.validators))),
        Err(e) => Err(fetch::fetch_error(url, &e, http.policy().attempts)),
    }
}

/// Harvests `start` (an RPDE feed URL, or a file holding one page) from where the last
/// run stopped, until the feed is caught up or `max_pages` is reached. `progress` is
/// called after each committed page.
pub async fn harvest(
    store: &Store,
    taxonomy: &'static Taxonomy,
    start: &str,
    opts: &HarvestOptions,
    now: NaiveDateTime,
    progress: impl FnMut(&HarvestReport),
) -> Result<HarvestReport, IngestError> {
    harvest_from(store, taxonomy, start, opts, now, None, progress).await
}

/// As [`harvest`], with the first page already fetched (while working out the
/// format), so it is not fetched again. It is used only when the harvest starts at
/// `start`, the address it was fetched from.
pub async fn harvest_from(
    store: &Store,
    taxonomy: &'static Taxonomy,
    start: &str,
    opts: &HarvestOptions,
    now: NaiveDateTime,
    mut first: Option<Body>,
    mut progress: impl FnMut(&HarvestReport),
) -> Result<HarvestReport, IngestError> {
    let mut report = HarvestReport {
        source: opts.source.clone(),
        ..Default::default()
    };
    let feed = start.to_string();
    let mut url = store
        .cursor(&opts.source, &feed)?
        .map(|c| c.next_url)
        .unwrap_or_else(|| start.to_string());
    let mut position_base = 0;
    // The next page, being read while this one is written.
    let mut ahead: Option<ReadAhead> = None;
    loop {
        if opts.max_pages.is_some_and(|m| report.pages >= m) {
            break;
        }
        let read = match ahead.take() {
            Some(next) => next.page().await?,
            None => {
                let prefetched = first.take().filter(|_| url == start);
                let read = match prefetched {
                    Some(b) => Some((b.bytes, b.validators)),
                    None => read_page(store, &url).await?,
                };
                match read {
                    Some((bytes, validators)) => Some((parse(&url, &bytes)?, validators)),
                    None => None,
                }
            }
        };
        let Some((page, validators)) = read else {
            // The end page we polled last time has not changed.
            report.caught_up = true;
            report.not_modified = true;
            break;
        };
        let n = page.items.len();
        // A page pointing at itself, or with no next, is the end of the feed. For a
        // file there is no next page to read.
        let next = page
            .next
            .clone()
            .filter(|n| fetch::is_url(&url) && fetch::is_url(n))
            .map(|n| resolve(&url, &n));
        let at_end = n == 0 || next.as_deref().is_none_or(|n| n == url);
        let cursor = next.clone().unwrap_or_else(|| url.clone());
        if !at_end && opts.max_pages.is_none_or(|m| report.pages + 1 < m) {
            ahead = Some(ReadAhead::start(store, &cursor, opts.delay)?);
        }
        let source = opts.source.clone();
        let feed_key = feed.clone();
        let page_report = tokio::task::block_in_place(|| {
            apply_page(
                store,
                taxonomy,
                &source,
                &feed_key,
                page,
                &cursor,
                position_base,
                now,
                opts.area.as_ref(),
            )
        })?;
        merge(&mut report, page_report);
        report.pages += 1;
        position_base += n;
        progress(&report);
        if at_end {
            // This page is where polling goes on: remember its validators (after its
            // items are committed) so the next poll can be a conditional request.
            if fetch::is_url(&url) {
                store.set_http_validators(&url, &validators)?;
            }
            report.caught_up = true;
            break;
        }
        url = cursor;
    }
    Ok(report)
}

fn parse(url: &str, bytes: &[u8]) -> Result<Page, IngestError> {
    tokio::task::block_in_place(|| parse_page(bytes)).map_err(|e| IngestError::Fetch(url.into(), e))
}

/// The next page of a feed, fetched and parsed on another task while the page before
/// it is written to the store. In the harvest bench, fetching and parsing were 37% of
/// the time and writing 63%; overlapped, a harvest takes about the longer of the two
/// instead of their sum (BENCHMARKS.md). Only pages the harvest
/// will read are read ahead (never past the end or `max_pages`), and the cursor still
/// moves only when a page is written. Dropping it (an error, a stopped harvest)
/// stops the read.
struct ReadAhead(tokio::task::JoinHandle<Result<Option<(Page, Validators)>, IngestError>>);

impl ReadAhead {
    /// Starts reading `url` after the source's pause between pages.
    fn start(store: &Store, url: &str, pause: Duration) -> Result<ReadAhead, IngestError> {
        // Looked up now: only the end page's validators are written, after its items.
        let known = store.http_validators(url)?;
        let url = url.to_string();
        Ok(ReadAhead(tokio::spawn(async move {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            match fetch_url(&url, known.as_ref()).await? {
                Some((bytes, validators)) => Ok(Some((parse(&url, &bytes)?, validators))),
                None => Ok(None),
            }
        })))
    }

    async fn page(mut self) -> Result<Option<(Page, Validators)>, IngestError> {
        (&mut self.0)
            .await
            .map_err(|e| IngestError::Read("a feed page".into(), std::io::Error::other(e)))?
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A `next` link may be relative to the page it came from.
fn resolve(base: &str, next: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|b| b.join(next))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| next.to_string())
}

fn merge(into: &mut HarvestReport, page: HarvestReport) {
    into.items += page.items;
    into.updated += page.updated;
    into.deleted += page.deleted;
    into.stale += page.stale;
    into.created += page.created;
    into.changed += page.changed;
    into.unchanged += page.unchanged;
    into.withdrawn += page.withdrawn;
    into.gaps.add(page.gaps);
    into.failed.extend(page.failed);
}

/// Applies one page: raw items, the listings they make, and the cursor, in one
/// transaction.
#[allow(clippy::too_many_arguments)]
fn apply_page(
    store: &Store,
    taxonomy: &Taxonomy,
    source: &str,
    feed: &str,
    page: Page,
    next_url: &str,
    position_base: usize,
    now: NaiveDateTime,
    area: Option<&crate::geo::area::Area>,
) -> Result<HarvestReport, IngestError> {
    let geocoder = Geocoder::new(store);
    let mut report = HarvestReport::default();
    let n = page.items.len();
    store
        .feed_transaction(|tx| {
            // Groups touched on this page, in first-seen order, with the position of the
            // item that touched them (for messages).
            let mut groups: Vec<(String, usize)> = Vec::new();
            let mut written = JustWritten::default();
            let mut touch = |g: String, pos: usize| {
                if !groups.iter().any(|(x, _)| *x == g) {
                    groups.push((g, pos));
                }
            };
            for (i, item) in page.items.into_iter().enumerate() {
                report.items += 1;
                let item = match item {
                    Ok(item) => item,
                    Err(mut p) => {
                        p.position += position_base;
                        report.failed.push(p);
                        continue;
                    }
                };
                let pos = position_base + i + 1;
                let prev = tx.item_state(source, feed, &item.id)?;
                if let Some((old, _)) = &prev
                    && !newer_or_same(&item.modified, old)
                {
                    report.stale += 1;
                    continue;
                }
                if let Some((_, old_group)) = &prev {
                    touch(old_group.clone(), pos);
                }
                match item.data {
                    None => {
                        report.deleted += 1;
                        tx.delete_item(source, feed, &item.id)?;
                        written.forget(feed, &item.id);
                    }
                    Some(data) => {
                        report.updated += 1;
                        let group = map::group_key(feed, &item.id, &data);
                        tx.put_item(
                            source,
                            feed,
                            &item.id,
                            &item.kind,
                            &item.modified,
                            &group,
                            &data.to_string(),
                        )?;
                        written.keep(feed, item.id, data);
                        touch(group, pos);
                    }
                }
            }
            rebuild_groups(
                &tx,
                taxonomy,
                &geocoder,
                (source, area),
                (&groups, &written),
                now,
                &mut report,
            )?;
            tx.set_cursor(source, feed, next_url, n)?;
            tx.commit()?;
            Ok(())
        })
        .map_err(IngestError::Store)?;
    Ok(report)
}

/// Items written in the current transaction, as parsed from the feed, by feed and item
/// id. Rebuilding a group takes them from here instead of parsing back the copies just
/// stored: parsing and dropping those copies was a quarter of a harvest's instructions
/// (BENCHMARKS.md, "Harvest profiled").
#[derive(Default)]
pub(crate) struct JustWritten(HashMap<String, HashMap<String, Value>>);

impl JustWritten {
    fn keep(&mut self, feed: &str, item_id: String, data: Value) {
        self.0
            .entry(feed.to_string())
            .or_default()
            .insert(item_id, data);
    }

    fn forget(&mut self, feed: &str, item_id: &str) {
        if let Some(items) = self.0.get_mut(feed) {
            items.remove(item_id);
        }
    }

    fn get(&self, feed: &str, item_id: &str) -> Option<&Value> {
        self.0.get(feed)?.get(item_id)
    }
}

/// Rebuilds the listings of `groups` (each with the position of the item that touched
/// it) and writes them, counting what was created, changed or unchanged. Shared with
/// `ingest::webpage`.
pub(crate) fn rebuild_groups(
    tx: &FeedTx<'_>,
    taxonomy: &Taxonomy,
    geocoder: &Geocoder<'_>,
    (source, area): (&str, Option<&crate::geo::area::Area>),
    (groups, written): (&[(String, usize)], &JustWritten),
    now: NaiveDateTime,
    report: &mut HarvestReport,
) -> Result<(), crate::store::StoreError> {
    let mut listings = Vec::new();
    for (group, pos) in groups {
        rebuild(
            tx,
            taxonomy,
            geocoder,
            (source, area),
            (group, written),
            *pos,
            now,
            &mut listings,
            report,
        )?;
    }
    for r in tx.upsert_listings(&listings)? {
        match r {
            Upserted::Created(_) => report.created += 1,
            Upserted::Updated(_) => report.changed += 1,
            Upserted::Unchanged(_) => report.unchanged += 1,
        }
    }
    Ok(())
}

/// Rebuilds the listing of one group from its stored items (withdrawing it when
/// nothing listable is left).
#[allow(clippy::too_many_arguments)]
fn rebuild(
    tx: &FeedTx<'_>,
    taxonomy: &Taxonomy,
    geocoder: &Geocoder<'_>,
    (source, area): (&str, Option<&crate::geo::area::Area>),
    (group, written): (&str, &JustWritten),
    position: usize,
    now: NaiveDateTime,
    out: &mut Vec<crate::listing::Listing>,
    report: &mut HarvestReport,
) -> Result<(), crate::store::StoreError> {
    let items = tx.group(source, group)?;
    // The group's items in their stored order; those written in this transaction as
    // they were read from the feed, the others parsed from the store.
    let values: Vec<Cow<'_, Value>> = items
        .iter()
        .filter_map(|i| match written.get(&i.feed, &i.item_id) {
            Some(v) => Some(Cow::Borrowed(v)),
            None => serde_json::from_str(&i.data).ok().map(Cow::Owned),
        })
        .collect();
    let values: Vec<&Value> = values.iter().map(AsRef::as_ref).collect();
    let fail = |reasons: Vec<String>| ItemProblem {
        position,
        source_id: Some(group.to_string()),
        reasons,
    };
    match map::listing_for_values(source, group, &values, taxonomy, now) {
        Ok(Some(mut l)) => match crate::ingest::settle(&mut l, geocoder, taxonomy, area) {
            Ok(notes) => {
                // What was guessed (a postcode we could not find) is in the listing's
                // place; a feed report lists only what could not be imported, and
                // counts what the listings leave unsaid.
                report.gaps.count(&l, notes.placed);
                out.push(l);
                return Ok(());
            }
            Err(reasons) => report.failed.push(fail(reasons)),
        },
        Ok(None) => {}
        Err(reason) => report.failed.push(fail(vec![reason])),
    }
    // Nothing listable any more (deleted, or now invalid): take it out of search.
    if tx.withdraw(source, group)? {
        report.withdrawn += 1;
    }
    Ok(())
}
