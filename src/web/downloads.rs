//! Downloads people ask for: a search as a spreadsheet (CSV) for link workers and
//! commissioners, a shortlist as one calendar file, and the OpenAPI description of
//! the JSON API for developers.
//!
//! The CSV is the results page in rows: the same parameters give the same listings in
//! the same order, all of them (up to [`MAX_ROWS`]) rather than one page. Cells that a
//! spreadsheet would read as a formula (starting `=`, `+`, `-`, `@`, tab or carriage
//! return) are prefixed with `'`, so a listing's text can never run in someone's
//! spreadsheet (CSV injection).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::shortlist::Shortlist;
use super::{AppState, WebError, calendar, handover, search};
use crate::search::request::{MAX_PAGE, PER_PAGE};
use crate::search::{SearchRequest, SearchResults};

/// Most rows in a download: as many as all the pages of a search together.
pub const MAX_ROWS: usize = MAX_PAGE * PER_PAGE;

/// The columns of the CSV, in order.
pub const CSV_COLUMNS: [&str; 13] = [
    "Title",
    "Organisation",
    "Summary",
    "Types",
    "Next session",
    "Venue",
    "Postcode",
    "Where",
    "Distance (miles)",
    "Cost",
    "How it happens",
    "Accessibility",
    "Link",
];

/// A cell as a spreadsheet will not run it.
pub fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_of(results: &SearchResults, state: &AppState, base: &str) -> Result<Vec<u8>, WebError> {
    let taxonomy = state.app.taxonomy;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| WebError::Json(serde_json::Error::io(std::io::Error::other(e)));
    w.write_record(CSV_COLUMNS).map_err(io)?;
    for h in &results.hits {
        let types: Vec<&str> = h.types.iter().map(|t| taxonomy.type_label(t)).collect();
        let access: Vec<&str> = h.access.iter().map(|a| taxonomy.access_label(a)).collect();
        let modes: Vec<&str> = h.mode.iter().map(|m| m.label()).collect();
        let cost = if h.free {
            "Free".to_string()
        } else {
            h.price.clone().unwrap_or_default()
        };
        let row = [
            h.title.clone(),
            h.organisation.clone(),
            h.summary.clone(),
            types.join("; "),
            h.next_session
                .as_ref()
                .map(|n| n.text.clone())
                .unwrap_or_default(),
            h.venue.clone().unwrap_or_default(),
            h.postcode.clone().unwrap_or_default(),
            h.reach_label.clone(),
            h.distance_miles
                .map(|d| format!("{d:.1}"))
                .unwrap_or_default(),
            cost,
            modes.join("; "),
            access.join("; "),
            format!("{base}{}", h.url),
        ];
        w.write_record(row.iter().map(|c| safe_cell(c)))
            .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| WebError::Json(serde_json::Error::io(std::io::Error::other(e.to_string()))))
}

/// A file to save: its type, its name, its bytes.
pub(super) fn attachment(content_type: &str, filename: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /search.csv?…`: every result of the search, one row a listing.
pub async fn search_csv(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (req, errors) = search::parse(&state, raw.as_deref());
    if !errors.is_empty() {
        return Err(WebError::BadParams(errors));
    }
    let req = SearchRequest { page: 1, ..req };
    let results = search::run_range(&state, req, MAX_ROWS).await?;
    let base = state.site.base_url(&headers);
    let body = csv_of(&results, &state, &base)?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        "signpost-search.csv",
        body,
    ))
}

/// `GET /shortlist/calendar.ics?s=…`: every session of every listing on a shortlist.
pub async fn shortlist_ics(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let s = Shortlist::from_query(raw.as_deref());
    let listings = handover::load(&state, &s).await?;
    let base = state.site.base_url(&headers);
    let with_pages: Vec<_> = listings
        .into_iter()
        .map(|l| {
            let url = format!("{base}/listings/{}", l.id);
            (l, url)
        })
        .collect();
    let body = calendar::ics_many(&with_pages, (state.clock)()).ok_or(WebError::NotFound)?;
    Ok(attachment(
        "text/calendar; charset=utf-8",
        "signpost-shortlist.ics",
        body,
    ))
}

/// `GET /api/openapi.json`: the JSON API described in OpenAPI 3.1.
pub async fn openapi(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = state.site.base_url(&headers);
    let mut r = axum::Json(super::openapi::document(&base, state.app.taxonomy)).into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    r
}
