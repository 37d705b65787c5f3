//! The search page: form with every filter, results, pagination.

use maud::{Markup, html};

use super::{Frame, error_summary, field_error, page};
use crate::listing::{Mode, Taxonomy, TimeOfDay};
use crate::search::request::format_miles;
use crate::search::{ParamError, SearchRequest, SearchResults, Sort};
use crate::web::shortlist::Shortlist;

/// The search form with every filter; works with no JavaScript.
pub fn search_form(
    req: &SearchRequest,
    errors: &[ParamError],
    results: Option<&SearchResults>,
    taxonomy: &Taxonomy,
    shortlist: &Shortlist,
) -> Markup {
    let count_for = |slug: &str| -> Option<u64> {
        results.and_then(|r| {
            r.type_counts
                .iter()
                .find(|t| t.slug == slug)
                .map(|t| t.count)
        })
    };
    let within_options = [1.0, 3.0, 5.0, 10.0, 20.0];
    html! {
        form.search action="/search" method="get" role="search" {
            div.field.(if field_error(errors, "q").is_some() { "field-error" } else { "" }) {
                label for="q" { "What are you looking for?" }
                span.hint #q-hint { "For example: walking, choir, lonely, memory cafe" }
                input #q type="search" name="q" value=(req.q) aria-describedby="q-hint" autocomplete="off" autofocus;
            }
            div.field.(if field_error(errors, "near").is_some() { "field-error" } else { "" }) {
                label for="near" { "Postcode" }
                span.hint #near-hint { "Your full postcode or the first part, like M33 7XW or M33" }
                @if let Some(e) = field_error(errors, "near") {
                    p.error-message #near-error { span.visually-hidden { "Error: " } (e.message) }
                }
                input #near type="text" name="near" value=(req.near_input) autocomplete="postal-code"
                    aria-describedby="near-hint" spellcheck="false";
            }
            div.field {
                label for="within" { "Distance" }
                select #within name="within" {
                    @for m in within_options {
                        option value=(format_miles(m)) selected[(req.within - m).abs() < 1e-9] {
                            "Within " (format_miles(m)) @if m == 1.0 { " mile" } @else { " miles" }
                        }
                    }
                    @if !within_options.iter().any(|m| (req.within - m).abs() < 1e-9) {
                        option value=(format_miles(req.within)) selected { "Within " (format_miles(req.within)) " miles" }
                    }
                }
            }
            @if !shortlist.is_empty() { input type="hidden" name="s" value=(shortlist.param()); }
            button.button type="submit" { "Search" }
            details.filters open[results.is_some()] {
                summary { "Filters" }
                fieldset {
                    legend { "Type of activity" }
                    @for t in &taxonomy.types {
                        div.check {
                            input type="checkbox" name="type" value=(t.slug) id={ "type-" (t.slug) }
                                checked[req.types.contains(&t.slug)];
                            label for={ "type-" (t.slug) } {
                                (t.label)
                                @if let Some(c) = count_for(&t.slug) { " (" (c) ")" }
                            }
                        }
                    }
                }
                fieldset {
                    legend { "Accessibility" }
                    span.hint { "Only show activities that have all of these" }
                    @for a in &taxonomy.access {
                        div.check {
                            input type="checkbox" name="access" value=(a.slug) id={ "access-" (a.slug) }
                                checked[req.access.contains(&a.slug)];
                            label for={ "access-" (a.slug) } { (a.label) }
                        }
                    }
                }
                fieldset {
                    legend { "Cost" }
                    div.check {
                        input #free type="checkbox" name="free" value="1" checked[req.free];
                        label for="free" { "Free only" }
                    }
                }
                fieldset #day {
                    legend { "Day" }
                    @for d in crate::listing::Day::ALL {
                        div.check {
                            input type="checkbox" name="day" value=(d.slug()) id={ "day-" (d.slug()) }
                                checked[req.days.contains(&d)];
                            label for={ "day-" (d.slug()) } { (d.name()) }
                        }
                    }
                }
                fieldset #time {
                    legend { "Time of day" }
                    @for t in TimeOfDay::ALL {
                        div.check {
                            input type="checkbox" name="time" value=(t.slug()) id={ "time-" (t.slug()) }
                                checked[req.times.contains(&t)];
                            label for={ "time-" (t.slug()) } {
                                @match t {
                                    TimeOfDay::Morning => "Morning (before midday)",
                                    TimeOfDay::Afternoon => "Afternoon (midday to 5pm)",
                                    TimeOfDay::Evening => "Evening (after 5pm)",
                                }
                            }
                        }
                    }
                }
                div.field {
                    label for="age" { "Age of the person" }
                    @if let Some(e) = field_error(errors, "age") {
                        p.error-message { span.visually-hidden { "Error: " } (e.message) }
                    }
                    input #age.short type="text" inputmode="numeric" name="age"
                        value=(req.age.map(|a| a.to_string()).unwrap_or_default());
                }
                fieldset #mode {
                    legend { "How it happens" }
                    @for m in Mode::ALL {
                        div.check {
                            input type="checkbox" name="mode" value=(m.slug()) id={ "mode-" (m.slug()) }
                                checked[req.modes.contains(&m)];
                            label for={ "mode-" (m.slug()) } { (m.label()) }
                        }
                    }
                }
                div.field #sort {
                    label for="sort-select" { "Sort by" }
                    select #sort-select name="sort" {
                        option value="" selected[req.sort.is_none()] { "Best for this search" }
                        option value="relevance" selected[req.sort == Some(Sort::Relevance)] { "Best match" }
                        option value="distance" selected[req.sort == Some(Sort::Distance)] { "Nearest first" }
                    }
                }
                button.button type="submit" { "Apply filters" }
            }
        }
    }
}

