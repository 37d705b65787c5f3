//! The search page, laid out so the answers start on the first screen.
//!
//! The "filter a list" pattern people know from GOV.UK and NHS.UK finders: a compact
//! search box; on a wide screen the filters in a side column and the results beside
//! them; on a phone the filters behind a closed "Filter results" control, so the
//! results come straight after the box. Applied filters are links that remove them.
//! Each result card carries what a decision needs (who, when, where, cost, access)
//! and its own "Add to shortlist" button. None of it needs JavaScript.

use maud::{Markup, html};

use super::{Frame, error_summary, field_error, page};
use crate::listing::{Mode, Taxonomy, TimeOfDay};
use crate::search::request::format_miles;
use crate::search::{Hit, ParamError, Reach, SearchRequest, SearchResults, Sort};
use crate::web::shortlist::Shortlist;

/// Accessibility features in the order a card names them, when it has more than fits:
/// the ones that decide whether a person can get in and take part come first.
const ACCESS_ORDER: &[&str] = &[
    "step-free",
    "wheelchair",
    "hearing-loop",
    "accessible-toilet",
    "quiet",
    "dementia-friendly",
    "bsl",
    "autism-friendly",
    "carer-free",
    "large-print",
    "blue-badge-parking",
    "public-transport",
    "parking",
];

/// How many accessibility features a card names.
const CARD_ACCESS: usize = 3;

