//! JSON API: the same parameters as the pages, for other tools and the CLI.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, WebError, search};
use crate::listing::{Listing, Status};

pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (req, errors) = search::parse(&state, raw.as_deref());
    if !errors.is_empty() {
        return Err(WebError::BadParams(errors).into());
    }
    let results = search::run(&state, req).await?;
    Ok(Json(serde_json::to_value(results).map_err(WebError::from)?))
}

/// The whole listing, plus `postcode`, `lat`, `lon` and `url` at the top level for
/// clients that only want to place it on a map or link to it. Those four are derived,
/// and the importer ignores them, so this JSON can be imported as it is.
pub async fn listing(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let listing = load_listing(&state, &id).await?;
    let mut v = serde_json::to_value(&listing).map_err(WebError::from)?;
    if let Value::Object(map) = &mut v {
        let venue = listing.venue.as_ref();
        map.insert(
            "postcode".into(),
            json!(venue.and_then(|v| v.postcode.clone())),
        );
        map.insert("lat".into(), json!(venue.and_then(|v| v.lat)));
        map.insert("lon".into(), json!(venue.and_then(|v| v.lon)));
        map.insert("url".into(), json!(format!("/listings/{}", listing.id)));
    }
    Ok(Json(v))
}

pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "listings_indexed": state.app.engine.index.num_docs(),
    }))
}

/// Loads a published listing by the id in a URL (which may carry anything at all).
/// The id of a duplicate merged into another listing loads that listing.
pub async fn load_listing(state: &AppState, raw_id: &str) -> Result<Listing, WebError> {
    let Ok(id) = raw_id.parse::<i64>() else {
        return Err(WebError::NotFound);
    };
    let app = state.app.clone();
    let found = tokio::task::spawn_blocking(move || app.store.get_current(id)).await??;
    match found {
        Some(l) if l.status == Status::Published => Ok(l),
        _ => Err(WebError::NotFound),
    }
}