pub fn search_page(
    req: &SearchRequest,
    errors: &[ParamError],
    results: Option<&SearchResults>,
    taxonomy: &Taxonomy,
    shortlist: &Shortlist,
) -> Markup {
    let title = if !errors.is_empty() {
        "Error: Search".to_string()
    } else if req.q.is_empty() {
        "Search".to_string()
    } else {
        format!("{} – Search", req.q)
    };
    page(
        Frame {
            title: &title,
            shortlist: shortlist.clone(),
            ..Default::default()
        },
        html! {
            (error_summary(errors))
            @if needs_urgent_help(&req.q) { (urgent_help()) }
            h1 { "Find local activities and groups" }
            @if !shortlist.is_empty() {
                p.note {
                    "Your shortlist has " (shortlist.len()) @if shortlist.len() == 1 { " activity. " } @else { " activities. " }
                    a href={ "/shortlist?s=" (shortlist.param()) } { "View and hand over your shortlist" }
                }
            }
            (search_form(req, errors, results, taxonomy, shortlist))
            @if let Some(r) = results {
                (results_list(req, r, taxonomy, shortlist))
            }
        },
    )
}

/// Words that mean someone may be in crisis: an activity list is not the answer, so
/// the page leads with where to get help now.
const CRISIS: &[&str] = &[
    "suicid",
    "kill myself",
    "end my life",
    "self harm",
    "self-harm",
    "selfharm",
    "want to die",
    "overdose",
    "hurt myself",
];

pub fn needs_urgent_help(q: &str) -> bool {
    let q = q.to_lowercase();
    CRISIS.iter().any(|w| q.contains(w))
}

fn urgent_help() -> Markup {
    html! {
        div.urgent role="note" aria-labelledby="urgent-title" {
            h2 #urgent-title { "Get help now" }
            p { "If you are thinking about suicide or hurting yourself, you do not have to wait:" }
            ul {
                li { "call Samaritans free on " a href="tel:116123" { "116 123" } ", any time, day or night" }
                li { "text SHOUT to 85258" }
                li { "call " a href="tel:111" { "NHS 111" } " and choose the mental health option" }
                li { "call " a href="tel:999" { "999" } " if your life is at risk now" }
            }
        }
    }
}

