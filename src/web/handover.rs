//! Shortlist handlers: review the list, then hand it over as a printed handout, a
//! short link, a QR code or plain text. All of them read the list from the URL and
//! store nothing.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::form::Pairs;
use super::shortlist::{self, Shortlist};
use super::{AppState, WebError, blocking, views};
use crate::listing::{Listing, Status};

/// The published listings on a shortlist, in its order; withdrawn ones are skipped and
/// merged duplicates become the listing they were merged into.
pub(super) async fn load(state: &AppState, s: &Shortlist) -> Result<Vec<Listing>, WebError> {
    let ids = s.ids().to_vec();
    blocking(state, move |app| {
        let mut out = Vec::new();
        for id in ids {
            if let Some(l) = app.store.get_current(id)?
                && l.status == Status::Published
                && !out.iter().any(|o: &Listing| o.id == l.id)
            {
                out.push(l);
            }
        }
        Ok::<_, WebError>(out)
    })
    .await
}

/// Like `load`, for pages that need at least one listing to show (else 404).
async fn load_some(state: &AppState, s: &Shortlist) -> Result<Vec<Listing>, WebError> {
    Some(load(state, s).await?)
        .filter(|l| !l.is_empty())
        .ok_or(WebError::NotFound)
}

fn short_url(base: &str, s: &Shortlist) -> String {
    format!("{base}/h/{}", s.code())
}

pub async fn shortlist_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Markup, WebError> {
    let s = Shortlist::from_query(raw.as_deref());
    let listings = load(&state, &s).await?;
    let s = Shortlist::new(listings.iter().map(|l| l.id));
    let url = short_url(&state.site.base_url(&headers), &s);
    Ok(views::shortlist_page(
        &listings,
        &s,
        &url,
        state.app.taxonomy,
        (state.clock)(),
    ))
}

pub async fn print(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Markup, WebError> {
    let s = Shortlist::from_query(raw.as_deref());
    let large = Pairs::query(raw.as_deref())
        .all("size")
        .any(|v| v == "large");
    let listings = load_some(&state, &s).await?;
    let s = Shortlist::new(listings.iter().map(|l| l.id));
    let url = short_url(&state.site.base_url(&headers), &s);
    let qr = shortlist::qr_svg(&url);
    Ok(views::handout_page(
        &listings,
        &url,
        qr.as_deref(),
        large,
        state.app.taxonomy,
        (state.clock)(),
    ))
}

pub async fn text(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let s = Shortlist::from_query(raw.as_deref());
    let listings = load_some(&state, &s).await?;
    let s = Shortlist::new(listings.iter().map(|l| l.id));
    let base = state.site.base_url(&headers);
    let body = views::shortlist_text(&listings, &short_url(&base, &s), &base, (state.clock)());
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response())
}

/// What the short link and QR code open: the list, for the person themselves.
pub async fn shared(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Markup, WebError> {
    let s = Shortlist::from_code(&code).ok_or(WebError::NotFound)?;
    let listings = load_some(&state, &s).await?;
    Ok(views::shared_page(
        &listings,
        state.app.taxonomy,
        (state.clock)(),
    ))
}

pub async fn qr(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let s = Shortlist::from_code(&code).ok_or(WebError::NotFound)?;
    let svg = shortlist::qr_svg(&short_url(&state.site.base_url(&headers), &s))
        .ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response())
}
