//! HTML views (maud). Everything user-supplied is escaped by maud; nothing here
//! writes pre-escaped text from data.
//!
//! The layout follows the GOV.UK pattern: skip link, one `h1` per page, labels on
//! every field, an error summary at the top that links to each field in error.

use chrono::NaiveDateTime;
use maud::{DOCTYPE, Markup, html};

use super::WebError;
use crate::listing::{Listing, Mode, Taxonomy, TimeOfDay};
use crate::search::request::format_miles;
use crate::search::{ParamError, SearchRequest, SearchResults, Sort};

pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Signpost" }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.site {
                    div.wrap {
                        a.brand href="/" { "Signpost" }
                        span.tagline { "Local activities and groups" }
                    }
                }
                main #main .wrap {
                    (body)
                }
                footer.site {
                    div.wrap {
                        p { "Signpost lists local activities, groups and services. It does not use cookies or track you." }
                    }
                }
            }
        }
    }
}

fn field_error<'a>(errors: &'a [ParamError], param: &str) -> Option<&'a ParamError> {
    errors.iter().find(|e| e.param == param)
}

fn error_summary(errors: &[ParamError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { "There is a problem" }
                ul {
                    @for e in errors {
                        li { a href={ "#" (e.param) } { (e.message) } }
                    }
                }
            }
        }
    }
}