/// The search box: words, place, distance. Compact once there are results to show,
/// so the answers start on the first screen.
fn search_bar(req: &SearchRequest, errors: &[ParamError], compact: bool, s: &Shortlist) -> Markup {
    let within_options = [1.0, 3.0, 5.0, 10.0, 20.0];
    html! {
        form.search #search action="/search" method="get" role="search" {
            div.search-fields {
                div.field.field-q.(if field_error(errors, "q").is_some() { "field-error" } else { "" }) {
                    label for="q" { "What are you looking for?" }
                    @if !compact { span.hint #q-hint { "For example: walking, choir, lonely, memory cafe" } }
                    input #q type="search" name="q" value=(req.q) aria-describedby=[(!compact).then_some("q-hint")]
                        autocomplete="off" autofocus[!compact];
                }
                div.field.field-near.(if field_error(errors, "near").is_some() { "field-error" } else { "" }) {
                    label for="near" { "Town or postcode" }
                    @if !compact { span.hint #near-hint { "A town or area, like Sale or Chorlton, or a postcode, like M33 7XW or M33" } }
                    @if let Some(e) = field_error(errors, "near") {
                        p.error-message #near-error { span.visually-hidden { "Error: " } (e.message) }
                        @if !e.choices.is_empty() {
                            ul.choices aria-label="Places you may mean" {
                                @for c in &e.choices {
                                    li { a href={ "/search?" (SearchRequest { near_input: c.clone(), ..req.clone() }.to_query_string(None)) (s.query_suffix()) } { (c) } }
                                }
                            }
                        }
                    }
                    input #near type="text" name="near" value=(req.near_input) autocomplete="postal-code"
                        aria-describedby=[(!compact).then_some("near-hint")] spellcheck="false";
                }
                div.field.field-within {
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
                @if !s.is_empty() { input type="hidden" name="s" value=(s.param()); }
                div.field.field-go { button.button type="submit" { "Search" } }
            }
        }
    }
}

/// How many filters are applied (the words, place and distance are not filters).
fn applied_count(req: &SearchRequest) -> usize {
    req.types.len()
        + req.access.len()
        + usize::from(req.free)
        + req.days.len()
        + req.times.len()
        + usize::from(req.age.is_some())
        + req.modes.len()
        + usize::from(req.sort.is_some())
}

fn time_label(t: TimeOfDay) -> &'static str {
    match t {
        TimeOfDay::Morning => "Morning (before midday)",
        TimeOfDay::Afternoon => "Afternoon (midday to 5pm)",
        TimeOfDay::Evening => "Evening (after 5pm)",
    }
}

/// Each applied filter, as the words shown and the search without it.
fn applied_filters(req: &SearchRequest, taxonomy: &Taxonomy) -> Vec<(String, SearchRequest)> {
    let mut out = Vec::new();
    let base = SearchRequest {
        page: 1,
        ..req.clone()
    };
    for t in &req.types {
        let mut r = base.clone();
        r.types.retain(|x| x != t);
        out.push((taxonomy.type_label(t).to_string(), r));
    }
    for a in &req.access {
        let mut r = base.clone();
        r.access.retain(|x| x != a);
        out.push((taxonomy.access_label(a).to_string(), r));
    }
    if req.free {
        out.push((
            "Free only".into(),
            SearchRequest {
                free: false,
                ..base.clone()
            },
        ));
    }
    for d in &req.days {
        let mut r = base.clone();
        r.days.retain(|x| x != d);
        out.push((d.name().to_string(), r));
    }
    for t in &req.times {
        let mut r = base.clone();
        r.times.retain(|x| x != t);
        out.push((time_label(*t).to_string(), r));
    }
    if let Some(a) = req.age {
        out.push((
            format!("Age {a}"),
            SearchRequest {
                age: None,
                ..base.clone()
            },
        ));
    }
    for m in &req.modes {
        let mut r = base.clone();
        r.modes.retain(|x| x != m);
        out.push((m.label().to_string(), r));
    }
    if let Some(sort) = req.sort {
        let label = match sort {
            Sort::Relevance => "Best match first",
            Sort::Distance => "Nearest first",
        };
        out.push((
            label.to_string(),
            SearchRequest {
                sort: None,
                ..base.clone()
            },
        ));
    }
    out
}

/// Every filter, behind a "Filter results" control that starts closed, so on a phone
/// the results come first; on a wide screen the stylesheet shows it open as a side
/// column. Its fields belong to the search form (`form="search"`), so one button
/// sends the words, the place and the filters together, and nothing needs JavaScript.
fn filters_panel(
    req: &SearchRequest,
    errors: &[ParamError],
    results: Option<&SearchResults>,
    taxonomy: &Taxonomy,
) -> Markup {
    let count_for = |slug: &str| -> Option<String> {
        results.and_then(|r| {
            r.type_counts.iter().find(|t| t.slug == slug).map(|t| {
                // Counted in part (a broad search): at least this many.
                if t.partial {
                    format!("{} or more", thousands(t.count as usize))
                } else {
                    t.count.to_string()
                }
            })
        })
    };
    let applied = applied_count(req);
    html! {
        details.filters open[field_error(errors, "age").is_some()] {
            summary {
                "Filter results"
                @if applied > 0 { " (" (applied) " applied)" }
            }
            div.filters-body {
                h2.filters-title { "Filter results" }
                fieldset #mode {
                    legend { "How it happens" }
                    @for m in Mode::ALL {
                        div.check {
                            input type="checkbox" form="search" name="mode" value=(m.slug()) id={ "mode-" (m.slug()) }
                                checked[req.modes.contains(&m)];
                            label for={ "mode-" (m.slug()) } { (m.label()) }
                        }
                    }
                }
                fieldset {
                    legend { "Cost" }
                    div.check {
                        input #free type="checkbox" form="search" name="free" value="1" checked[req.free];
                        label for="free" { "Free only" }
                    }
                }
                fieldset #day {
                    legend { "Day" }
                    @for d in crate::listing::Day::ALL {
                        div.check {
                            input type="checkbox" form="search" name="day" value=(d.slug()) id={ "day-" (d.slug()) }
                                checked[req.days.contains(&d)];
                            label for={ "day-" (d.slug()) } { (d.name()) }
                        }
                    }
                }
                fieldset #time {
                    legend { "Time of day" }
                    @for t in TimeOfDay::ALL {
                        div.check {
                            input type="checkbox" form="search" name="time" value=(t.slug()) id={ "time-" (t.slug()) }
                                checked[req.times.contains(&t)];
                            label for={ "time-" (t.slug()) } { (time_label(t)) }
                        }
                    }
                }
                fieldset {
                    legend { "Accessibility" }
                    span.hint { "Only show activities that have all of these" }
                    @for a in &taxonomy.access {
                        div.check {
                            input type="checkbox" form="search" name="access" value=(a.slug) id={ "access-" (a.slug) }
                                checked[req.access.contains(&a.slug)];
                            label for={ "access-" (a.slug) } { (a.label) }
                        }
                    }
                }
                div.field.(if field_error(errors, "age").is_some() { "field-error" } else { "" }) {
                    label for="age" { "Age of the person" }
                    @if let Some(e) = field_error(errors, "age") {
                        p.error-message { span.visually-hidden { "Error: " } (e.message) }
                    }
                    input #age.short type="text" form="search" inputmode="numeric" name="age"
                        value=(req.age.map(|a| a.to_string()).unwrap_or_default());
                }
                fieldset {
                    legend { "Type of activity" }
                    @for t in &taxonomy.types {
                        div.check {
                            input type="checkbox" form="search" name="type" value=(t.slug) id={ "type-" (t.slug) }
                                checked[req.types.contains(&t.slug)];
                            label for={ "type-" (t.slug) } {
                                (t.label)
                                @if let Some(c) = count_for(&t.slug) { " (" (c) ")" }
                            }
                        }
                    }
                }
                div.field #sort {
                    label for="sort-select" { "Sort by" }
                    select #sort-select form="search" name="sort" {
                        option value="" selected[req.sort.is_none()] { "Best for this search" }
                        option value="relevance" selected[req.sort == Some(Sort::Relevance)] { "Best match" }
                        option value="distance" selected[req.sort == Some(Sort::Distance)] { "Nearest first" }
                    }
                }
                button.button type="submit" form="search" { "Apply filters" }
            }
        }
    }
}

