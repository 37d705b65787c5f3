//! The listing page: everything in the model, laid out for reading.

use chrono::NaiveDateTime;
use maud::{Markup, PreEscaped, html};

use super::{Frame, page};
use crate::listing::{Listing, Mode, Taxonomy, TravelMode};
use crate::web::shortlist::Shortlist;

/// "Every Tuesday, 10am to 11:30am" for each rule, then one-off dates ahead, then the note.
pub(super) fn when_lines(l: &Listing) -> Vec<String> {
    let mut out: Vec<String> = l.schedule.sessions.iter().map(|s| s.describe()).collect();
    if !l.schedule.note.is_empty() {
        out.push(l.schedule.note.clone());
    }
    if out.is_empty() && l.schedule.dates.is_empty() {
        out.push("Times not given — contact the organiser".into());
    }
    out
}

pub(super) fn address_line(l: &Listing) -> String {
    if let Some(v) = l
        .venue
        .as_ref()
        .filter(|_| l.modes.contains(&Mode::InPerson))
    {
        let mut parts: Vec<&str> = [v.name.as_str(), v.address.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        if let Some(pc) = &v.postcode {
            parts.push(pc);
        }
        return parts.join(", ");
    }
    if l.modes.is_empty() {
        return placed_by_area(l);
    }
    let modes: Vec<&str> = l.modes.iter().map(|m| m.label()).collect();
    let mut s = modes.join(", ");
    if !l.area_served.description.is_empty() {
        s.push_str(&format!(" (covers {})", l.area_served.description));
    }
    s
}

/// Where a listing that says nothing of how people take part is: the area it was
/// placed in ("Covers North Lincolnshire"), or that it does not say.
pub(super) fn placed_by_area(l: &Listing) -> String {
    if l.area_served.description.is_empty() {
        "Area not stated".into()
    } else {
        format!("Covers {}", l.area_served.description)
    }
}

pub(super) fn cost_text(l: &Listing) -> String {
    let mut s = if l.cost.free {
        "Free".to_string()
    } else {
        l.cost
            .price
            .clone()
            .unwrap_or_else(|| "Ask the group about cost".into())
    };
    if l.cost.pay_what_you_can && !s.to_lowercase().contains("pay what you can") {
        s.push_str(" (pay what you can)");
    }
    if let Some(c) = &l.cost.concessions {
        s.push_str(&format!(". {c}"));
    }
    s
}

pub(super) fn contact_phone(l: &Listing) -> Option<&str> {
    l.join
        .contact
        .phone
        .as_deref()
        .or(l.organisation.phone.as_deref())
}

pub(super) fn contact_email(l: &Listing) -> Option<&str> {
    l.join
        .contact
        .email
        .as_deref()
        .or(l.organisation.email.as_deref())
}

/// Where "Back to search" goes and which shortlist the page carries.
pub struct ListingContext {
    pub shortlist: Shortlist,
    /// The search this page was opened from, as a query string already re-serialised.
    pub from: Option<String>,
    pub page_url: String,
    pub json_ld: String,
    /// Other sources publishing the same activity (merged into this listing).
    pub also_from: Vec<crate::listing::Provenance>,
    /// "Last checked ..." shown prominently when the listing is due for checking.
    pub check_notice: Option<String>,
}

pub fn listing_page(
    l: &Listing,
    ctx: &ListingContext,
    taxonomy: &Taxonomy,
    now: NaiveDateTime,
) -> Markup {
    let upcoming = l.schedule.next_occurrences(now, 5);
    let s = &ctx.shortlist;
    let back = match &ctx.from {
        Some(q) => format!("/search?{q}{}", s.query_suffix()),
        None => format!(
            "/search{}",
            if s.is_empty() {
                String::new()
            } else {
                format!("?s={}", s.param())
            }
        ),
    };
    let here = |list: &Shortlist| {
        let mut q = Vec::new();
        if !list.is_empty() {
            q.push(format!("s={}", list.param()));
        }
        if let Some(f) = &ctx.from {
            q.push(format!(
                "from={}",
                form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>()
            ));
        }
        if q.is_empty() {
            format!("/listings/{}", l.id)
        } else {
            format!("/listings/{}?{}", l.id, q.join("&"))
        }
    };
    let head = html! {
        link rel="canonical" href=(ctx.page_url);
        script type="application/ld+json" { (PreEscaped(&ctx.json_ld)) }
    };
    page(
        Frame {
            title: &l.title,
            shortlist: s.clone(),
            head: Some(head),
        },
        html! {
            p { a href=(back) { "Back to search" } }
            h1 { (l.title) }
            @if let Some(n) = &ctx.check_notice { p.notice #last-checked { strong { (n) } } }
            @if !l.organisation.name.is_empty() { p.org { "Run by " (l.organisation.name) } }
            @if !l.summary.is_empty() { p.lead { (l.summary) } }
            p.tags {
                (l.types.iter().map(|t| taxonomy.type_label(t)).collect::<Vec<_>>().join(" · "))
            }
            // The answer a person came for, one link away from the top.
            p.join-jump { "How to join: " strong { (l.join.method.label()) } ". " a href="#how-to-join" { "What to do and who to contact" } }
            div.shortlist-action {
                @if s.contains(l.id) {
                    p { strong { "On your shortlist. " } a href=(here(&s.without(l.id))) { "Remove from shortlist" } " · " a href={ "/shortlist?s=" (s.param()) } { "View shortlist (" (s.len()) ")" } }
                } @else if s.is_full() {
                    p { "Your shortlist is full. " a href={ "/shortlist?s=" (s.param()) } { "View shortlist" } }
                } @else {
                    p { a.button-secondary href=(here(&s.with(l.id))) { "Add to shortlist" } }
                }
            }
            h2 { "What happens" }
            @for para in l.description.split("\n\n").filter(|p| !p.trim().is_empty()) {
                p { (para.trim()) }
            }
            h2 { "When" }
            ul {
                @for w in when_lines(l) { li { (w) } }
            }
            @if !upcoming.is_empty() {
                h3 { "Next dates" }
                ul { @for o in &upcoming { li { (o.describe()) } } }
                p { a href={ "/listings/" (l.id) "/calendar.ics" } { "Add to your calendar" } " (a file for Outlook, Google, Apple and other calendars)" }
            }
            (where_section(l))
            h2 { "Cost" }
            p { (cost_text(l)) }
            (access_and_audience(l, taxonomy))
            h2 #how-to-join { "How to join" }
            p { strong { (l.join.method.label()) } }
            @if !l.join.details.is_empty() { p { (l.join.details) } }
            @if !l.join.meeting_point.is_empty() {
                h3 { "Your first visit" }
                p { (l.join.meeting_point) }
            }
            @if l.join.leader.is_some() || l.join.places.is_some() {
                ul {
                    @if let Some(name) = &l.join.leader { li { "Led by " (name) } }
                    @if let Some(n) = l.join.places {
                        li { @if n == 1 { "One person at a time" } @else { "Up to " (n) " people a session" } }
                    }
                }
            }
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
            (sources(l, &ctx.also_from))
            p { a href={ "/listings/" (l.id) "/report" } { "Report a problem with this listing" } }
        },
    )
}

/// Where it happens: the venue with map and walking-directions links, how it reaches
/// people who cannot come, or (for a listing placed only by area) what is known and
/// what to ask.
fn where_section(l: &Listing) -> Markup {
    html! {
    h2 { "Where" }
    @if let Some(v) = l.venue.as_ref().filter(|_| l.modes.contains(&Mode::InPerson)) {
        p.address {
            @if !v.name.is_empty() { (v.name) br; }
            @if !v.address.is_empty() { (v.address) br; }
            @if let Some(pc) = &v.postcode { (pc) }
        }
        @if let (Some(lat), Some(lon)) = (v.lat, v.lon) {
            ul {
                li {
                    a href={ "https://www.openstreetmap.org/?mlat=" (lat) "&mlon=" (lon) "#map=17/" (lat) "/" (lon) } {
                        "See " (if v.name.is_empty() { "the place" } else { v.name.as_str() }) " on a map"
                    }
                    " (OpenStreetMap)"
                }
                li {
                    a href={ "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=%3B" (lat) "%2C" (lon) } {
                        "Walking directions"
                    }
                    " (OpenStreetMap: enter where you are starting from)"
                }
            }
        }
    }
    @let remote: Vec<&str> = l.modes.iter().filter(|m| **m != Mode::InPerson).map(|m| m.label()).collect();
    @if !remote.is_empty() {
        p { (remote.join(", ")) @if !l.area_served.description.is_empty() { " – covers " (l.area_served.description) } }
    }
    @if !l.access.travel.is_empty() {
        h3 { "Getting there" }
        @for t in &l.access.travel {
            p {
                @if t.by != TravelMode::Any { strong { (t.by.label()) ": " } }
                (t.note)
            }
        }
    }
    @if l.modes.is_empty() {
        @if let Some(v) = l.venue.as_ref().filter(|v| !v.name.is_empty() || !v.address.is_empty()) {
            p.address {
                @if !v.name.is_empty() { (v.name) br; }
                @if !v.address.is_empty() { (v.address) }
            }
        }
        p #where-placed { (placed_by_area(l)) "." }
        @if l.area_served.description.is_empty() {
            p { "The listing does not say where it takes place. Contact the organiser to ask." }
        } @else {
            p { "The listing does not give an address. Contact the organiser to ask where it takes place." }
        }
    }
    }
}

/// Accessibility features and notes, and who it is for.
fn access_and_audience(l: &Listing, taxonomy: &Taxonomy) -> Markup {
    html! {
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
    @if let Some(level) = l.audience.level { p { (level.label()) "." } }
    @if !l.audience.circumstances.is_empty() {
        p { "Especially for: "
            (l.audience.circumstances.iter().filter_map(|c| taxonomy.circumstance(c)).map(|c| c.label.as_str()).collect::<Vec<_>>().join(", ")) }
    }
    @if !l.audience.notes.is_empty() { p { (l.audience.notes) } }
    }
}

/// Where the details come from; more than one source when the same activity was
/// published by several and merged.
fn sources(l: &Listing, also: &[crate::listing::Provenance]) -> Markup {
    let one = |p: &crate::listing::Provenance| match &p.source_url {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
            html! { a href=(u) { (p.source) } }
        }
        _ => html! { (p.source) },
    };
    html! {
        @if also.is_empty() {
            @if l.provenance.source_url.is_some() {
                p.meta { "Source: " (one(&l.provenance)) "." }
            } @else if l.modes.is_empty() && !l.provenance.source.is_empty() {
                // Said when the listing gives little else to go on.
                p.meta { "Source: " (one(&l.provenance)) "." }
            }
        } @else {
            p.meta {
                "This activity is listed by more than one source and is shown once: "
                (one(&l.provenance))
                @for p in also { ", " (one(p)) }
                "."
            }
        }
    }
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
