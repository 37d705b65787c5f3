//! The website and JSON API (axum + maud).
//!
//! Pages are server-rendered HTML from GET forms, so every search state is a URL
//! that can be bookmarked, shared or printed, and nothing needs JavaScript. The JSON
//! API takes the same parameters as the pages. Searches run in `spawn_blocking`
//! because they are CPU work on the index.

mod api;
mod assets;
mod error;
mod pages;
mod search;
mod security;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use chrono::NaiveDateTime;

use crate::App;

pub use error::WebError;

/// The clock pages use for "next session" dates: UK local time.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        AppState {
            app,
            clock: Arc::new(crate::clock::uk_now),
        }
    }

    /// Pins "now", for tests and reproducible output.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }
}

/// Every route, with security headers and limits.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/listings/{id}", get(pages::listing))
        .route("/api/search", get(api::search))
        .route("/api/listings/{id}", get(api::listing))
        .route("/healthz", get(api::health))
        .route("/static/site.css", get(assets::css))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(security::headers))
}
