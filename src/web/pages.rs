//! HTML page handlers: search, listing, categories, text pages, report a problem.
//! The shortlist and hand-over handlers are in `handover.rs`.

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::shortlist::Shortlist;
use super::views::{self, ListingContext};
use super::{AppState, WebError, api, calendar, jsonld, search, text_pages};
use crate::search::{SearchRequest, TypeCount};

/// Counts of published listings per type, for the category tiles.
async fn all_type_counts(state: &AppState) -> Result<Vec<TypeCount>, WebError> {
    let app = state.app.clone();
    let now = (state.clock)();
    tokio::task::spawn_blocking(move || app.engine.type_counts_everywhere(now))
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)
}

pub async fn home(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let s = Shortlist::from_query(raw.as_deref());
    match all_type_counts(&state).await {
        Ok(counts) => views::home_page(state.app.taxonomy, &counts, &s).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn categories(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let s = Shortlist::from_query(raw.as_deref());
    match all_type_counts(&state).await {
        Ok(counts) => views::categories_page(state.app.taxonomy, &counts, &s).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `/categories/{slug}` is a friendly address for the search filtered to one type.
pub async fn category(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    if state.app.taxonomy.activity_type(&slug).is_none() {
        return WebError::NotFound.into_response();
    }
    Redirect::to(&format!("/search?type={slug}")).into_response()
}

/// The search page. Invalid input shows the page again with the problems listed and
/// everything typed kept, with status 400.
pub async fn search(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let (req, errors) = search::parse(&state, raw.as_deref());
    let s = Shortlist::from_query(raw.as_deref());
    let taxonomy = state.app.taxonomy;
    if !errors.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            views::search_page(&req, &errors, None, taxonomy, &s),
        )
            .into_response();
    }
    match search::run(&state, req.clone()).await {
        Ok(results) => views::search_page(&req, &[], Some(&results), taxonomy, &s).into_response(),
        Err(WebError::BadParams(errors)) => (
            StatusCode::BAD_REQUEST,
            views::search_page(&req, &errors, None, taxonomy, &s),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The absolute address of this site, for links that leave it (QR codes, calendar
/// files, text messages): the configured public URL, else the request's Host.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

pub async fn listing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let l = match api::load_listing(&state, &id).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    // A merged duplicate's old address moves permanently to the listing people see,
    // keeping the shortlist and back link.
    if id.parse::<i64>().ok() != Some(l.id) {
        let query = raw.map(|q| format!("?{q}")).unwrap_or_default();
        return Redirect::permanent(&format!("/listings/{}{query}", l.id)).into_response();
    }
    let also_from = {
        let app = state.app.clone();
        let id = l.id;
        match tokio::task::spawn_blocking(move || app.store.merged_from(id)).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return WebError::internal(e).into_response(),
            Err(e) => return WebError::internal(e).into_response(),
        }
    };
    let now = (state.clock)();
    // "from" is the search this page was opened from. It is parsed and written out
    // again, so only a valid search can come back out of it.
    let from = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "from")
        .map(|(_, v)| v.into_owned())
        .and_then(|f| {
            let (req, errors) = SearchRequest::from_query_string(&f, state.app.taxonomy);
            errors
                .is_empty()
                .then(|| req.to_query_string(Some(req.page)))
        });
    let page_url = format!("{}/listings/{}", base_url(&state, &headers), l.id);
    let check_notice = (!super::groups::is_fresh(&state.groups, &l, now)).then(|| {
        match l.provenance.verified_at.or(l.provenance.updated_at) {
            Some(c) => format!(
                "Last checked {}. Contact the group to make sure it is still running.",
                c.format("%-d %B %Y")
            ),
            None => "Not checked yet. Contact the group to make sure it is still running.".into(),
        }
    });
    let ctx = ListingContext {
        check_notice,
        shortlist: Shortlist::from_query(raw.as_deref()),
        from,
        json_ld: jsonld::listing(&l, &page_url, now),
        page_url,
        also_from,
    };
    views::listing_page(&l, &ctx, state.app.taxonomy, now).into_response()
}

pub async fn listing_ics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let l = match api::load_listing(&state, &id).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let page_url = format!("{}/listings/{}", base_url(&state, &headers), l.id);
    match calendar::ics(&l, &page_url, (state.clock)()) {
        Some(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    &format!("attachment; filename=\"signpost-{}.ics\"", l.id),
                ),
            ],
            body,
        )
            .into_response(),
        None => WebError::NotFound.into_response(),
    }
}

pub async fn text_page(Path(slug): Path<String>) -> Response {
    match text_pages::get(&slug) {
        Some(p) => views::text_page(&p.title, &p.html).into_response(),
        None => WebError::NotFound.into_response(),
    }
}

pub async fn about() -> Response {
    text_page(Path("about".into())).await
}
pub async fn privacy() -> Response {
    text_page(Path("privacy".into())).await
}
pub async fn accessibility() -> Response {
    text_page(Path("accessibility".into())).await
}

