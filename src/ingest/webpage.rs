//! Group web pages: listings from the schema.org JSON-LD a group puts on its own site.
//!
//! Many small groups have no feed, but their website (or its CMS plugin) describes
//! their `Event`s, `EventSeries` with an `eventSchedule`, or `Service` in JSON-LD.
//! Those shapes are the ones OpenActive builds on, so each node is tidied into the
//! shape [`super::openactive::map`] already reads and goes through the same store path
//! as a feed item: the page URL is the "feed", the nodes it describes are its items,
//! and the listing is rebuilt from them. The page's `Organization` and `Place` fill in
//! an event's organiser and venue when it leaves them out.
//!
//! Freshness follows what the page says now: a page that answers 404 or 410 withdraws
//! the listings it gave; an activity no longer on the page is withdrawn; a server error,
//! timeout or robots.txt refusal changes nothing (reported, tried again next run); a
//! 304 to our conditional request leaves everything as it is.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::http::{Body, Fetched, Http, HttpError};
use super::jsonld::{self, as_list, types};
use super::openactive::{self, HarvestReport};
use super::{IngestError, ItemProblem};
use crate::geo::area::Area;
use crate::geo::locate::Geocoder;
use crate::listing::Taxonomy;
use crate::store::Store;

/// A group web page is small; anything bigger is not one.
pub const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;

/// Event types (schema.org `Event` and its subtypes) read as one-off or dated events.
const EVENTS: &[&str] = &[
    "Event",
    "SportsEvent",
    "SocialEvent",
    "EducationEvent",
    "ChildrensEvent",
    "DanceEvent",
    "MusicEvent",
    "TheaterEvent",
    "Festival",
    "ExhibitionEvent",
    "LiteraryEvent",
    "ComedyEvent",
    "FoodEvent",
    "VisualArtsEvent",
    "ScreeningEvent",
    "CourseInstance",
    "SessionSeries",
];
const SERIES: &[&str] = &["EventSeries", "Course"];
const SERVICES: &[&str] = &["Service", "GovernmentService", "FinancialProduct"];
const ORGANISATIONS: &[&str] = &[
    "Organization",
    "NGO",
    "SportsClub",
    "SportsOrganization",
    "SportsTeam",
    "LocalBusiness",
    "GovernmentOrganization",
    "EducationalOrganization",
    "MedicalOrganization",
    "Library",
];
const PLACES: &[&str] = &[
    "Place",
    "CivicStructure",
    "EventVenue",
    "Park",
    "SportsActivityLocation",
    "ExerciseGym",
    "PublicSwimmingPool",
    "PlaceOfWorship",
    "Church",
    "CommunityCenter",
];

/// What happened to one page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "detail")]
pub enum PageResult {
    /// Read; this many activities found on it.
    Read(usize),
    /// 304: unchanged since last time; its listings stay as they are.
    NotModified,
    /// 404 or 410: its listings were withdrawn.
    Gone(u16),
    /// Read, but it describes no activity Signpost can list (why).
    NoActivities(String),
    /// Not read this time (why); its listings stay, and it is tried again next run.
    Failed(String),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PageOutcome {
    pub url: String,
    pub result: PageResult,
    /// JSON-LD blocks on the page that could not be read, even if others could.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WebReport {
    pub source: String,
    pub pages: Vec<PageOutcome>,
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub withdrawn: usize,
    /// What the listings written leave unsaid (placed by area, no place, general type,
    /// no times).
    pub gaps: crate::ingest::Gaps,
    pub failed: Vec<ItemProblem>,
}

impl WebReport {
    pub fn count(&self, f: impl Fn(&PageResult) -> bool) -> usize {
        self.pages.iter().filter(|p| f(&p.result)).count()
    }
}

impl std::fmt::Display for WebReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} pages ({} read, {} not modified, {} gone, {} without activities, {} failed); listings: new {}, updated {}, unchanged {}, withdrawn {}, failed {}",
            self.source,
            self.pages.len(),
            self.count(|r| matches!(r, PageResult::Read(_))),
            self.count(|r| *r == PageResult::NotModified),
            self.count(|r| matches!(r, PageResult::Gone(_))),
            self.count(|r| matches!(r, PageResult::NoActivities(_))),
            self.count(|r| matches!(r, PageResult::Failed(_))),
            self.created,
            self.changed,
            self.unchanged,
            self.withdrawn,
            self.failed.len()
        )?;
        self.gaps
            .describe(f, self.created + self.changed + self.unchanged)?;
        for p in &self.pages {
            match &p.result {
                PageResult::Gone(s) => write!(
                    f,
                    "\n  {}: the page is gone ({s}); its listings were withdrawn",
                    p.url
                )?,
                PageResult::NoActivities(why) => write!(f, "\n  {}: {why}", p.url)?,
                PageResult::Failed(why) => {
                    write!(f, "\n  {}: not read ({why}); nothing changed", p.url)?
                }
                PageResult::Read(_) | PageResult::NotModified => {
                    for why in &p.problems {
                        write!(f, "\n  {}: {why}", p.url)?;
                    }
                }
            }
        }
        for p in self.failed.iter().take(50) {
            write!(f, "\n  item {}", p.position)?;
            if let Some(id) = &p.source_id {
                write!(f, " ({id})")?;
            }
            write!(f, ": {}", p.reasons.join("; "))?;
        }
        Ok(())
    }
}

