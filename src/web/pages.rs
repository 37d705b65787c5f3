//! HTML page handlers: search, listing, categories, text pages, report a problem.
//! The shortlist and hand-over handlers are in `handover.rs`.

use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;
use serde::Deserialize;

use super::form::Pairs;
use super::shortlist::Shortlist;
use super::views::{self, ListingContext};
use super::{AppState, WebError, api, blocking, calendar, jsonld, search, text_pages};
use crate::search::request::MAX_QUERY_CHARS;
use crate::search::{SearchRequest, TypeCount};

/// Counts of published listings per type, for the category tiles.
async fn all_type_counts(state: &AppState) -> Result<Vec<TypeCount>, WebError> {
    let now = (state.clock)();
    blocking(state, move |app| app.engine.type_counts_everywhere(now)).await
}

pub async fn home(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Markup, WebError> {
    let s = Shortlist::from_query(raw.as_deref());
    let counts = all_type_counts(&state).await?;
    Ok(views::home_page(state.app.taxonomy, &counts, &s))
}

pub async fn categories(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Markup, WebError> {
    let s = Shortlist::from_query(raw.as_deref());
    let counts = all_type_counts(&state).await?;
    Ok(views::categories_page(state.app.taxonomy, &counts, &s))
}

/// `/categories/{slug}` is a friendly address for the search filtered to one type.
pub async fn category(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Redirect, WebError> {
    state
        .app
        .taxonomy
        .activity_type(&slug)
        .ok_or(WebError::NotFound)?;
    Ok(Redirect::to(&format!("/search?type={slug}")))
}

/// The search page. Invalid input shows the page again with the problems listed and
/// everything typed kept, with status 400.
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (req, errors) = search::parse(&state, raw.as_deref());
    let s = Shortlist::from_query(raw.as_deref());
    let taxonomy = state.app.taxonomy;
    // Words that name filters become the filters, by a redirect to the search that
    // says so; `typed` carries the words as they were typed, for the note.
    let typed = Pairs::query(raw.as_deref())
        .first("typed")
        .map(|t| t.chars().take(MAX_QUERY_CHARS).collect::<String>())
        .filter(|t| !t.trim().is_empty());
    if errors.is_empty() && !req.as_typed && typed.is_none() && !req.q.trim().is_empty() {
        let u = search::understand(&state, req.q.clone(), req.near.is_some()).await?;
        let mut understood = req.clone();
        u.apply(&mut understood);
        // Filters that would leave nothing are not taken: many directories do not say
        // how a service is run or what it costs, and "debt advice online" must not
        // turn 25 council services into none. The words are searched as typed.
        let finds_something = !u.taken.is_empty()
            && matches!(search::run(&state, understood.clone()).await, Ok(r) if r.total > 0);
        if finds_something {
            let mut url = format!("/search?{}", understood.to_query_string(None));
            url.push_str(if url.ends_with('?') { "" } else { "&" });
            url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .append_pair("typed", &req.q)
                    .finish(),
            );
            url.push_str(&s.query_suffix());
            return Ok(Redirect::to(&url).into_response());
        }
    }
    let note = match &typed {
        Some(t) if errors.is_empty() && !req.as_typed => understood_note(&state, &req, t).await?,
        _ => None,
    };
    let results = if errors.is_empty() {
        search::run(&state, req.clone()).await
    } else {
        Err(WebError::BadParams(errors))
    };
    match results {
        Ok(results) => {
            let today = (state.clock)().date();
            state.site.missed.record(&req, &results, today);
            Ok(
                views::search_page(&req, &[], Some(&results), taxonomy, &s, note.as_ref())
                    .into_response(),
            )
        }
        Err(WebError::BadParams(errors)) => Ok((
            StatusCode::BAD_REQUEST,
            views::search_page(&req, &errors, None, taxonomy, &s, None),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

/// The note under the applied filters after words became filters, with the search of
/// every word as typed (those filters taken off). The words are read again (the same
/// reading gives the same filters), so the note is only shown when they still give
/// this search: with the place box filled in or not, whichever matches.
async fn understood_note(
    state: &AppState,
    req: &SearchRequest,
    typed: &str,
) -> Result<Option<views::Understood>, WebError> {
    for place_given in [false, true] {
        let u = search::understand(state, typed.to_string(), place_given).await?;
        if u.taken.is_empty() || u.q != req.q {
            continue;
        }
        let mut as_typed = SearchRequest {
            as_typed: true,
            page: 1,
            ..req.clone()
        };
        u.undo(&mut as_typed, typed);
        return Ok(Some(views::Understood {
            as_typed: format!("/search?{}", as_typed.to_query_string(None)),
        }));
    }
    Ok(None)
}

pub async fn listing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let l = api::load_listing(&state, &id).await?;
    // A merged duplicate's old address moves permanently to the listing people see,
    // keeping the shortlist and back link.
    if id.parse::<i64>().ok() != Some(l.id) {
        let query = raw.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(Redirect::permanent(&format!("/listings/{}{query}", l.id)).into_response());
    }
    let id = l.id;
    let also_from = blocking(&state, move |app| app.store.merged_from(id)).await?;
    let now = (state.clock)();
    // "from" is the search this page was opened from. It is parsed and written out
    // again, so only a valid search can come back out of it.
    let from = Pairs::query(raw.as_deref()).first("from").and_then(|f| {
        let (req, errors) = SearchRequest::from_query_string(f, state.app.taxonomy);
        errors
            .is_empty()
            .then(|| req.to_query_string(Some(req.page)))
    });
    let page_url = format!("{}/listings/{}", state.site.base_url(&headers), l.id);
    let last_checked = l.provenance.verified_at.or(l.provenance.updated_at);
    let due = state.site.freshness.is_due(last_checked, now.and_utc());
    let check_notice = due.then(|| match last_checked {
        Some(c) => format!(
            "Last checked {}. Contact the group to make sure it is still running.",
            c.format("%-d %B %Y")
        ),
        None => "Not checked yet. Contact the group to make sure it is still running.".into(),
    });
    let ctx = ListingContext {
        check_notice,
        shortlist: Shortlist::from_query(raw.as_deref()),
        from,
        json_ld: jsonld::listing(&l, &page_url, now),
        page_url,
        also_from,
    };
    Ok(views::listing_page(&l, &ctx, state.app.taxonomy, now).into_response())
}

pub async fn listing_ics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let l = api::load_listing(&state, &id).await?;
    let page_url = format!("{}/listings/{}", state.site.base_url(&headers), l.id);
    let body = calendar::ics(&l, &page_url, (state.clock)()).ok_or(WebError::NotFound)?;
    Ok(super::downloads::attachment(
        "text/calendar; charset=utf-8",
        &format!("signpost-{}.ics", l.id),
        body,
    ))
}

fn text_page(slug: &str) -> Result<Markup, WebError> {
    let p = text_pages::get(slug).ok_or(WebError::NotFound)?;
    Ok(views::text_page(&p.title, &p.html))
}

pub async fn about() -> Result<Markup, WebError> {
    text_page("about")
}
/// The privacy page, saying whether this site counts searches that found nothing.
pub async fn privacy(State(state): State<AppState>) -> Result<Markup, WebError> {
    let p = text_pages::get("privacy").ok_or(WebError::NotFound)?;
    let setting = if state.site.missed.is_on() {
        "On this site, this counting is <strong>turned on</strong>."
    } else {
        "On this site, this counting is <strong>turned off</strong>: no searches are counted."
    };
    let html = p.html.replace("MISSED_SEARCHES_SETTING", setting);
    Ok(views::text_page(&p.title, &html))
}
pub async fn accessibility() -> Result<Markup, WebError> {
    text_page("accessibility")
}

pub async fn report_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    let l = api::load_listing(&state, &id).await?;
    Ok(views::report_page(
        &l,
        &views::ReportForm {
            reason: "",
            details: "",
            email: "",
        },
        &[],
    ))
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
) -> Result<Response, WebError> {
    let l = api::load_listing(&state, &id).await?;
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
        return Ok((
            StatusCode::BAD_REQUEST,
            views::report_page(&l, &form, &errors),
        )
            .into_response());
    }
    let (reason, details, email) = (
        input.reason.clone(),
        details.to_string(),
        (!email.is_empty()).then(|| email.to_string()),
    );
    let listing_id = l.id;
    let report_id = blocking(&state, move |app| {
        app.store
            .add_report(listing_id, &reason, &details, email.as_deref())
    })
    .await?;
    Ok(views::report_done_page(&l, &format!("R{report_id:06}")).into_response())
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
    let ids = blocking(state, move |app| {
        app.store.published_ids(offset, SITEMAP_CHUNK)
    })
    .await?;
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
pub async fn sitemap(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = state.site.base_url(&headers);
    // The index holds exactly the published listings.
    let count = state.app.engine.index.num_docs();
    if count <= SITEMAP_CHUNK {
        let mut xml = String::from(URLSET);
        static_urls(&state, &base, &mut xml);
        listing_urls(&state, &base, 0, &mut xml).await?;
        xml.push_str("</urlset>\n");
        return Ok(xml_response(xml));
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
    Ok(xml_response(xml))
}

/// `/sitemaps/0.xml` is the fixed pages; `/sitemaps/{n}.xml` the nth block of listings.
pub async fn sitemap_part(
    State(state): State<AppState>,
    Path(part): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let n = part
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or(WebError::NotFound)?;
    let base = state.site.base_url(&headers);
    let mut xml = String::from(URLSET);
    if n == 0 {
        static_urls(&state, &base, &mut xml);
    } else {
        listing_urls(&state, &base, (n - 1) * SITEMAP_CHUNK, &mut xml).await?;
    }
    xml.push_str("</urlset>\n");
    Ok(xml_response(xml))
}

pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = state.site.base_url(&headers);
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "User-agent: *\nDisallow: /api/\nDisallow: /shortlist\nDisallow: /h/\nDisallow: /manage/\nDisallow: /moderate\nSitemap: {base}/sitemap.xml\n"
        ),
    )
        .into_response()
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}