/// Filters read from the words: a short note under the applied filters says so, and
/// links to the search of every word as typed. The filters themselves are the applied
/// filters beside it, each removable, and the place is in the place box.
#[derive(Debug, Clone)]
pub struct Understood {
    /// The search of every word as typed, without the filters read from them.
    pub as_typed: String,
}

fn understood_note(u: &Understood, shortlist: &Shortlist) -> Markup {
    html! {
        p.location-note #understood {
            "We used some of your words as filters. "
            a href={ (u.as_typed) (shortlist.query_suffix()) } { "Search for all your words instead" }
        }
    }
}

pub fn search_page(
    req: &SearchRequest,
    errors: &[ParamError],
    results: Option<&SearchResults>,
    taxonomy: &Taxonomy,
    shortlist: &Shortlist,
    understood: Option<&Understood>,
) -> Markup {
    let title = if !errors.is_empty() {
        "Error: Search".to_string()
    } else if req.q.is_empty() {
        "Search".to_string()
    } else {
        format!("{} – Search", req.q)
    };
    let compact = results.is_some();
    page(
        Frame {
            title: &title,
            shortlist: shortlist.clone(),
            ..Default::default()
        },
        html! {
            (error_summary(errors))
            @if needs_urgent_help(&req.q, taxonomy) { (urgent_help()) }
            h1.search-title { "Find local activities and groups" }
            div.search-layout {
                (search_bar(req, errors, compact, shortlist))
                (filters_panel(req, errors, results, taxonomy))
                div.search-main {
                    @if let Some(r) = results {
                        (results_list(req, r, taxonomy, shortlist, understood))
                    } @else if !shortlist.is_empty() {
                        (shortlist_note(shortlist))
                    }
                }
            }
        },
    )
}

fn shortlist_note(s: &Shortlist) -> Markup {
    html! {
        p.note.shortlist-note {
            "Your shortlist has " (s.len()) @if s.len() == 1 { " activity. " } @else { " activities. " }
            a href={ "/shortlist?s=" (s.param()) } { "View, print or send your shortlist" }
        }
    }
}

/// Words that mean someone may be in crisis: an activity list is not the answer, so
/// the page leads with where to get help now. The needs vocabulary's crisis phrases
/// ("ending it all", "no reason to live") count too ([`Taxonomy::has_crisis_words`]).
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

