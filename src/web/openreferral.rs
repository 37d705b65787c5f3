//! The Open Referral UK 3.0 API at `/openreferral/`: Signpost's listings as HSDS 3.0
//! services, for council directories, link-worker systems and anyone else who reads
//! ORUK (including another Signpost: `signpost import https://…/openreferral/`).
//!
//! - `GET /openreferral/`: API details (version, profile and OpenAPI addresses).
//! - `GET /openreferral/services`: a page of services from the same search engine as
//!   the site, so `search`, `taxonomy_term_id`, `day`, `postcode` + `proximity` and the
//!   rest find what the site would. ORUK paging: `page` (from 1), `per_page` (1 to
//!   200, default 50), `total_items`, `total_pages`, `page_number`, `size`,
//!   `first_page`, `last_page`, `empty`, `contents` (full services).
//! - `GET /openreferral/services/{id}`, `/service_at_locations[/{id}]`,
//!   `/taxonomies[/{id}]`, `/taxonomy_terms[/{id}]`.
//!
//! **What is published.** Every published listing, including ones not checked for a
//! while that the site's own results leave out (their pages still answer, and a
//! consumer mirroring the directory would otherwise see them vanish with no change
//! to sync). Nothing pending moderation.
//!
//! **Incremental sync and withdrawals.** `modified_after` answers from the store, not
//! the index: every listing that changed at or after that time, oldest change first,
//! *including withdrawn ones, with status `inactive`*. A consumer syncing by
//! `modified_after` sees a withdrawal as a change; if withdrawn services were simply
//! absent it could never tell "withdrawn" from "unchanged" and would keep sending
//! people to a group that has stopped. Plain searches show only active services, as
//! the site does, and a full read (every page) lists exactly the active directory, so
//! a consumer that re-reads everything withdraws what is gone. `modified_after` is a
//! sync, not a search: with search filters it is refused (400) rather than
//! half-applied. `last_modified` on every service is on the same clock.
//!
//! **Parameters the engine cannot express exactly** are mapped to what it can and
//! said here: `start_time`/`end_time` select the parts of the day (morning before
//! 12:00, afternoon to 17:00, evening) that the range overlaps; `minimum_age` and
//! `maximum_age` each name an age the service must accept (both at once must be the
//! same age); `proximity` is in metres, below 161 m it is 161 m (0.1 mile, the site's
//! smallest radius); `taxonomy_id` of the activity types is every service (each
//! listing has a type). Filtering by a circumstance term or by the accessibility or
//! circumstance taxonomy as a whole is refused with a 400 saying so.
//!
//! Ids are stable UUIDs (`publish::ids`). Finding a listing by one needs the reverse
//! map, kept in memory per data directory and extended from the store's change
//! sequence when an id is not found; a listing's source and source id never change,
//! so entries never go stale. Responses allow any origin (CORS) for GET: the data is
//! public and meant to be read from other sites' pages. Bad parameters are a 400
//! with a JSON body naming each one; an unknown id is a 404 with a JSON body.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::{Value, json};
use tower_http::cors::{Any, CorsLayer};
use uuid::Uuid;

use super::error::ApiError;
use super::{AppState, WebError, search};
use crate::App;
use crate::listing::{Listing, Mode, Status, TimeOfDay, parse};
use crate::publish::hsds::{self, Context};
use crate::publish::ids;
use crate::publish::taxonomy::{self, Vocab};
use crate::search::{ParamError, SearchRequest};
use crate::store::Dated;

/// Services a page unless `per_page` says otherwise, and the most it may say.
pub const DEFAULT_PER_PAGE: usize = 50;
pub const MAX_PER_PAGE: usize = 200;
/// One mile in metres, for `proximity`.
const METRES_PER_MILE: f64 = 1609.344;

