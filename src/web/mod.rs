//! The website and JSON API (axum + maud).
//!
//! Pages are server-rendered HTML from GET forms, so every search state is a URL
//! that can be bookmarked, shared or printed, and nothing needs JavaScript. The JSON
//! API takes the same parameters as the pages. Searches run in `spawn_blocking`
//! because they are CPU work on the index.

mod api;
mod assets;
mod calendar;
mod error;
mod handover;
mod jsonld;
mod pages;
mod search;
mod security;
pub mod shortlist;
mod text_pages;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
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
    /// The site's public address (`https://signpost.example.org`), for QR codes,
    /// calendar files and text messages. Without it, the request's Host is used.
    pub public_url: Option<String>,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        AppState {
            app,
            clock: Arc::new(crate::clock::uk_now),
            public_url: None,
        }
    }

    /// Pins "now", for tests and reproducible output.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    pub fn with_public_url(mut self, url: Option<String>) -> AppState {
        self.public_url = url.filter(|u| !u.trim().is_empty());
        self
    }
}

/// Every route, with security headers and limits.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/categories", get(pages::categories))
        .route("/categories/{slug}", get(pages::category))
        .route("/listings/{id}", get(pages::listing))
        .route("/listings/{id}/calendar.ics", get(pages::listing_ics))
        .route(
            "/listings/{id}/report",
            get(pages::report_form)
                .post(pages::report_submit)
                .layer(DefaultBodyLimit::max(16 * 1024)),
        )
        .route("/shortlist", get(handover::shortlist_page))
        .route("/shortlist/print", get(handover::print))
        .route("/shortlist/text", get(handover::text))
        .route("/h/{code}", get(handover::shared))
        .route("/h/{code}/qr.svg", get(handover::qr))
        .route("/about", get(pages::about))
        .route("/privacy", get(pages::privacy))
        .route("/accessibility", get(pages::accessibility))
        .route("/sitemap.xml", get(pages::sitemap))
        .route("/sitemaps/{part}", get(pages::sitemap_part))
        .route("/robots.txt", get(pages::robots))
        .route("/api/search", get(api::search))
        .route("/api/listings/{id}", get(api::listing))
        .route("/healthz", get(api::health))
        .route("/static/site.css", get(assets::css))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(security::headers))
}