/// One activity node ready to store: its item id, the listing group it belongs to,
/// its kind, and the tidied data.
#[derive(Debug, Clone)]
pub struct PageItem {
    pub item_id: String,
    pub group: String,
    pub kind: String,
    pub data: Value,
}

/// Reads the activities a page describes. The `String`s are reasons the page (or a
/// block on it) could not be used, for the report.
pub fn page_items(
    page_url: &str,
    body: &[u8],
    content_type: Option<&str>,
) -> (Vec<PageItem>, Vec<String>) {
    let looks_json = content_type.is_some_and(|c| c.contains("json"))
        || body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[');
    let x = if looks_json {
        jsonld::from_json(body)
    } else {
        jsonld::from_html(&String::from_utf8_lossy(body))
    };
    let mut problems = x.problems;
    if x.blocks == 0 {
        problems.push(
            "the page has no schema.org JSON-LD (no <script type=\"application/ld+json\">)".into(),
        );
        return (Vec::new(), problems);
    }
    let items = items_from_nodes(page_url, &x.nodes);
    if items.is_empty() && !x.nodes.is_empty() {
        let mut seen: Vec<String> = x.nodes.iter().flat_map(types).collect();
        seen.dedup();
        problems.push(format!(
            "its JSON-LD describes no event, event series or service (only {})",
            if seen.is_empty() {
                "nodes without a @type".to_string()
            } else {
                seen.join(", ")
            }
        ));
    }
    (items, problems)
}

fn any_type(v: &Value, names: &[&str]) -> Option<String> {
    types(v).into_iter().find(|t| names.contains(&t.as_str()))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for w in s
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(w);
    }
    out
}

fn name_of(v: &Value) -> String {
    v.get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
        .to_string()
}

/// A node's identity on this page: its `@id` made absolute, or the page and its name.
fn key_of(page_url: &str, v: &Value, kind: &str) -> String {
    if let Some(id) = v.get("@id").and_then(Value::as_str).map(str::trim)
        && !id.is_empty()
        && !id.starts_with("_:")
    {
        return reqwest::Url::parse(page_url)
            .and_then(|b| b.join(id))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| id.to_string());
    }
    format!(
        "{page_url}#{}/{}",
        kind.to_ascii_lowercase(),
        slug(&name_of(v))
    )
}

