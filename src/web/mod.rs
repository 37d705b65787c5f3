//! The website and JSON API (axum + maud).
//!
//! Pages are server-rendered HTML from GET forms, so every search state is a URL
//! that can be bookmarked, shared or printed, and nothing needs JavaScript. The JSON
//! API takes the same parameters as the pages. Searches run in `spawn_blocking`
//! because they are CPU work on the index.

mod api;
mod assets;
mod calendar;
pub(crate) mod downloads;
mod error;
mod follow;
mod form;
pub mod groups;
mod handover;
mod jsonld;
mod limits;
pub mod missed;
mod moderate;
mod openactive;
mod openapi;
mod openreferral;
mod pages;
mod search;
mod security;
pub mod settings;
pub mod shortlist;
mod text_pages;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::NaiveDateTime;
use tower_http::compression::CompressionLayer;

use crate::App;

pub use error::WebError;
pub use moderate::hash_password;
pub use settings::{SettingsError, Site};

/// The clock pages use for "next session" dates: UK local time.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub clock: Clock,
    /// How this site is run (see `settings.rs`).
    pub site: Arc<Site>,
}

impl AppState {
    /// The state with default settings (POST limits off), for tests and embedding.
    pub fn new(app: Arc<App>) -> AppState {
        AppState {
            clock: Arc::new(crate::clock::uk_now),
            site: Arc::new(Site::new(&app.data_dir)),
            app,
        }
    }

    pub fn with_site(mut self, site: Site) -> AppState {
        self.site = Arc::new(site);
        self
    }

    /// Pins "now", for tests and reproducible output.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }
}

/// Every route, with security headers, limits, a timeout and compression.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/search.csv", get(downloads::search_csv))
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
        .route("/shortlist/calendar.ics", get(downloads::shortlist_ics))
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
        .route("/api/openapi.json", get(downloads::openapi))
        .route("/healthz", get(api::health))
        .route("/openactive", get(openactive::dataset_site))
        .route("/openactive/rpde/session-series", get(openactive::feed))
        .route("/openactive/context.jsonld", get(openactive::context))
        .route("/static/site.css", get(assets::css))
        .route("/add", get(groups::add_form).post(groups::add_check))
        .route("/add/send", post(groups::add_send))
        .route("/manage/{token}", get(groups::manage))
        .route(
            "/manage/{token}/edit",
            get(groups::edit_form).post(groups::edit_check),
        )
        .route("/manage/{token}/send", post(groups::edit_send))
        .route("/manage/{token}/still-running", post(groups::still_running))
        .merge(moderate::routes())
        .route("/follow/changes", get(follow::changes))
        .merge(openreferral::routes())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state.clone());
    let site = &state.site;
    let routes = if site.follower {
        routes.layer(axum::middleware::from_fn(follow::refuse_writes))
    } else {
        routes
    };
    let routes = limits::apply(routes, site.posts_per_minute, site.post_burst);
    let routes = security::timeout(routes, site.request_timeout);
    security::headers(routes.layer(CompressionLayer::new()))
}

/// Runs store or index work off the async threads; its error becomes a `WebError`.
async fn blocking<T, E>(
    state: &AppState,
    work: impl FnOnce(&App) -> Result<T, E> + Send + 'static,
) -> Result<T, WebError>
where
    T: Send + 'static,
    E: Into<WebError> + Send + 'static,
{
    let app = state.app.clone();
    tokio::task::spawn_blocking(move || work(&app))
        .await?
        .map_err(Into::into)
}

/// Largest form body accepted (the listing form with every field full is well under).
pub const MAX_FORM_BYTES: usize = 128 * 1024;