pub fn routes() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD]);
    Router::new()
        .route("/openreferral", get(api_details))
        .route("/openreferral/", get(api_details))
        .route("/openreferral/services", get(services))
        .route("/openreferral/services/{id}", get(service))
        .route(
            "/openreferral/service_at_locations",
            get(service_at_locations),
        )
        .route(
            "/openreferral/service_at_locations/{id}",
            get(service_at_location),
        )
        .route("/openreferral/taxonomies", get(taxonomies))
        .route("/openreferral/taxonomies/{id}", get(taxonomy_one))
        .route("/openreferral/taxonomy_terms", get(taxonomy_terms))
        .route("/openreferral/taxonomy_terms/{id}", get(taxonomy_term))
        .layer(cors)
}

type Answer = Result<Json<Value>, ApiError>;

fn bad(param: &str, message: impl Into<String>) -> ParamError {
    ParamError::new(param, message)
}

fn not_found(what: &'static str) -> ApiError {
    WebError::refused(
        StatusCode::NOT_FOUND,
        "Not found",
        format!("There is no {what} with that id"),
    )
    .into()
}

async fn api_details() -> Json<Value> {
    Json(json!({
        "version": hsds::VERSION,
        "profile": hsds::PROFILE_URL,
        "openapi_url": hsds::OPENAPI_URL,
    }))
}

/// An ORUK page around `contents` (moved in, not copied: a page of full services is
/// a few hundred kilobytes of JSON).
fn page(total: usize, page: usize, per_page: usize, contents: Vec<Value>) -> Value {
    let pages = total.div_ceil(per_page).max(1);
    let mut out = serde_json::Map::new();
    out.insert("total_items".into(), total.into());
    out.insert("total_pages".into(), pages.into());
    out.insert("page_number".into(), page.into());
    out.insert("size".into(), contents.len().into());
    out.insert("first_page".into(), (page == 1).into());
    out.insert("last_page".into(), (page >= pages).into());
    out.insert("empty".into(), contents.is_empty().into());
    out.insert("contents".into(), Value::Array(contents));
    Value::Object(out)
}

/// `page` and `per_page`, checked.
fn paging(params: &[(String, String)], errors: &mut Vec<ParamError>) -> (usize, usize) {
    let mut page = 1;
    let mut per_page = DEFAULT_PER_PAGE;
    for (k, v) in params {
        let v = v.trim();
        match k.as_str() {
            "page" if !v.is_empty() => match v.parse::<usize>() {
                Ok(p) if (1..=1_000_000).contains(&p) => page = p,
                _ => errors.push(bad("page", "page must be a whole number from 1")),
            },
            "per_page" if !v.is_empty() => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => per_page = n,
                _ => errors.push(bad(
                    "per_page",
                    format!("per_page must be a whole number from 1 to {MAX_PER_PAGE}"),
                )),
            },
            _ => {}
        }
    }
    (page, per_page)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// `modified_after`: a date-time (with or without a zone; none means UTC) or a date.
