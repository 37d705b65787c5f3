//! Home, categories, the text pages and the "report a problem" form.

use maud::{Markup, PreEscaped, html};

use super::{Frame, page};
use crate::listing::{Listing, Taxonomy};
use crate::search::TypeCount;
use crate::web::shortlist::Shortlist;

fn count_of(counts: &[TypeCount], slug: &str) -> u64 {
    counts
        .iter()
        .find(|c| c.slug == slug)
        .map_or(0, |c| c.count)
}

fn tiles(taxonomy: &Taxonomy, counts: &[TypeCount], s: &Shortlist) -> Markup {
    html! {
        ul.tiles {
            @for t in &taxonomy.types {
                @let n = count_of(counts, &t.slug);
                @if n > 0 {
                    li {
                        a href={ "/search?type=" (t.slug) (s.query_suffix()) } { (t.label) }
                        span.tile-count { " (" (n) ")" }
                        p { (t.description) }
                    }
                }
            }
        }
    }
}

pub fn home_page(taxonomy: &Taxonomy, counts: &[TypeCount], s: &Shortlist) -> Markup {
    page(
        Frame {
            title: "Find local activities and groups",
            shortlist: s.clone(),
            ..Default::default()
        },
        html! {
            h1 { "Find local activities and groups" }
            p.lead { "Walking groups, choirs, gardening, coffee mornings, support groups and much more, near you." }
            form.search.home action="/search" method="get" role="search" {
                div.field {
                    label for="q" { "What are you looking for?" }
                    span.hint #q-hint { "For example: walking, choir, lonely, memory cafe" }
                    input #q type="search" name="q" aria-describedby="q-hint" autocomplete="off" autofocus;
                }
                div.field {
                    label for="near" { "Town or postcode" }
                    span.hint #near-hint { "A town or area, like Sale or Chorlton, or a postcode, like M33 7XW or M33. You can leave this empty." }
                    input #near type="text" name="near" autocomplete="postal-code" aria-describedby="near-hint" spellcheck="false";
                }
                @if !s.is_empty() { input type="hidden" name="s" value=(s.param()); }
                button.button type="submit" { "Search" }
            }
            h2 { "Browse by type of activity" }
            (tiles(taxonomy, counts, s))
            h2 { "Looking for something for yourself?" }
            p { "You do not need to see a doctor or be referred for most of these activities. Many are free, and at most you can just turn up." }
            p { "If you are not sure whether something is right for you, phone or email the contact on the listing and ask. Groups are used to people asking questions before they come." }
            p { "You can also ask your GP practice about a social prescribing link worker, who can help you find something and may be able to come along the first time." }
            h2 { "Helping someone else?" }
            p { "Add activities to a shortlist, then print it, send it as a text message, or show a QR code the person can scan with their phone. Nothing about the person is stored." }
            h2 { "Run a group or activity?" }
            p { a href="/add" { "Add your activity to Signpost" } ". It is free and you do not need an account." }
        },
    )
}

pub fn categories_page(taxonomy: &Taxonomy, counts: &[TypeCount], s: &Shortlist) -> Markup {
    page(
        Frame {
            title: "Browse by category",
            shortlist: s.clone(),
            ..Default::default()
        },
        html! {
            h1 { "Browse by category" }
            p { "Choose a type of activity to see everything listed. You can narrow it down by place, day, cost and access on the next page." }
            (tiles(taxonomy, counts, s))
        },
    )
}

/// A text page rendered from Markdown in `content/pages/`.
pub fn text_page(title: &str, html_body: &str) -> Markup {
    page(
        Frame {
            title,
            ..Default::default()
        },
        html! { div.prose { (PreEscaped(html_body)) } },
    )
}

/// Reasons a person can pick when reporting a listing.
pub const REPORT_REASONS: &[(&str, &str)] = &[
    ("stopped", "It has stopped running"),
    ("times", "The days, times or place are wrong"),
    ("contact", "The contact details do not work"),
    ("access", "The accessibility information is wrong"),
    ("cost", "The cost is wrong"),
    ("unsuitable", "It is not suitable or not safe"),
    ("other", "Something else"),
];

pub struct ReportForm<'a> {
    pub reason: &'a str,
    pub details: &'a str,
    pub email: &'a str,
}

pub fn report_page(l: &Listing, form: &ReportForm<'_>, errors: &[(&str, String)]) -> Markup {
    let error_for = |f: &str| errors.iter().find(|(k, _)| *k == f).map(|(_, m)| m);
    page(
        Frame {
            title: &if errors.is_empty() {
                format!("Report a problem with {}", l.title)
            } else {
                format!("Error: Report a problem with {}", l.title)
            },
            ..Default::default()
        },
        html! {
            @if !errors.is_empty() {
                div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                    h2 #error-summary-title { "There is a problem" }
                    ul { @for (field, msg) in errors { li { a href={ "#" (field) } { (msg) } } } }
                }
            }
            p { a href={ "/listings/" (l.id) } { "Back to " (l.title) } }
            h1 { "Report a problem with this listing" }
            p { "Tell us what is wrong with " strong { (l.title) } ". Someone will check it and correct the listing." }
            form method="post" action={ "/listings/" (l.id) "/report" } {
                div.field.(if error_for("reason").is_some() { "field-error" } else { "" }) {
                    fieldset #reason {
                        legend { "What is wrong?" }
                        @if let Some(m) = error_for("reason") {
                            p.error-message { span.visually-hidden { "Error: " } (m) }
                        }
                        @for (value, label) in REPORT_REASONS {
                            div.check {
                                input type="radio" name="reason" value=(value) id={ "reason-" (value) } checked[form.reason == *value];
                                label for={ "reason-" (value) } { (label) }
                            }
                        }
                    }
                }
                div.field.(if error_for("details").is_some() { "field-error" } else { "" }) {
                    label for="details" { "Tell us more (optional)" }
                    span.hint #details-hint { "For example, the new day or time. Do not include anyone's medical or personal details." }
                    @if let Some(m) = error_for("details") {
                        p.error-message { span.visually-hidden { "Error: " } (m) }
                    }
                    textarea #details name="details" rows="5" aria-describedby="details-hint" { (form.details) }
                }
                div.field.(if error_for("email").is_some() { "field-error" } else { "" }) {
                    label for="email" { "Your email address (optional)" }
                    span.hint #email-hint { "Only if you are happy for us to contact you about this report." }
                    @if let Some(m) = error_for("email") {
                        p.error-message { span.visually-hidden { "Error: " } (m) }
                    }
                    input #email type="email" name="email" value=(form.email) autocomplete="email" aria-describedby="email-hint" spellcheck="false";
                }
                button.button type="submit" { "Send report" }
            }
        },
    )
}

pub fn report_done_page(l: &Listing, reference: &str) -> Markup {
    page(
        Frame {
            title: "Report sent",
            ..Default::default()
        },
        html! {
            div.panel {
                h1 { "Report sent" }
                p { "Your reference is " strong { (reference) } }
            }
            p { "Thank you. Someone will check " (l.title) " and correct the listing if needed." }
            p { a href={ "/listings/" (l.id) } { "Back to " (l.title) } }
        },
    )
}
