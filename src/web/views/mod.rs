//! HTML views (maud). Everything user-supplied is escaped by maud; nothing here
//! writes pre-escaped text from data.
//!
//! The layout follows the GOV.UK pattern: skip link, one `h1` per page, labels on
//! every field, an error summary at the top that links to each field in error.

use maud::{DOCTYPE, Markup, html};

use super::WebError;
use super::shortlist::Shortlist;
use crate::search::ParamError;

pub mod groups;
mod listing;
pub mod moderate;
mod pages;
mod search;
mod shortlist;

pub use pages::{
    REPORT_REASONS, ReportForm, categories_page, home_page, report_done_page, report_page,
    text_page,
};
pub use shortlist::{handout_page, shared_page, shortlist_page, shortlist_text};

pub use listing::{ListingContext, listing_page};
pub use search::{Understood, search_page};

/// What every page's frame needs besides its body.
#[derive(Default)]
pub struct Frame<'a> {
    pub title: &'a str,
    /// The link worker's shortlist, carried on the header link.
    pub shortlist: Shortlist,
    /// Extra elements for `<head>` (JSON-LD, canonical link).
    pub head: Option<Markup>,
}

pub fn layout(title: &str, body: Markup) -> Markup {
    page(
        Frame {
            title,
            ..Default::default()
        },
        body,
    )
}

pub fn page(frame: Frame<'_>, body: Markup) -> Markup {
    let s = &frame.shortlist;
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " – Signpost" }
                link rel="stylesheet" href="/static/site.css";
                @if let Some(h) = frame.head { (h) }
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.site {
                    div.wrap {
                        a.brand href={ "/" @if !s.is_empty() { "?s=" (s.param()) } } { "Signpost" }
                        span.tagline { "Local activities and groups" }
                        nav.site-nav aria-label="Main" {
                            a href={ "/categories" @if !s.is_empty() { "?s=" (s.param()) } } { "Browse by category" }
                            a href={ "/shortlist" @if !s.is_empty() { "?s=" (s.param()) } } {
                                "Shortlist" @if !s.is_empty() { " (" (s.len()) ")" }
                            }
                        }
                    }
                }
                main #main .wrap {
                    (body)
                }
                footer.site {
                    div.wrap {
                        ul.footer-links {
                            li { a href="/about" { "About Signpost" } }
                            li { a href="/privacy" { "Privacy" } }
                            li { a href="/accessibility" { "Accessibility statement" } }
                        }
                        p { "Signpost lists local activities, groups and services. It does not use cookies or track you." }
                    }
                }
            }
        }
    }
}

pub(super) fn field_error<'a>(errors: &'a [ParamError], param: &str) -> Option<&'a ParamError> {
    errors.iter().find(|e| e.param == param)
}

pub(super) fn error_summary(errors: &[ParamError]) -> Markup {
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

pub fn error_page(e: &WebError) -> Markup {
    let (title, text) = match e {
        WebError::NotFound => (
            "Page not found",
            "If you typed the web address, check it is correct. If you followed a link, the listing may have been removed.",
        ),
        WebError::TimedOut => (
            "Sorry, that took too long",
            "We could not answer in time. Please try again in a minute.",
        ),
        e if e.is_internal() => (
            "Sorry, there is a problem with the service",
            "Please try again in a few minutes.",
        ),
        _ => (
            "There is a problem",
            "Check what you entered and try again.",
        ),
    };
    layout(
        title,
        html! {
            h1 { (title) }
            p { (text) }
            form.search action="/search" method="get" role="search" {
                div.field {
                    label for="q" { "What are you looking for?" }
                    input #q type="search" name="q" autocomplete="off";
                }
                div.field {
                    label for="near" { "Postcode (optional)" }
                    input #near type="text" name="near" autocomplete="postal-code" spellcheck="false";
                }
                button.button type="submit" { "Search" }
            }
            p { a href="/categories" { "Browse activities by category" } }
        },
    )
}