/// Ways to loosen a search that found nothing, each a link that does it.
fn loosen(req: &SearchRequest, s: &Shortlist) -> Vec<(String, String)> {
    let link =
        |r: &SearchRequest| format!("/search?{}{}", r.to_query_string(None), s.query_suffix());
    let mut out = Vec::new();
    if !req.q.is_empty() {
        let mut r = req.clone();
        r.q.clear();
        out.push((format!("Search without the words “{}”", req.q), link(&r)));
    }
    if req.near.is_some() && req.within < 20.0 {
        let mut r = req.clone();
        r.within = if req.within < 5.0 { 5.0 } else { 20.0 };
        out.push((
            format!("Search within {} miles", format_miles(r.within)),
            link(&r),
        ));
    }
    let filtered = !req.types.is_empty()
        || !req.access.is_empty()
        || req.free
        || !req.days.is_empty()
        || !req.times.is_empty()
        || req.age.is_some()
        || !req.modes.is_empty();
    if filtered {
        let r = SearchRequest {
            q: req.q.clone(),
            near: req.near.clone(),
            near_input: req.near_input.clone(),
            within: req.within,
            page: 1,
            ..Default::default()
        };
        out.push(("Remove all the filters".into(), link(&r)));
    }
    out
}

fn results_list(
    req: &SearchRequest,
    r: &SearchResults,
    taxonomy: &Taxonomy,
    s: &Shortlist,
) -> Markup {
    let this_page = req.to_query_string(Some(r.page));
    let from: String = form_urlencoded::byte_serialize(this_page.as_bytes()).collect();
    let toggle = |id: i64, list: &Shortlist| {
        let mut q = this_page.clone();
        if !list.is_empty() {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("s={}", list.param()));
        }
        format!("/search?{q}#r-{id}")
    };
    html! {
        section.results aria-labelledby="results-title" {
            h2 #results-title {
                @if r.total == 1 { "1 result" } @else { (r.total) " results" }
                @if let Some(l) = &r.location { " near " (l.label) }
            }
            @if let Some(note) = r.location.as_ref().and_then(|l| l.note.as_ref()) {
                p.note { (note) }
            }
            @if r.total == 0 {
                p { "We could not find anything that matches." }
                @let ways = loosen(req, s);
                @if !ways.is_empty() {
                    p { "You could:" }
                    ul { @for (text, href) in &ways { li { a href=(href) { (text) } } } }
                }
                p { "Or try different words, like “walking”, “coffee morning” or “choir”." }
            } @else if r.hits.is_empty() {
                p { "There are no more results. " a href={ "/search?" (req.to_query_string(None)) (s.query_suffix()) } { "Go to the first page" } }
            }
            ol.cards {
                @for h in &r.hits {
                    li.card id={ "r-" (h.id) } {
                        h3 { a href={ (h.url) "?from=" (from) (s.query_suffix()) } { (h.title) } }
                        @if !h.organisation.is_empty() { p.org { (h.organisation) } }
                        @if !h.reach_label.is_empty() { p.reach { strong { (h.reach_label) } } }
                        @if !h.summary.is_empty() { p { (h.summary) } }
                        dl.facts {
                            @if let Some(n) = &h.next_session {
                                dt { "Next" } dd { (n.text) }
                            }
                            dt { "Cost" }
                            dd { @if h.free { "Free" } @else { (h.price.as_deref().unwrap_or("Ask about cost")) } }
                            @if !h.access.is_empty() {
                                dt { "Access" }
                                dd { (h.access.iter().map(|a| taxonomy.access_label(a)).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                        p.card-action {
                            @if s.contains(h.id) {
                                strong { "On your shortlist. " }
                                a href=(toggle(h.id, &s.without(h.id))) { "Remove" span.visually-hidden { " " (h.title) } " from shortlist" }
                            } @else if !s.is_full() {
                                a href=(toggle(h.id, &s.with(h.id))) { "Add" span.visually-hidden { " " (h.title) } " to shortlist" }
                            }
                        }
                    }
                }
            }
            @if r.pages > 1 {
                nav.pagination aria-label="Pages of results" {
                    @if r.page > 1 {
                        a rel="prev" href={ "/search?" (req.to_query_string(Some(r.page - 1))) (s.query_suffix()) } { "Previous page" }
                    }
                    span { "Page " (r.page.min(r.pages.max(1))) " of " (r.pages) }
                    @if r.page < r.pages {
                        a rel="next" href={ "/search?" (req.to_query_string(Some(r.page + 1))) (s.query_suffix()) } { "Next page" }
                    }
                }
            }
        }
    }
}