/// Words that say what an activity is, from the places schema.org puts them, for the
/// mapping's `activity` (which picks Signpost types by label).
fn activity_words(v: &Value) -> Vec<Value> {
    let mut words = Vec::new();
    for key in ["keywords", "sport", "serviceType", "category", "genre"] {
        for k in as_list(v.get(key)) {
            match k {
                Value::String(s) => words.extend(
                    s.split(',')
                        .map(str::trim)
                        .filter(|w| !w.is_empty())
                        .map(|w| Value::String(w.to_string())),
                ),
                Value::Object(_) => {
                    if let Some(n) = k.get("name").and_then(Value::as_str) {
                        words.push(Value::String(n.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    for a in as_list(v.get("about")) {
        if let Some(n) = a.get("name").and_then(Value::as_str).or(a.as_str()) {
            words.push(Value::String(n.to_string()));
        }
    }
    words
}

/// The page's one venue: a lone Place, or the organisation's own address.
fn page_place(places: &[&Value], org: Option<&Value>) -> Option<Value> {
    match places {
        [p] => Some((*p).clone()),
        _ => org.and_then(|o| {
            o.get("location")
                .filter(|l| l.is_object())
                .cloned()
                .or_else(|| {
                    o.get("address").map(|a| {
                        json!({"@type": "Place", "name": o.get("name").cloned().unwrap_or(Value::Null),
                               "address": a, "geo": o.get("geo").cloned().unwrap_or(Value::Null)})
                    })
                })
        }),
    }
}

/// What a node is (its schema.org type) and the OpenActive type it is read as, if it
/// is an activity at all.
fn kind_of(n: &Value) -> Option<(String, String)> {
    if let Some(k) = any_type(n, SERIES) {
        Some((k.clone(), k))
    } else if let Some(k) = any_type(n, EVENTS) {
        let mapped = if matches!(k.as_str(), "CourseInstance" | "SessionSeries") {
            k.clone()
        } else {
            "Event".to_string()
        };
        Some((k, mapped))
    } else if any_type(n, SERVICES).is_some() {
        Some(("Service".to_string(), "Service".to_string()))
    } else {
        None
    }
}

/// Fills what an activity node leaves out from the rest of the page: a service's
/// place from its channel, its activity from its keywords, the page's organisation
/// and venue, and the page's address as its web address.
fn fill_from_page(
    obj: &mut serde_json::Map<String, Value>,
    n: &Value,
    mapped: &str,
    org: Option<&Value>,
    page_place: Option<&Value>,
    page_url: &str,
) {
    if mapped == "Service"
        && obj.get("location").is_none()
        && let Some(loc) = as_list(n.get("availableChannel"))
            .into_iter()
            .find_map(|c| c.get("serviceLocation").filter(|l| l.is_object()))
    {
        obj.insert("location".into(), loc.clone());
    }
    if obj.get("activity").is_none() {
        let words = activity_words(n);
        if !words.is_empty() {
            obj.insert("activity".into(), Value::Array(words));
        }
    }
    if obj.get("organizer").is_none()
        && obj.get("provider").is_none()
        && let Some(o) = org
    {
        obj.insert("organizer".into(), o.clone());
    }
    if obj.get("location").is_none()
        && let Some(p) = page_place
    {
        obj.insert("location".into(), p.clone());
    }
    if obj.get("url").and_then(Value::as_str).is_none() {
        obj.insert("url".into(), Value::String(page_url.to_string()));
    }
}

/// The page's nodes into storable items.
pub fn items_from_nodes(page_url: &str, nodes: &[Value]) -> Vec<PageItem> {
    let org = nodes
        .iter()
        .find(|n| any_type(n, ORGANISATIONS).is_some())
        .cloned();
    let places: Vec<&Value> = nodes
        .iter()
        .filter(|n| any_type(n, PLACES).is_some() && any_type(n, ORGANISATIONS).is_none())
        .collect();
    let page_place = page_place(&places, org.as_ref());
    let series_ids: HashMap<String, String> = nodes
        .iter()
        .filter_map(|n| {
            let kind = any_type(n, SERIES)?;
            Some((
                n.get("@id")?.as_str()?.to_string(),
                key_of(page_url, n, &kind),
            ))
        })
        .collect();

    let mut items: Vec<PageItem> = Vec::new();
    // Events without a series, grouped by name: a group's page often lists the same
    // weekly session once per date.
    let mut by_name: HashMap<String, String> = HashMap::new();
    for n in nodes {
        let Some((kind, mapped)) = kind_of(n) else {
            continue;
        };
        let mut data = n.clone();
        let Some(obj) = data.as_object_mut() else {
            continue;
        };
        obj.remove("@context");
        obj.insert("@type".into(), Value::String(mapped.clone()));
        fill_from_page(obj, n, &mapped, org.as_ref(), page_place.as_ref(), page_url);
        let own_key = key_of(page_url, n, &mapped);
        // An event of a series on this page is one of the series' dates.
        let series = n
            .get("superEvent")
            .and_then(|s| s.get("@id").and_then(Value::as_str).or(s.as_str()))
            .and_then(|id| series_ids.get(id));
        let (group, item_id) = if mapped == "Event"
            && let Some(series_key) = series
        {
            obj.insert("@type".into(), "ScheduledSession".into());
            obj.insert("superEvent".into(), Value::String(series_key.clone()));
            (series_key.clone(), format!("{own_key}@{}", items.len() + 1))
        } else if mapped == "Event" {
            let name = slug(&name_of(n));
            match by_name.get(&name) {
                Some(first) => {
                    obj.insert("@type".into(), "ScheduledSession".into());
                    obj.insert("superEvent".into(), Value::String(first.clone()));
                    (first.clone(), format!("{own_key}@{}", items.len() + 1))
                }
                None => {
                    by_name.insert(name, own_key.clone());
                    (own_key.clone(), own_key.clone())
                }
            }
        } else {
            (own_key.clone(), own_key.clone())
        };
        if group == item_id {
            obj.insert("@id".into(), Value::String(group.clone()));
        }
        if items.iter().any(|i| i.item_id == item_id) {
            continue;
        }
        items.push(PageItem {
            item_id,
            group,
            kind,
            data,
        });
    }
    items
}

/// Harvests each page in turn through `http`, keeping each page's listings in step
/// with what it says now.
/// `gap` is the source's own pause between pages (`delay_ms` in the sources file), on
/// top of the per-host manners of `http`.
#[allow(clippy::too_many_arguments)]
pub async fn harvest_pages(
    store: &Store,
    taxonomy: &'static Taxonomy,
    http: &Http,
    source: &str,
    urls: &[String],
    now: NaiveDateTime,
    gap: std::time::Duration,
) -> Result<WebReport, IngestError> {
    harvest_pages_from(store, taxonomy, http, (source, None), urls, now, gap, None).await
}

/// As [`harvest_pages`], for a source with an area (where activities that say
/// nowhere are placed, as for every other source), and with one page already fetched
/// (while working out the format): `first` is the address asked for and its answer,
/// read instead of being fetched again.
#[allow(clippy::too_many_arguments)]
pub async fn harvest_pages_from(
    store: &Store,
    taxonomy: &'static Taxonomy,
    http: &Http,
    (source, area): (&str, Option<&Area>),
    urls: &[String],
    now: NaiveDateTime,
    gap: std::time::Duration,
    mut first: Option<(String, Body)>,
) -> Result<WebReport, IngestError> {
    let mut report = WebReport {
        source: source.to_string(),
        ..Default::default()
    };
    for (i, url) in urls.iter().enumerate() {
        if i > 0 && !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
        let mut problems = Vec::new();
        let fetched = first.take_if(|(asked, _)| asked == url).map(|(_, b)| b);
        let result = harvest_page(
            store,
            taxonomy,
            http,
            (source, area),
            url,
            now,
            &mut report,
            &mut problems,
            fetched,
        )
        .await?;
        report.pages.push(PageOutcome {
            url: url.clone(),
            result,
            problems,
        });
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn harvest_page(
    store: &Store,
    taxonomy: &'static Taxonomy,
    http: &Http,
    (source, area): (&str, Option<&Area>),
    url: &str,
    now: NaiveDateTime,
    report: &mut WebReport,
    block_problems: &mut Vec<String>,
    fetched: Option<Body>,
) -> Result<PageResult, IngestError> {
    let max = http.policy().max_bytes.min(MAX_PAGE_BYTES);
    let answer = match fetched {
        Some(b) if b.bytes.len() > max => Err(HttpError::TooLarge(max)),
        Some(b) => Ok(Fetched::Body(b)),
        None => {
            let validators = store.http_validators(url)?;
            http.get_limited(url, validators.as_ref(), max).await
        }
    };
    let body = match answer {
        Ok(Fetched::NotModified) => return Ok(PageResult::NotModified),
        Ok(Fetched::Body(b)) => b,
        Err(e) if e.is_gone() => {
            let HttpError::Status(code) = e else {
                unreachable!("is_gone is only true for a status")
            };
            apply(
                store,
                taxonomy,
                (source, area),
                url,
                Vec::new(),
                now,
                report,
            )?;
            store.set_http_validators(url, &Default::default())?;
            return Ok(PageResult::Gone(code));
        }
        Err(e) => return Ok(PageResult::Failed(e.to_string())),
    };
    let (items, problems) = page_items(url, &body.bytes, body.content_type.as_deref());
    if items.is_empty()
        && !problems.is_empty()
        && problems.iter().all(|p| p.starts_with("JSON-LD block"))
    {
        // Every block is broken: more likely a publishing slip than the activities
        // ending, so keep what we have until the page is readable again.
        return Ok(PageResult::Failed(format!(
            "none of its JSON-LD could be read: {}",
            problems.join("; ")
        )));
    }
    let found = items.iter().filter(|i| i.group == i.item_id).count();
    block_problems.extend(
        problems
            .iter()
            .filter(|p| p.starts_with("JSON-LD block"))
            .cloned(),
    );
    apply(store, taxonomy, (source, area), url, items, now, report)?;
    store.set_http_validators(url, &body.validators)?;
    Ok(if found == 0 {
        PageResult::NoActivities(problems.join("; "))
    } else {
        PageResult::Read(found)
    })
}

/// Replaces what `page` described with `items` and rebuilds the listings touched, in
/// one transaction.
fn apply(
    store: &Store,
    taxonomy: &Taxonomy,
    (source, area): (&str, Option<&Area>),
    page: &str,
    items: Vec<PageItem>,
    now: NaiveDateTime,
    report: &mut WebReport,
) -> Result<(), IngestError> {
    let geocoder = Geocoder::new(store);
    let modified = now.format("%Y-%m-%dT%H:%M:%S").to_string();
    let mut r = HarvestReport::default();
    store
        .feed_transaction(|tx| {
            let mut touched: Vec<(String, usize)> = Vec::new();
            let mut touch = |g: &str, pos: usize| {
                if !touched.iter().any(|(x, _)| x == g) {
                    touched.push((g.to_string(), pos));
                }
            };
            for (item_id, group) in tx.feed_items(source, page)? {
                if !items.iter().any(|i| i.item_id == item_id) {
                    tx.delete_item(source, page, &item_id)?;
                    touch(&group, 0);
                }
            }
            for (i, it) in items.iter().enumerate() {
                tx.put_item(
                    source,
                    page,
                    &it.item_id,
                    &it.kind,
                    &modified,
                    &it.group,
                    &it.data.to_string(),
                )?;
                touch(&it.group, i + 1);
            }
            openactive::rebuild_groups(
                &tx,
                taxonomy,
                &geocoder,
                (source, area),
                (&touched, &openactive::JustWritten::default()),
                now,
                &mut r,
            )?;
            tx.commit()
        })
        .map_err(IngestError::Store)?;
    report.created += r.created;
    report.changed += r.changed;
    report.gaps.add(r.gaps);
    report.unchanged += r.unchanged;
    report.withdrawn += r.withdrawn;
    report.failed.extend(r.failed);
    Ok(())
}

/// The pages to read: `urls`, plus `url_or_file` (one page URL, or a file of them).
pub fn page_list(urls: &[String], url_or_file: &str) -> Result<Vec<String>, IngestError> {
    let mut out: Vec<String> = urls.iter().map(|u| u.trim().to_string()).collect();
    let one = url_or_file.trim();
    if super::fetch::is_url(one) {
        out.push(one.to_string());
    } else if !one.is_empty() {
        let bytes = super::fetch::read_file(one)?;
        out.extend(urls_in(&String::from_utf8_lossy(&bytes)));
    }
    out.dedup();
    Ok(out)
}

/// The page URLs in a file, one a line (blank lines and `#` comments skipped).
pub fn urls_in(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_named_events_are_one_activity_and_page_context_fills_gaps() {
        let nodes = vec![
            json!({"@type": "SportsClub", "name": "Sale Striders", "address": {"postalCode": "M33 7XX"}}),
            json!({"@type": "SportsEvent", "name": "Park run", "startDate": "2026-12-05T09:00"}),
            json!({"@type": "SportsEvent", "name": "Park Run", "startDate": "2026-12-12T09:00"}),
            json!({"@type": "Thing", "name": "ignored"}),
        ];
        let items = items_from_nodes("https://club.example/", &nodes);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].group, items[1].group);
        assert_eq!(items[1].data["@type"], "ScheduledSession");
        assert_eq!(items[0].data["organizer"]["name"], "Sale Striders");
        assert_eq!(
            items[0].data["location"]["address"]["postalCode"],
            "M33 7XX"
        );
        assert_eq!(items[0].data["url"], "https://club.example/");
    }
}
