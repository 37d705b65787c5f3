//! HTML page handlers.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError, api, search, views};
use crate::search::SearchRequest;

pub async fn home(State(state): State<AppState>) -> Response {
    let req = SearchRequest {
        within: crate::search::request::DEFAULT_WITHIN_MILES,
        page: 1,
        ..Default::default()
    };
    views::search_page(&req, &[], None, state.app.taxonomy).into_response()
}

/// The search page. Invalid input shows the page again with the problems listed and
/// everything typed kept, with status 400.
pub async fn search(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let (req, errors) = search::parse(&state, raw.as_deref());
    let taxonomy = state.app.taxonomy;
    if !errors.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            views::search_page(&req, &errors, None, taxonomy),
        )
            .into_response();
    }
    match search::run(&state, req.clone()).await {
        Ok(results) => views::search_page(&req, &[], Some(&results), taxonomy).into_response(),
        Err(WebError::BadParams(errors)) => (
            StatusCode::BAD_REQUEST,
            views::search_page(&req, &errors, None, taxonomy),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn listing(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match api::load_listing(&state, &id).await {
        Ok(l) => views::listing_page(&l, state.app.taxonomy, (state.clock)()).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn not_found() -> Response {
    WebError::NotFound.into_response()
}
