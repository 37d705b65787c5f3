//! The search step shared by the page and the API: parse, locate, search, off the
//! async runtime.

use crate::geo::locate::{Geocoder, LocateError};
use crate::search::{ParamError, SearchRequest, SearchResults};

use super::{AppState, WebError};

/// Parses a raw query string. Errors come back with the request so a page can show
/// both the messages and what was typed.
pub fn parse(state: &AppState, raw: Option<&str>) -> (SearchRequest, Vec<ParamError>) {
    SearchRequest::from_query_string(raw.unwrap_or(""), state.app.taxonomy)
}

/// Locates and runs a valid request.
pub async fn run(state: &AppState, req: SearchRequest) -> Result<SearchResults, WebError> {
    let app = state.app.clone();
    let now = (state.clock)();
    tokio::task::spawn_blocking(move || {
        let location = match &req.near {
            Some(near) => match Geocoder::new(&app.store).locate(near) {
                Ok(l) => Some(l),
                Err(e @ (LocateError::Unknown(_) | LocateError::UnknownPlace(_))) => {
                    return Err(WebError::BadParams(vec![ParamError::new(
                        "near",
                        e.to_string(),
                    )]));
                }
                Err(e @ LocateError::Ambiguous { .. }) => {
                    let mut error = ParamError::new("near", e.to_string());
                    if let LocateError::Ambiguous { choices, .. } = e {
                        error.choices = choices;
                    }
                    return Err(WebError::BadParams(vec![error]));
                }
                Err(e) => return Err(WebError::internal(e)),
            },
            None => None,
        };
        app.engine
            .search(&req, location.as_ref(), now)
            .map_err(WebError::internal)
    })
    .await
    .map_err(WebError::internal)?
}
