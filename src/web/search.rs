//! The search step shared by the page and the API: parse, locate, search, off the
//! async runtime.

use crate::App;
use crate::geo::locate::{Geocoder, Located};
use crate::search::{ParamError, SearchError, SearchRequest, SearchResults};

use super::{AppState, WebError};

/// Parses a raw query string. Errors come back with the request so a page can show
/// both the messages and what was typed.
pub fn parse(state: &AppState, raw: Option<&str>) -> (SearchRequest, Vec<ParamError>) {
    SearchRequest::from_query_string(raw.unwrap_or(""), state.app.taxonomy)
}

/// Locates and runs a valid request. A postcode we do not know is a `BadParams`.
pub async fn run(state: &AppState, req: SearchRequest) -> Result<SearchResults, WebError> {
    located(state, req, |app, req, at, now| {
        app.engine.search(req, at, now)
    })
    .await
}

/// Like [`run`], for a download: the first `count` results, not one page.
pub async fn run_range(
    state: &AppState,
    req: SearchRequest,
    count: usize,
) -> Result<SearchResults, WebError> {
    located(state, req, move |app, req, at, now| {
        app.engine.search_range(req, at, now, 0, count)
    })
    .await
}

async fn located(
    state: &AppState,
    req: SearchRequest,
    search: impl FnOnce(
        &App,
        &SearchRequest,
        Option<&Located>,
        chrono::NaiveDateTime,
    ) -> Result<SearchResults, SearchError>
    + Send
    + 'static,
) -> Result<SearchResults, WebError> {
    let app = state.app.clone();
    let now = (state.clock)();
    tokio::task::spawn_blocking(move || {
        let location = match &req.near {
            Some(near) => Some(Geocoder::new(&app.store).locate(near)?),
            None => None,
        };
        Ok(search(&app, &req, location.as_ref(), now)?)
    })
    .await?
}