/// The search form with every filter; works with no JavaScript.
pub fn search_form(
    req: &SearchRequest,
    errors: &[ParamError],
    results: Option<&SearchResults>,
    taxonomy: &Taxonomy,
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
) -> Markup {
    let title = if !errors.is_empty() {
        "Error: Search".to_string()
    } else if req.q.is_empty() {
        "Search".to_string()
    } else {
        format!("{} – Search", req.q)
    };
    layout(
        &title,
        html! {
            (error_summary(errors))
            @if needs_urgent_help(&req.q) { (urgent_help()) }
            h1 { "Find local activities and groups" }
            (search_form(req, errors, results, taxonomy))
            @if let Some(r) = results {
                (results_list(req, r, taxonomy))
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

fn results_list(req: &SearchRequest, r: &SearchResults, taxonomy: &Taxonomy) -> Markup {
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
                p { "We could not find anything that matches. You could:" }
                ul {
                    @if !req.q.is_empty() { li { "use fewer or different words" } }
                    @if req.near.is_some() { li { "search a wider distance" } }
                    @if !req.types.is_empty() || !req.access.is_empty() || req.free || !req.days.is_empty() || !req.times.is_empty() || req.age.is_some() || !req.modes.is_empty() {
                        li { "remove some filters" }
                    }
                }
            } @else if r.hits.is_empty() {
                p { "There are no more results. " a href={ "/search?" (req.to_query_string(None)) } { "Go to the first page" } }
            }
            ol.cards {
                @for h in &r.hits {
                    li.card {
                        h3 { a href=(h.url) { (h.title) } }
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
                    }
                }
            }
            @if r.pages > 1 {
                nav.pagination aria-label="Pages of results" {
                    @if r.page > 1 {
                        a rel="prev" href={ "/search?" (req.to_query_string(Some(r.page - 1))) } { "Previous page" }
                    }
                    span { "Page " (r.page.min(r.pages.max(1))) " of " (r.pages) }
                    @if r.page < r.pages {
                        a rel="next" href={ "/search?" (req.to_query_string(Some(r.page + 1))) } { "Next page" }
                    }
                }
            }
        }
    }
}

pub fn listing_page(l: &Listing, taxonomy: &Taxonomy, now: NaiveDateTime) -> Markup {
    let upcoming = l.schedule.next_occurrences(now, 5);
    layout(
        &l.title,
        html! {
            p { a href="/search" { "Back to search" } }
            h1 { (l.title) }
            @if !l.organisation.name.is_empty() { p.org { "Run by " (l.organisation.name) } }
            @if !l.summary.is_empty() { p.lead { (l.summary) } }
            p.tags {
                (l.types.iter().map(|t| taxonomy.type_label(t)).collect::<Vec<_>>().join(" · "))
            }
            h2 { "What happens" }
            @for para in l.description.split("\n\n").filter(|p| !p.trim().is_empty()) {
                p { (para.trim()) }
            }
            h2 { "When" }
            @if l.schedule.is_empty() && l.schedule.note.is_empty() {
                p { "Contact the group to find out when it runs." }
            }
            ul {
                @for s in &l.schedule.sessions { li { (s.describe()) } }
            }
            @if !l.schedule.note.is_empty() { p { (l.schedule.note) } }
            @if !upcoming.is_empty() {
                h3 { "Next dates" }
                ul { @for o in &upcoming { li { (o.describe()) } } }
            }
            h2 { "Where" }
            @if let Some(v) = &l.venue {
                p.address {
                    @if !v.name.is_empty() { (v.name) br; }
                    @if !v.address.is_empty() { (v.address) br; }
                    @if let Some(pc) = &v.postcode { (pc) }
                }
                @if let (Some(lat), Some(lon)) = (v.lat, v.lon) {
                    p {
                        a href={ "https://www.openstreetmap.org/?mlat=" (lat) "&mlon=" (lon) "#map=17/" (lat) "/" (lon) } {
                            "See " (if v.name.is_empty() { "the place" } else { v.name.as_str() }) " on OpenStreetMap"
                        }
                    }
                }
            }
            @let remote: Vec<&str> = l.modes.iter().filter(|m| **m != Mode::InPerson).map(|m| m.label()).collect();
            @if !remote.is_empty() {
                p { (remote.join(", ")) @if !l.area_served.description.is_empty() { " – covers " (l.area_served.description) } }
            }
            h2 { "Cost" }
            p {
                @if l.cost.free { "Free" } @else { (l.cost.price.as_deref().unwrap_or("Ask the group about cost")) }
                @if l.cost.pay_what_you_can { " (pay what you can)" }
            }
            @if let Some(c) = &l.cost.concessions { p { (c) } }
            h2 { "Accessibility" }
            @if l.access.features.is_empty() && l.access.notes.is_empty() {
                p { "The group has not told us about accessibility. Contact them to ask." }
            }
            ul {
                @for a in &l.access.features {
                    @if let Some(f) = taxonomy.access_feature(a) {
                        li { strong { (f.label) } ": " (f.description) }
                    }
                }
            }
            @if !l.access.notes.is_empty() { p { (l.access.notes) } }
            h2 { "Who it is for" }
            p { (who_for(l)) }
            @if !l.audience.circumstances.is_empty() {
                p { "Especially for: "
                    (l.audience.circumstances.iter().filter_map(|c| taxonomy.circumstance(c)).map(|c| c.label.as_str()).collect::<Vec<_>>().join(", ")) }
            }
            @if !l.audience.notes.is_empty() { p { (l.audience.notes) } }
            h2 { "How to join" }
            p { strong { (l.join.method.label()) } }
            @if !l.join.details.is_empty() { p { (l.join.details) } }
            (contact_list(l))
            h2 { "About this listing" }
            p.meta {
                @if let Some(v) = l.provenance.verified_at {
                    "Last checked " (v.format("%-d %B %Y")) ". "
                } @else if let Some(u) = l.provenance.updated_at {
                    "Last updated " (u.format("%-d %B %Y")) ". "
                }
                "Times can change, so check with the group before you go."
            }
        },
    )
}

fn who_for(l: &Listing) -> String {
    use crate::listing::Gender;
    let ages = match (l.audience.age_min, l.audience.age_max) {
        (Some(a), Some(b)) => format!("Ages {a} to {b}"),
        (Some(a), None) => format!("Ages {a} and over"),
        (None, Some(b)) => format!("Up to age {b}"),
        (None, None) => "All ages".to_string(),
    };
    match l.audience.gender {
        Gender::Any => ages,
        Gender::Women => format!("{ages}, women only"),
        Gender::Men => format!("{ages}, men only"),
    }
}

fn contact_list(l: &Listing) -> Markup {
    let c = &l.join.contact;
    let o = &l.organisation;
    let phone = c.phone.as_ref().or(o.phone.as_ref());
    let email = c.email.as_ref().or(o.email.as_ref());
    let web = c.url.as_ref().or(o.website.as_ref());
    html! {
        ul.contact {
            @if let Some(n) = &c.name { li { "Contact: " (n) } }
            @if let Some(p) = phone {
                li { "Phone: " a href={ "tel:" (p.replace(' ', "")) } { (p) } }
            }
            @if let Some(e) = email { li { "Email: " a href={ "mailto:" (e) } { (e) } } }
            @if let Some(w) = web.filter(|w| w.starts_with("https://") || w.starts_with("http://")) {
                li { "Website: " a href=(w) { (w) } }
            }
        }
    }
}

pub fn error_page(e: &WebError) -> Markup {
    let (title, text) = match e {
        WebError::NotFound => (
            "Page not found",
            "If you typed the web address, check it is correct. If you followed a link, the listing may have been removed.",
        ),
        WebError::BadParams(_) => (
            "There is a problem",
            "Check what you entered and try again.",
        ),
        WebError::Internal(_) => (
            "Sorry, there is a problem with the service",
            "Please try again in a few minutes.",
        ),
    };
    layout(
        title,
        html! {
            h1 { (title) }
            p { (text) }
            p { a href="/search" { "Search for activities" } }
        },
    )
}
