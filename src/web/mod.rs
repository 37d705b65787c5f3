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
pub mod groups;
mod handover;
mod jsonld;
mod limits;
mod moderate;
mod pages;
mod search;
mod security;
pub mod shortlist;
mod text_pages;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::NaiveDateTime;

use crate::App;

pub use error::WebError;
pub use moderate::hash_password;

/// The clock pages use for "next session" dates: UK local time.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub clock: Clock,
    /// The site's public address (`https://signpost.example.org`), for QR codes,
    /// calendar files and text messages. Without it, the request's Host is used.
    pub public_url: Option<String>,
    /// Groups, moderation and freshness settings (see `groups.rs`).
    pub groups: Arc<groups::Groups>,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        AppState {
            clock: Arc::new(crate::clock::uk_now),
            public_url: None,
            groups: Arc::new(groups::Groups::new(&app.data_dir)),
            app,
        }
    }

    pub fn with_groups(mut self, groups: groups::Groups) -> AppState {
        self.groups = Arc::new(groups);
        self
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
    let routes = Router::new()
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
        .route("/add", get(groups::add_form).post(groups::add_check))
        .route("/add/send", post(groups::add_send))
        .route("/manage/{token}", get(groups::manage))
        .route(
            "/manage/{token}/edit",
            get(groups::edit_form).post(groups::edit_check),
        )
        .route("/manage/{token}/send", post(groups::edit_send))
        .route("/manage/{token}/still-running", post(groups::still_running))
        .route(
            "/moderate/login",
            get(moderate::login_form).post(moderate::login),
        )
        .route("/moderate/logout", post(moderate::logout))
        .route("/moderate", get(moderate::queue))
        .route("/moderate/audit", get(moderate::audit))
        .route("/moderate/find", get(moderate::find))
        .route("/moderate/categories", get(moderate::categories))
        .route("/moderate/listings/{id}/types", post(moderate::set_types))
        .route("/moderate/submissions/{id}", get(moderate::submission))
        .route(
            "/moderate/submissions/{id}/approve",
            post(moderate::approve),
        )
        .route("/moderate/submissions/{id}/reject", post(moderate::reject))
        .route(
            "/moderate/submissions/{id}/edit",
            get(moderate::edit_form).post(moderate::edit_save),
        )
        .route("/moderate/listings/{id}/archive", post(moderate::archive))
        .route(
            "/moderate/listings/{id}/checked",
            post(moderate::mark_checked),
        )
        .route("/moderate/reports/{id}/close", post(moderate::close_report))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state.clone());
    limits::apply(
        routes,
        state.groups.posts_per_minute,
        state.groups.post_burst,
    )
    .layer(axum::middleware::from_fn(security::headers))
}

/// Largest form body accepted (the listing form with every field full is well under).
pub const MAX_FORM_BYTES: usize = 128 * 1024;