pub fn needs_urgent_help(q: &str, taxonomy: &Taxonomy) -> bool {
    let lower = q.to_lowercase();
    CRISIS.iter().any(|w| lower.contains(w)) || taxonomy.has_crisis_words(q)
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
    if req.has_filters() {
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
    // Someone who cannot find anything near them can still be helped by a service
    // that works by phone or online and covers where they are.
    let remote = [Mode::Phone, Mode::Online];
    if req.near.is_some() && req.modes != remote {
        let r = SearchRequest {
            near: req.near.clone(),
            near_input: req.near_input.clone(),
            within: req.within,
            modes: remote.to_vec(),
            page: 1,
            ..Default::default()
        };
        out.push((
            "See everything offered by phone or online for this area".into(),
            link(&r),
        ));
    }
    out
}

fn results_list(
    req: &SearchRequest,
    r: &SearchResults,
    taxonomy: &Taxonomy,
    s: &Shortlist,
    understood: Option<&Understood>,
) -> Markup {
    let this_page = req.to_query_string(Some(r.page));
    let from: String = form_urlencoded::byte_serialize(this_page.as_bytes()).collect();
    let remove_link = |id: i64| {
        let list = s.without(id);
        let mut q = this_page.clone();
        if !list.is_empty() {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("s={}", list.param()));
        }
        format!("/search?{q}#r-{id}")
    };
    let card = |h: &Hit| -> Markup {
        html! {
            li.card id={ "r-" (h.id) } {
                div.card-body {
                    h3 { a href={ (h.url) "?from=" (from) (s.query_suffix()) } { (h.title) } }
                    @if !h.organisation.is_empty() { p.org { "Run by " (h.organisation) } }
                    dl.card-facts {
                        div { dt { "Where" } dd { (where_words(h)) } }
                        @if let Some(n) = &h.next_session {
                            div { dt { "Next" } dd { (n.text) } }
                        }
                        div {
                            dt { "Cost" }
                            dd { @if h.free { "Free" } @else { (h.price.as_deref().unwrap_or("Ask about cost")) } }
                        }
                        @if !h.access.is_empty() {
                            div.card-access { dt { "Access" } dd { (key_access(&h.access, req, taxonomy)) } }
                        }
                    }
                }
                div.card-action {
                    @if s.contains(h.id) {
                        p.on-list {
                            strong { "On your shortlist." }
                            " "
                            a href=(remove_link(h.id)) { "Remove" span.visually-hidden { " " (h.title) " from shortlist" } }
                            " · "
                            a href={ "/shortlist?s=" (s.param()) } { "View shortlist (" (s.len()) ")" }
                            " · "
                            a href={ "/shortlist/print?s=" (s.param()) } { "Print a handout" }
                        }
                    } @else if !s.is_full() {
                        (add_form(req, r.page, s, h.id, &h.title))
                    }
                }
            }
        }
    };
    let filters = applied_filters(req, taxonomy);
    let link =
        |r: &SearchRequest| format!("/search?{}{}", r.to_query_string(None), s.query_suffix());
    html! {
        section.results aria-labelledby="results-title" {
            h2 #results-title {
                @if r.more_than_total { "More than " (thousands(r.total)) " results" }
                @else if r.total == 1 { "1 result" } @else { (r.total) " results" }
                @if let Some(l) = &r.location { " near " (l.label) }
            }
            @if let Some(note) = r.location.as_ref().and_then(|l| l.note.as_ref()) {
                p.location-note { (note) }
            }
            @if let Some(better) = &r.did_you_mean {
                p.location-note #did-you-mean {
                    "Did you mean "
                    a href=(link(&SearchRequest { q: better.clone(), page: 1, ..req.clone() })) { (better) }
                    "?"
                }
            }
            @if r.some_words {
                p.location-note #some-words { "Nothing matched all of your words, so these match some of them. Try other words, or fewer." }
            }
            @if !filters.is_empty() {
                div.applied {
                    h3.visually-hidden #applied-title { "Applied filters" }
                    ul.applied-list aria-labelledby="applied-title" {
                        @for (label, without) in &filters {
                            li { a.applied-filter href=(link(without)) { span.visually-hidden { "Remove filter: " } (label) } }
                        }
                        // With nothing found, "Remove all the filters" is offered below.
                        @if filters.len() > 1 && r.total > 0 {
                            li { a href=(link(&SearchRequest { q: req.q.clone(), near: req.near.clone(), near_input: req.near_input.clone(), within: req.within, page: 1, ..Default::default() })) { "Clear all filters" } }
                        }
                    }
                }
            }
            @if let Some(u) = understood { (understood_note(u, s)) }
            @if !s.is_empty() { (shortlist_note(s)) }
            @if r.total == 0 {
                p { "We could not find anything that matches." }
                @let ways = loosen(req, s);
                @if !ways.is_empty() {
                    p { "You could:" }
                    ul { @for (text, href) in &ways { li { a href=(href) { (text) } } } }
                }
                p { "Or " a href={ "/categories" @if !s.is_empty() { "?s=" (s.param()) } } { "browse by category" } ", or try different words, like “walking”, “coffee morning” or “choir”." }
            } @else if r.hits.is_empty() {
                p { "There are no more results. " a href={ "/search?" (req.to_query_string(None)) (s.query_suffix()) } { "Go to the first page" } }
            }
            ol.cards {
                @for h in &r.hits { (card(h)) }
            }
            @if !r.also.is_empty() {
                section.also aria-labelledby="also-title" {
                    h2 #also-title { "Close to your search" }
                    p { "These have some of your words, not all of them, and are close to what you asked for." }
                    ol.cards {
                        @for h in &r.also { (card(h)) }
                    }
                }
            }
            @if r.total > 0 {
                p.download {
                    a href={ "/search.csv?" (req.to_query_string(None)) } { "Download these results (CSV)" }
                    @if r.total > crate::web::downloads::MAX_ROWS { " (the first " (crate::web::downloads::MAX_ROWS) ")" }
                }
            }
            @if r.pages > 1 {
                nav.pagination aria-label="Pages of results" {
                    @if r.page > 1 {
                        a rel="prev" href={ "/search?" (req.to_query_string(Some(r.page - 1))) (s.query_suffix()) } { "Previous page" }
                    }
                    span {
                        "Page " (r.page.min(r.pages.max(1))) " of "
                        @if r.more_than_total { "more than " (thousands(r.pages)) } @else { (r.pages) }
                    }
                    // Pages past the last one a search may ask for are not offered.
                    @if r.page < r.pages && r.page < crate::search::request::MAX_PAGE {
                        a rel="next" href={ "/search?" (req.to_query_string(Some(r.page + 1))) (s.query_suffix()) } { "Next page" }
                    }
                }
            }
        }
    }
}

