//! Shortlist handlers: review the list, then hand it over as a printed handout, a
//! short link, a QR code or plain text. All of them read the list from the URL and
//! store nothing.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::pages::base_url;
use super::shortlist::{self, Shortlist};
use super::{AppState, WebError, views};
use crate::listing::{Listing, Status};

/// The published listings on a shortlist, in its order; withdrawn ones are skipped and
/// merged duplicates become the listing they were merged into.
async fn load(state: &AppState, s: &Shortlist) -> Result<Vec<Listing>, WebError> {
    let app = state.app.clone();
    let ids = s.ids().to_vec();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for id in ids {
            if let Some(l) = app.store.get_current(id).map_err(WebError::internal)?
                && l.status == Status::Published
                && !out.iter().any(|o: &Listing| o.id == l.id)
            {
                out.push(l);
            }
        }
        Ok(out)
    })
    .await
    .map_err(WebError::internal)?
}

fn short_url(base: &str, s: &Shortlist) -> String {
    format!("{base}/h/{}", s.code())
}

pub async fn shortlist_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let s = Shortlist::from_query(raw.as_deref());
    let listings = match load(&state, &s).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let s = Shortlist::new(listings.iter().map(|l| l.id));
    let url = short_url(&base_url(&state, &headers), &s);
    views::shortlist_page(&listings, &s, &url, state.app.taxonomy, (state.clock)()).into_response()
}

pub async fn print(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let s = Shortlist::from_query(raw.as_deref());
    let large = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .any(|(k, v)| k == "size" && v == "large");
    let listings = match load(&state, &s).await {
        Ok(l) if !l.is_empty() => l,
        Ok(_) => return WebError::NotFound.into_response(),
        Err(e) => return e.into_response(),
    };
    let s = Shortlist::new(listings.iter().map(|l| l.id));
    let url = short_url(&base_url(&state, &headers), &s);
    let qr = shortlist::qr_svg(&url);
    views::handout_page(
        &listings,
        &url,
        qr.as_deref(),
        large,
        state.app.taxonomy,
        (state.clock)(),
    )
    .into_response()
}

pub async fn text(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let s = Shortlist::from_query(raw.as_deref());
    let listings = match load(&state, &s).await {
        Ok(l) if !l.is_empty() => l,
        Ok(_) => return WebError::NotFound.into_response(),
        Err(e) => return e.into_response(),
    };
    let s = Shortlist::new(listings.iter().map(|l| l.id));
    let base = base_url(&state, &headers);
    let body = views::shortlist_text(&listings, &short_url(&base, &s), &base, (state.clock)());
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// What the short link and QR code open: the list, for the person themselves.
pub async fn shared(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let Some(s) = Shortlist::from_code(&code) else {
        return WebError::NotFound.into_response();
    };
    match load(&state, &s).await {
        Ok(l) if !l.is_empty() => {
            views::shared_page(&l, state.app.taxonomy, (state.clock)()).into_response()
        }
        Ok(_) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn qr(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(s) = Shortlist::from_code(&code) else {
        return WebError::NotFound.into_response();
    };
    match shortlist::qr_svg(&short_url(&base_url(&state, &headers), &s)) {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            svg,
        )
            .into_response(),
        None => WebError::NotFound.into_response(),
    }
}
