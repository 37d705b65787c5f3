//! The search step shared by the page and the API: parse, locate, search, off the
//! async runtime; and, for the page, the filters understood from the words.

use crate::App;
use crate::geo::locate::{Geocoder, LocateError, Located};
use crate::search::understand::{self, Names, Understanding};
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

/// The directory as the query reader sees it: names from the index, places from the
/// geocoder (postcodes and the gazetteer learned from the listings).
struct Directory<'a>(&'a App);

impl Names for Directory<'_> {
    fn in_a_name(&self, first: &str, second: &str) -> bool {
        self.0.engine.in_a_name(first, second)
    }

    fn is_place(&self, typed: &str) -> bool {
        let Ok(near) = crate::search::Near::parse(typed) else {
            return false;
        };
        matches!(
            Geocoder::new(&self.0.store).locate(&near),
            Ok(_) | Err(LocateError::Ambiguous { .. })
        )
    }
}

/// The filters named in the words `q` (see `search::understand`), read off the async
/// runtime because places are looked up in the store. `place_given`: the place box is
/// filled in, so the words are not read for a place.
pub async fn understand(
    state: &AppState,
    q: String,
    place_given: bool,
) -> Result<Understanding, WebError> {
    let app = state.app.clone();
    Ok(tokio::task::spawn_blocking(move || {
        understand::understand(&q, app.taxonomy, &Directory(&app), place_given)
    })
    .await?)
}