fn parse_since(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

/// What a `/services` request asks for.
enum Plan {
    /// A search, as the site would run it, with the page size.
    Search(Box<SearchRequest>),
    /// Everything changed since a time, withdrawals included.
    Changed {
        since: DateTime<Utc>,
        page: usize,
        per_page: usize,
    },
}

/// The parts of the day a time range overlaps.
fn times_between(start: Option<NaiveTime>, end: Option<NaiveTime>) -> Vec<TimeOfDay> {
    let h = |t: Option<NaiveTime>, default: u32| {
        t.map_or(default * 60, |t| {
            use chrono::Timelike;
            t.hour() * 60 + t.minute()
        })
    };
    let (from, to) = (h(start, 0), h(end, 24));
    [
        (TimeOfDay::Morning, 0, 12 * 60),
        (TimeOfDay::Afternoon, 12 * 60, 17 * 60),
        (TimeOfDay::Evening, 17 * 60, 24 * 60),
    ]
    .into_iter()
    .filter(|(_, a, b)| from < *b && to > *a)
    .map(|(t, _, _)| t)
    .collect()
}

/// Turns ORUK parameters into a plan, or every problem with them.
fn plan(state: &AppState, raw: Option<&str>) -> Result<Plan, Vec<ParamError>> {
    let params = pairs(raw);
    let tax = state.app.taxonomy;
    let mut errors = Vec::new();
    let (page, per_page) = paging(&params, &mut errors);
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let (mut start, mut end) = (None, None);
    let (mut min_age, mut max_age) = (None, None);
    let mut since = None;
    let mut proximity = None;
    let mut postcode = None;
    for (k, v) in &params {
        let (k, v) = (k.as_str(), v.trim());
        if v.is_empty() {
            continue;
        }
        match k {
            "search" => out.push(("q", v.to_string())),
            "taxonomy_term_id" => {
                let t = Uuid::parse_str(v)
                    .ok()
                    .and_then(|id| taxonomy::by_id(tax, id));
                match t {
                    Some(t) if t.vocab == Vocab::Types => out.push(("type", t.code)),
                    Some(t) if t.vocab == Vocab::Access => out.push(("access", t.code)),
                    Some(_) => errors.push(bad(
                        "taxonomy_term_id",
                        "Searching by a circumstance term is not supported; use search with its name",
                    )),
                    None => errors.push(bad(
                        "taxonomy_term_id",
                        "taxonomy_term_id is not the id of a term in /openreferral/taxonomy_terms",
                    )),
                }
            }
            "taxonomy_id" => match Uuid::parse_str(v).ok().and_then(taxonomy::vocab_by_id) {
                Some(Vocab::Types) => {}
                Some(_) => errors.push(bad(
                    "taxonomy_id",
                    "Only the activity types taxonomy can be used as a filter; use taxonomy_term_id for one feature",
                )),
                None => errors.push(bad(
                    "taxonomy_id",
                    "taxonomy_id is not the id of a taxonomy in /openreferral/taxonomies",
                )),
            },
            "minimum_age" | "maximum_age" => match v.parse::<u8>() {
                Ok(a) if a <= 120 => {
                    if k == "minimum_age" {
                        min_age = Some(a)
                    } else {
                        max_age = Some(a)
                    }
                }
                _ => errors.push(bad(k, format!("{k} must be a whole number from 0 to 120"))),
            },
            "day" => {
                for d in v.split(',').filter(|d| !d.trim().is_empty()) {
                    match parse::day(d) {
                        Some(day) => out.push(("day", day.slug().to_string())),
                        None => errors.push(bad(
                            "day",
                            format!("'{}' is not a day: use MO, TU, WE, TH, FR, SA or SU", d.trim()),
                        )),
                    }
                }
            }
            "start_time" | "end_time" => match parse::time(v) {
                Some(t) if k == "start_time" => start = Some(t),
                Some(t) => end = Some(t),
                None => errors.push(bad(k, format!("{k} must be a time like 09:30"))),
            },
            "modified_after" => match parse_since(v) {
                Some(t) => since = Some(t),
                None => errors.push(bad(
                    "modified_after",
                    "modified_after must be a date-time like 2026-11-24T09:00:00Z",
                )),
            },
            "postcode" => postcode = Some(v.to_string()),
            "proximity" => match v.parse::<f64>() {
                Ok(m) if m.is_finite() && m > 0.0 => {
                    let miles = (m / METRES_PER_MILE).max(crate::search::request::MIN_WITHIN_MILES);
                    if miles > crate::search::request::MAX_WITHIN_MILES {
                        errors.push(bad("proximity", "proximity must be at most 160934 metres"));
                    } else {
                        proximity = Some(miles);
                    }
                }
                _ => errors.push(bad("proximity", "proximity must be a number of metres")),
            },
            _ => {}
        }
    }
    match (min_age, max_age) {
        (Some(a), Some(b)) if a != b => errors.push(bad(
            "maximum_age",
            "Give one age (minimum_age or maximum_age), or the same age in both",
        )),
        (a, b) => {
            if let Some(a) = a.or(b) {
                out.push(("age", a.to_string()));
            }
        }
    }
    if start.is_some() || end.is_some() {
        let times = times_between(start, end);
        if times.is_empty() {
            errors.push(bad("end_time", "end_time must be after start_time"));
        } else if times.len() < 3 {
            out.extend(times.iter().map(|t| ("time", t.slug().to_string())));
        }
    }
    match (&postcode, proximity) {
        (Some(p), miles) => {
            out.push(("near", p.clone()));
            if let Some(m) = miles {
                out.push(("within", format!("{m:.3}")));
            }
        }
        (None, Some(_)) => errors.push(bad(
            "proximity",
            "proximity needs a postcode to measure from",
        )),
        (None, None) => {}
    }
    if let Some(since) = since {
        if !out.is_empty() {
            errors.push(bad(
                "modified_after",
                "modified_after lists every change for syncing; it cannot be combined with search filters",
            ));
        }
        return if errors.is_empty() {
            Ok(Plan::Changed {
                since,
                page,
                per_page,
            })
        } else {
            Err(errors)
        };
    }
    let (mut req, more) = SearchRequest::from_pairs(out.iter().map(|(k, v)| (*k, v.as_str())), tax);
    for mut e in more {
        // Name the parameter the caller used.
        e.param = match e.param.as_str() {
            "q" => "search",
            "near" => "postcode",
            "within" => "proximity",
            "age" => "minimum_age",
            "time" => "start_time",
            "type" | "access" => "taxonomy_term_id",
            p => p,
        }
        .to_string();
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    req.page = page;
    req.per_page = Some(per_page);
    req.include_stale = true;
    // An Open Referral page's total_items and total_pages are exact integers in the
    // standard, with no way to say "more than".
    req.exact_counts = true;
    req.matches_only = true;
    req.without_type_counts = true;
    req.ids_only = true;
    Ok(Plan::Search(Box::new(req)))
}

fn context(app: &App, modified: Option<DateTime<Utc>>, active: bool) -> Context<'static> {
    Context {
        taxonomy: app.taxonomy,
        modified,
        active,
    }
}

fn services_json(app: &App, dated: &[Dated]) -> Vec<Value> {
    dated
        .iter()
        .map(|(l, at)| hsds::service(l, &context(app, *at, l.status == Status::Published)))
        .collect()
}

/// Runs a plan; `with` turns the page's listings into its contents.
async fn run_plan(state: &AppState, plan: Plan, with: fn(&App, &[Dated]) -> Vec<Value>) -> Answer {
    match plan {
        Plan::Changed {
            since,
            page: p,
            per_page,
        } => {
            let (total, contents) = super::blocking(state, move |app| {
                let offset = (p - 1).saturating_mul(per_page);
                let (total, dated) = app.store.changed_since(since, offset, per_page)?;
                Ok::<_, WebError>((total, with(app, &dated)))
            })
            .await?;
            Ok(Json(page(total, p, per_page, contents)))
        }
        Plan::Search(req) => {
            let (p, per_page) = (req.page, req.page_size());
            let results = search::run(state, *req).await.map_err(|e| match e {
                // Locating is the site's step: name the parameter the caller used.
                WebError::BadParams(errors) => WebError::BadParams(
                    errors
                        .into_iter()
                        .map(|mut e| {
                            if e.param == "near" {
                                e.param = "postcode".into();
                            }
                            e
                        })
                        .collect(),
                ),
                e => e,
            })?;
            let ids = results.ids;
            let total = results.total;
            let contents = super::blocking(state, move |app| contents_of(app, &ids, with)).await?;
            Ok(Json(page(total, p, per_page, contents)))
        }
    }
}

/// A page's listings read from the store and made into `with`'s JSON, the two halves
/// of a full page at once: reading, parsing and building fifty full services took
/// about as long as the search that found them (BENCHMARKS.md, "Open Referral API at
/// 1,000,000 listings, later"), and on its own it would use one core of two.
fn contents_of(
    app: &App,
    ids: &[i64],
    with: fn(&App, &[Dated]) -> Vec<Value>,
) -> Result<Vec<Value>, WebError> {
    let build = |ids: &[i64]| -> Result<Vec<Value>, WebError> {
        Ok(with(app, &app.store.dated_listings(ids)?))
    };
    if ids.len() < 16 {
        return build(ids);
    }
    let (first, second) = ids.split_at(ids.len() / 2);
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| build(second));
        let first = build(first);
        // A panic there is one here, as it would have been in one thread.
        let second = second
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (first, second)
    });
    let mut out = first?;
    out.extend(second?);
    Ok(out)
}

