//! The search step shared by the page and the API: parse, locate, search, off the
//! async runtime.

use crate::geo::locate::Geocoder;
use crate::search::{ParamError, SearchRequest, SearchResults};

use super::{AppState, WebError};

/// Parses a raw query string. Errors come back with the request so a page can show
/// both the messages and what was typed.
pub fn parse(state: &AppState, raw: Option<&str>) -> (SearchRequest, Vec<ParamError>) {
    SearchRequest::from_query_string(raw.unwrap_or(""), state.app.taxonomy)
}

/// Locates and runs a valid request. A postcode we do not know is a `BadParams`.
pub async fn run(state: &AppState, req: SearchRequest) -> Result<SearchResults, WebError> {
    let app = state.app.clone();
    let now = (state.clock)();
    tokio::task::spawn_blocking(move || {
        let location = match &req.near {
            Some(near) => Some(Geocoder::new(&app.store).locate(near)?),
            None => None,
        };
        Ok(app.engine.search(&req, location.as_ref(), now)?)
    })
    .await?
}
