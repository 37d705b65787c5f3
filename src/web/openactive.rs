//! Signpost's OpenActive open data on the web: the dataset site (`/openactive`), its
//! RPDE feed of session series, and the context that defines the `signpost:`
//! properties in it. What goes in the feed is `publish::openactive`'s business; this
//! is HTTP: parameters, caching (RPDE asks for a long cache on full pages and a short
//! one on the last), and CORS so a browser-based consumer can read it.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};

use super::error::ApiError;
use super::jsonld::data_block;
use super::views::{Frame, page};
use super::{AppState, WebError, blocking};
use crate::publish::openactive::{self as oa, FEED_PATH, SITE_LICENCE};
use crate::search::ParamError;

fn cors(mut r: Response, cache: &'static str) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

/// `GET /openactive/rpde/session-series[?afterTimestamp=&afterId=]`.
pub async fn feed(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (mut ts, mut id) = (None, None);
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "afterTimestamp" => ts = Some(v.into_owned()),
            "afterId" => id = Some(v.into_owned()),
            _ => {}
        }
    }
    let cursor = oa::parse_cursor(ts.as_deref(), id.as_deref()).map_err(|e| {
        let param = match e {
            oa::CursorError::Id => "afterId",
            _ => "afterTimestamp",
        };
        WebError::BadParams(vec![ParamError::new(param, e.to_string())])
    })?;
    let base = state.site.base_url(&headers);
    let requested = if ts.is_some() {
        format!(
            "{base}{FEED_PATH}?afterTimestamp={}&afterId={}",
            cursor.0, cursor.1
        )
    } else {
        format!("{base}{FEED_PATH}")
    };
    let republish = state.site.republish.clone();
    let page = blocking(&state, move |app| {
        oa::feed_page(
            &app.store,
            app.taxonomy,
            &republish,
            &base,
            cursor,
            &requested,
        )
    })
    .await?;
    let cache = if page.last {
        "public, max-age=8"
    } else {
        "public, max-age=3600"
    };
    Ok(cors(Json(page.body).into_response(), cache))
}

/// `GET /openactive/context.jsonld`: the `signpost:` extension properties.
pub async fn context(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = state.site.base_url(&headers);
    let mut r = Json(oa::context(&base)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    cors(r, "public, max-age=3600")
}

/// `GET /openactive`: the dataset site, for people and for the tools that find feeds.
pub async fn dataset_site(State(state): State<AppState>, headers: HeaderMap) -> Markup {
    let base = state.site.base_url(&headers);
    let republish = &state.site.republish;
    let dataset = oa::dataset(&base, republish, None);
    let feed = format!("{base}{FEED_PATH}");
    page(
        Frame {
            title: "Open data",
            head: Some(html! {
                script type="application/ld+json" { (PreEscaped(data_block(&dataset))) }
            }),
            ..Default::default()
        },
        html! {
            h1 { "Open data" }
            p { "Signpost shares the activities groups add here, and those from sources that allow it, as open data. Other directories, activity finders and social prescribing systems can then list them too, so a group that lists once is found in more places." }
            h2 { "What is published" }
            p { "Activities that fit the OpenActive standard: those of a type on the "
                a href="https://openactive.io/activity-list" { "OpenActive activity list" }
                " (walking, dance, swimming, gentle exercise, singing, gardening and more) that happen at a place or online. Each is a session series with its days and times, dates off, one-off dates, place, cost, ages and accessibility. Nothing about the people who use Signpost is published." }
            p { "When an activity is changed or taken down, the feed says so at its end, so the copies others keep stay right." }
            h2 { "The feed" }
            p { "An OpenActive (RPDE) feed of session series: " a href=(feed) { (feed) } }
            h2 { "Licence and attribution" }
            p { "The feed is published under the "
                a href=(SITE_LICENCE) { "Creative Commons Attribution 4.0 licence" }
                ". Each activity also names its source and that source’s licence, which applies to it:" }
            ul {
                @for s in &republish.sources {
                    li { (s.attribution.name) ": " a href=(s.attribution.licence) { (s.attribution.licence) } }
                }
            }
            p { "Activity types use the OpenActive Activity List and accessibility the OpenActive Accessibility Support list, both © OpenActive, CC BY 4.0." }
        },
    )
}
