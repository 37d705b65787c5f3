//! The one stylesheet, compiled in. Small, no web fonts, readable at 320px wide and at
//! 400% zoom, focus states that are easy to see.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("site.css");

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}