pub async fn report_form(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match api::load_listing(&state, &id).await {
        Ok(l) => views::report_page(
            &l,
            &views::ReportForm {
                reason: "",
                details: "",
                email: "",
            },
            &[],
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportInput {
    reason: String,
    details: String,
    email: String,
}

pub const MAX_REPORT_DETAILS: usize = 2_000;

/// Stores a report and only then says it was sent.
pub async fn report_submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<ReportInput>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = match api::load_listing(&state, &id).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let input = form.map(|f| f.0).unwrap_or_default();
    let mut errors: Vec<(&str, String)> = Vec::new();
    if !views::REPORT_REASONS
        .iter()
        .any(|(v, _)| *v == input.reason)
    {
        errors.push(("reason", "Select what is wrong with the listing".into()));
    }
    let details = input.details.trim();
    if details.chars().count() > MAX_REPORT_DETAILS {
        errors.push((
            "details",
            format!("Tell us more in {MAX_REPORT_DETAILS} characters or fewer"),
        ));
    }
    let email = input.email.trim();
    if !email.is_empty() && !crate::listing::parse::is_email(email) {
        errors.push((
            "email",
            "Enter an email address in the correct format, like name@example.com".into(),
        ));
    }
    if !errors.is_empty() {
        let form = views::ReportForm {
            reason: &input.reason,
            details: &input.details,
            email: &input.email,
        };
        return (
            StatusCode::BAD_REQUEST,
            views::report_page(&l, &form, &errors),
        )
            .into_response();
    }
    let app = state.app.clone();
    let (reason, details, email) = (
        input.reason.clone(),
        details.to_string(),
        (!email.is_empty()).then(|| email.to_string()),
    );
    let listing_id = l.id;
    let stored = tokio::task::spawn_blocking(move || {
        app.store
            .add_report(listing_id, &reason, &details, email.as_deref())
    })
    .await;
    match stored {
        Ok(Ok(report_id)) => {
            views::report_done_page(&l, &format!("R{report_id:06}")).into_response()
        }
        Ok(Err(e)) => WebError::internal(e).into_response(),
        Err(e) => WebError::internal(e).into_response(),
    }
}

/// Most URLs in one sitemap file; the protocol allows 50,000.
pub const SITEMAP_CHUNK: u64 = 40_000;

fn xml_response(xml: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

fn static_urls(state: &AppState, base: &str, xml: &mut String) {
    for path in ["/", "/categories", "/about", "/privacy", "/accessibility"] {
        xml.push_str(&format!("<url><loc>{base}{path}</loc></url>\n"));
    }
    for t in &state.app.taxonomy.types {
        xml.push_str(&format!(
            "<url><loc>{base}/search?type={}</loc></url>\n",
            t.slug
        ));
    }
}

async fn listing_urls(
    state: &AppState,
    base: &str,
    offset: u64,
    xml: &mut String,
) -> Result<(), WebError> {
    let app = state.app.clone();
    let ids = tokio::task::spawn_blocking(move || app.store.published_ids(offset, SITEMAP_CHUNK))
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)?;
    for (id, when) in ids {
        match when {
            Some(w) => xml.push_str(&format!(
                "<url><loc>{base}/listings/{id}</loc><lastmod>{w}</lastmod></url>\n"
            )),
            None => xml.push_str(&format!("<url><loc>{base}/listings/{id}</loc></url>\n")),
        }
    }
    Ok(())
}

const URLSET: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";

/// `/sitemap.xml`: every page worth finding. Past `SITEMAP_CHUNK` listings it becomes a
/// sitemap index pointing at `/sitemaps/{n}.xml` files.
pub async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    // The index holds exactly the published listings.
    let count = state.app.engine.index.num_docs();
    if count <= SITEMAP_CHUNK {
        let mut xml = String::from(URLSET);
        static_urls(&state, &base, &mut xml);
        if let Err(e) = listing_urls(&state, &base, 0, &mut xml).await {
            return e.into_response();
        }
        xml.push_str("</urlset>\n");
        return xml_response(xml);
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 0..=count.div_ceil(SITEMAP_CHUNK) {
        xml.push_str(&format!(
            "<sitemap><loc>{base}/sitemaps/{n}.xml</loc></sitemap>\n"
        ));
    }
    xml.push_str("</sitemapindex>\n");
    xml_response(xml)
}

/// `/sitemaps/0.xml` is the fixed pages; `/sitemaps/{n}.xml` the nth block of listings.
pub async fn sitemap_part(
    State(state): State<AppState>,
    Path(part): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(n) = part
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return WebError::NotFound.into_response();
    };
    let base = base_url(&state, &headers);
    let mut xml = String::from(URLSET);
    if n == 0 {
        static_urls(&state, &base, &mut xml);
    } else if let Err(e) = listing_urls(&state, &base, (n - 1) * SITEMAP_CHUNK, &mut xml).await {
        return e.into_response();
    }
    xml.push_str("</urlset>\n");
    xml_response(xml)
}

pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "User-agent: *\nDisallow: /api/\nDisallow: /shortlist\nDisallow: /h/\nDisallow: /manage/\nDisallow: /moderate\nSitemap: {base}/sitemap.xml\n"
        ),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    WebError::NotFound.into_response()
}