async fn services(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Answer {
    let plan = plan(&state, raw.as_deref()).map_err(WebError::BadParams)?;
    run_plan(&state, plan, services_json).await
}

fn sals_json(app: &App, dated: &[Dated]) -> Vec<Value> {
    dated
        .iter()
        .filter_map(|(l, at)| {
            hsds::service_at_location(l, &context(app, *at, l.status == Status::Published), None)
        })
        .collect()
}

async fn service_at_locations(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Answer {
    let mut plan = plan(&state, raw.as_deref()).map_err(WebError::BadParams)?;
    if let Plan::Search(req) = &mut plan
        && req.modes.is_empty()
    {
        // Only listings with a place to be (a venue, or online) have one.
        req.modes = vec![Mode::InPerson, Mode::Online];
    }
    run_plan(&state, plan, sals_json).await
}

/// Published ids to store ids, per data directory (see the module docs).
#[derive(Default)]
struct IdMap {
    last_seq: i64,
    ids: HashMap<Uuid, i64>,
}

static ID_MAPS: LazyLock<Mutex<HashMap<PathBuf, IdMap>>> = LazyLock::new(Default::default);

/// The store id behind a published service or service_at_location id.
fn store_id(app: &App, id: Uuid) -> Result<Option<i64>, WebError> {
    let mut maps = ID_MAPS.lock().unwrap_or_else(|p| p.into_inner());
    let map = maps.entry(app.data_dir.clone()).or_default();
    if let Some(found) = map.ids.get(&id) {
        return Ok(Some(*found));
    }
    loop {
        let batch = app.store.identities_since(map.last_seq, 50_000)?;
        let Some(last) = batch.last() else { break };
        map.last_seq = last.1;
        for (store_id, _, source, source_id) in &batch {
            let sid = if source_id.is_empty() {
                ids::for_source(source, &format!("store-{store_id}"))
            } else {
                ids::for_source(source, source_id)
            };
            map.ids.insert(sid, *store_id);
            map.ids
                .insert(ids::part(sid, "service_at_location"), *store_id);
            map.ids
                .insert(ids::part(sid, "service_at_location/online"), *store_id);
        }
    }
    Ok(map.ids.get(&id).copied())
}

/// The listing behind a published id, as published: active, or withdrawn.
async fn find(state: &AppState, raw: &str) -> Result<Option<Dated>, WebError> {
    let Ok(id) = Uuid::parse_str(raw.trim()) else {
        return Ok(None);
    };
    super::blocking(state, move |app| {
        let Some(store_id) = store_id(app, id)? else {
            return Ok::<_, WebError>(None);
        };
        let shown = app.store.merged_into(store_id)?.unwrap_or(store_id);
        let found = app.store.dated_listings(&[shown])?.into_iter().next();
        Ok(found.filter(|(l, _)| matches!(l.status, Status::Published | Status::Archived)))
    })
    .await
}

fn full(state: &AppState, (l, at): &Dated) -> Context<'static> {
    context(&state.app, *at, l.status == Status::Published)
}

async fn service(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    let Some(found) = find(&state, &id).await? else {
        return Err(not_found("service"));
    };
    let l: &Listing = &found.0;
    Ok(Json(hsds::service(l, &full(&state, &found))))
}

async fn service_at_location(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    let found = find(&state, &id).await?;
    let which = Uuid::parse_str(id.trim()).ok();
    match found.and_then(|f| hsds::service_at_location(&f.0, &full(&state, &f), which)) {
        Some(v) => Ok(Json(v)),
        None => Err(not_found("service_at_location")),
    }
}

fn taxonomy_json(state: &AppState, vocab: Vocab, with_terms: bool) -> Value {
    let mut v = json!({
        "id": vocab.id(), "name": vocab.name(), "description": vocab.description(),
        "version": "1",
    });
    if let Some(scheme) = vocab.equivalent_scheme() {
        v["exact_match_scheme"] = json!(scheme);
    }
    if with_terms {
        v["taxonomy_terms"] = taxonomy::terms(state.app.taxonomy, vocab)
            .iter()
            .map(hsds::term_json)
            .collect();
    }
    v
}

fn paged<T>(list: Vec<T>, raw: Option<&str>, each: impl Fn(&T) -> Value) -> Answer {
    let mut errors = Vec::new();
    let (p, per_page) = paging(&pairs(raw), &mut errors);
    if !errors.is_empty() {
        return Err(WebError::BadParams(errors).into());
    }
    let total = list.len();
    let contents = list
        .iter()
        .skip((p - 1).saturating_mul(per_page))
        .take(per_page)
        .map(each)
        .collect();
    Ok(Json(page(total, p, per_page, contents)))
}

async fn taxonomies(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Answer {
    paged(Vocab::ALL.to_vec(), raw.as_deref(), |v| {
        taxonomy_json(&state, *v, false)
    })
}

async fn taxonomy_one(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    match Uuid::parse_str(id.trim())
        .ok()
        .and_then(taxonomy::vocab_by_id)
    {
        Some(v) => Ok(Json(taxonomy_json(&state, v, true))),
        None => Err(not_found("taxonomy")),
    }
}

async fn taxonomy_terms(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Answer {
    let mut terms = taxonomy::all_terms(state.app.taxonomy);
    if let Some((_, v)) = pairs(raw.as_deref())
        .into_iter()
        .find(|(k, v)| k == "taxonomy_id" && !v.trim().is_empty())
    {
        match Uuid::parse_str(v.trim())
            .ok()
            .and_then(taxonomy::vocab_by_id)
        {
            Some(vocab) => terms.retain(|t| t.vocab == vocab),
            None => {
                let e = bad(
                    "taxonomy_id",
                    "taxonomy_id is not the id of a taxonomy in /openreferral/taxonomies",
                );
                return Err(WebError::BadParams(vec![e]).into());
            }
        }
    }
    paged(terms, raw.as_deref(), hsds::term_full_json)
}

async fn taxonomy_term(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    match Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| taxonomy::by_id(state.app.taxonomy, id))
    {
        Some(t) => Ok(Json(hsds::term_full_json(&t))),
        None => Err(not_found("taxonomy term")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ranges_pick_parts_of_the_day() {
        let t = |h: u32| NaiveTime::from_hms_opt(h, 0, 0);
        assert_eq!(times_between(t(9), t(11)), vec![TimeOfDay::Morning]);
        assert_eq!(
            times_between(t(11), t(13)),
            vec![TimeOfDay::Morning, TimeOfDay::Afternoon]
        );
        assert_eq!(times_between(t(18), None), vec![TimeOfDay::Evening]);
        assert_eq!(times_between(t(12), t(12)), vec![]);
    }

    #[test]
    fn modified_after_forms() {
        let want = NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc();
        assert_eq!(parse_since("2026-11-24T09:00:00Z"), Some(want));
        assert_eq!(parse_since("2026-11-24T10:00:00+01:00"), Some(want));
        assert_eq!(parse_since("2026-11-24T09:00:00"), Some(want));
        assert!(parse_since("2026-11-24").is_some());
        assert_eq!(parse_since("yesterday"), None);
    }
}