/// "Add to shortlist": a form that asks for this same page with the listing added to
/// the shortlist in the URL, and comes back to the card (`#r-ID`). It is a GET, like
/// every search link: the shortlist lives only in the address, so nothing is stored
/// and there is no POST to repeat or rate-limit.
fn add_form(req: &SearchRequest, page: usize, s: &Shortlist, id: i64, title: &str) -> Markup {
    html! {
        form.add-form action={ "/search#r-" (id) } method="get" {
            @for (k, v) in req.to_pairs() { input type="hidden" name=(k) value=(v); }
            @if page > 1 { input type="hidden" name="page" value=(page); }
            input type="hidden" name="s" value=(s.with(id).param());
            button.button-secondary type="submit" { "Add" span.visually-hidden { " " (title) } " to shortlist" }
        }
    }
}

/// Where, in the words a person needs: how far (and the venue), or how it reaches
/// them ("Online", "By phone", "Covers Trafford"), or, with no place searched, the venue.
fn where_words(h: &Hit) -> Markup {
    let venue = h.venue.as_deref().filter(|v| !v.is_empty());
    html! {
        @if !h.reach_label.is_empty() {
            strong { (h.reach_label) }
            @if let (Some(v), Reach::Distance) = (venue, h.reach) { ", " (v) }
        } @else if let Some(v) = venue {
            (v) @if let Some(p) = &h.postcode { ", " (p) }
        } @else {
            (h.mode.iter().map(|m| m.label()).collect::<Vec<_>>().join(", "))
        }
    }
}

/// Up to three accessibility features in words: those the person asked for first, then
/// the ones that most often decide whether someone can come.
fn key_access(access: &[String], req: &SearchRequest, taxonomy: &Taxonomy) -> String {
    let rank = |a: &String| {
        if req.access.contains(a) {
            0
        } else {
            1 + ACCESS_ORDER
                .iter()
                .position(|x| x == a)
                .unwrap_or(ACCESS_ORDER.len())
        }
    };
    let mut sorted: Vec<&String> = access.iter().collect();
    sorted.sort_by_key(|a| rank(a));
    let mut words: Vec<String> = sorted
        .iter()
        .take(CARD_ACCESS)
        .map(|a| taxonomy.access_label(a).to_string())
        .collect();
    if access.len() > CARD_ACCESS {
        words.push(format!("{} more", access.len() - CARD_ACCESS));
    }
    words.join(", ")
}

/// 10000 as "10,000", for the large numbers a broad search is counted up to.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
