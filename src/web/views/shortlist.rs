//! The shortlist and the ways to hand it over: a page to review it, a one-page A4
//! handout (normal or large print) with a QR code, the page the short link opens,
//! and plain text to paste into a text message or email.

use chrono::NaiveDateTime;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::listing::{address_line, contact_email, contact_phone, cost_text, when_lines};
use super::{Frame, page};
use crate::listing::{Listing, Taxonomy};
use crate::web::shortlist::Shortlist;

fn access_text(l: &Listing, taxonomy: &Taxonomy) -> String {
    l.access
        .features
        .iter()
        .map(|a| taxonomy.access_label(a))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One listing as a handout entry: everything needed to go, nothing to click.
fn entry(l: &Listing, taxonomy: &Taxonomy, now: NaiveDateTime, link: Option<&str>) -> Markup {
    let next = l.schedule.next(now);
    html! {
        li.entry {
            h2 {
                @if let Some(href) = link { a href=(href) { (l.title) } } @else { (l.title) }
            }
            @if !l.summary.is_empty() { p { (l.summary) } }
            dl.facts {
                dt { "When" }
                dd {
                    @for w in when_lines(l) { (w) br; }
                    @if let Some(n) = next { "Next: " (n.describe()) }
                }
                dt { "Where" }
                dd { (address_line(l)) }
                dt { "Cost" }
                dd { (cost_text(l)) }
                @let access = access_text(l, taxonomy);
                @if !access.is_empty() { dt { "Access" } dd { (access) } }
                dt { "How to join" }
                dd {
                    (l.join.method.label()) ". "
                    @if let Some(p) = contact_phone(l) { "Phone " (p) ". " }
                    @if let Some(e) = contact_email(l) { "Email " (e) "." }
                }
                // What a nervous first-timer most wants to know on the day.
                @if !l.join.meeting_point.is_empty() || l.join.leader.is_some() {
                    dt { "First visit" }
                    dd {
                        @if !l.join.meeting_point.is_empty() { (l.join.meeting_point) " " }
                        @if let Some(name) = &l.join.leader { "Led by " (name) "." }
                    }
                }
            }
        }
    }
}

pub fn shortlist_page(
    listings: &[Listing],
    s: &Shortlist,
    short_url: &str,
    taxonomy: &Taxonomy,
    now: NaiveDateTime,
) -> Markup {
    page(
        Frame {
            title: "Your shortlist",
            shortlist: s.clone(),
            ..Default::default()
        },
        html! {
            h1 { "Your shortlist" }
            @if listings.is_empty() {
                p { "Your shortlist is empty. Search for activities and choose “Add to shortlist” on the ones you want to hand over." }
                p { a href="/search" { "Search for activities" } }
            } @else {
                p { "Nothing about the person you are helping is stored. The shortlist lives only in this page’s web address." }
                ol.cards {
                    @for l in listings {
                        li.card {
                            h2 { a href={ "/listings/" (l.id) "?s=" (s.param()) } { (l.title) } }
                            @if !l.organisation.name.is_empty() { p.org { (l.organisation.name) } }
                            p {
                                @for w in when_lines(l) { (w) br; }
                                @if let Some(n) = l.schedule.next(now) { "Next: " (n.describe()) }
                            }
                            p { (address_line(l)) }
                            @let access = access_text(l, taxonomy);
                            @if !access.is_empty() { p { "Access: " (access) } }
                            p {
                                a href={ "/shortlist" @if s.len() > 1 { "?s=" (s.without(l.id).param()) } } {
                                    "Remove" span.visually-hidden { " " (l.title) } " from shortlist"
                                }
                            }
                        }
                    }
                }
                h2 { "Hand it over" }
                ul.actions {
                    li { a href={ "/shortlist/print?s=" (s.param()) } { "Print a handout" } }
                    li {
                        a href={ "/shortlist/print?s=" (s.param()) "&size=large" } { "Print a large-print handout" }
                        " (about one page for every two activities)"
                    }
                    li { a href={ "/shortlist/text?s=" (s.param()) } { "Text to paste into a message or email" } }
                    @if listings.iter().any(|l| !l.schedule.sessions.is_empty() || !l.schedule.dates.is_empty()) {
                        li { a href={ "/shortlist/calendar.ics?s=" (s.param()) } { "Add their sessions to a calendar" } " (an .ics file for phone and computer calendars)" }
                    }
                }
                h3 { "Short link" }
                p { "Read it out or send it: " a href=(short_url) { (short_url) } }
                h3 { "QR code" }
                p { "The person can scan this with their phone camera to open the list." }
                p { img.qr src={ "/h/" (s.code()) "/qr.svg" } alt={ "QR code for " (short_url) } width="200" height="200"; }
                p { a href="/search" { "Add more activities" } }
            }
        },
    )
}

/// The printable one-page handout: no site chrome, no links needed to use it.
pub fn handout_page(
    listings: &[Listing],
    short_url: &str,
    qr_svg: Option<&str>,
    large: bool,
    taxonomy: &Taxonomy,
    now: NaiveDateTime,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Activities suggested for you – Signpost" }
                link rel="stylesheet" href="/static/site.css";
            }
            body.handout.(if large { "large" } else { "" }) {
                main {
                    h1 { "Activities suggested for you" }
                    p { "Printed " (now.format("%-d %B %Y")) ". Times can change: phone or email before you go." }
                    ol.entries {
                        @for l in listings { (entry(l, taxonomy, now, None)) }
                    }
                    div.online {
                        @if let Some(svg) = qr_svg {
                            div.qr role="img" aria-label={ "QR code for " (short_url) } { (PreEscaped(svg)) }
                        }
                        p { "See this list on your phone or computer:" br; strong { (short_url) } }
                    }
                }
            }
        }
    }
}

/// The page a short link or QR code opens: the same list, for the person themselves.
pub fn shared_page(listings: &[Listing], taxonomy: &Taxonomy, now: NaiveDateTime) -> Markup {
    page(
        Frame {
            title: "Activities suggested for you",
            ..Default::default()
        },
        html! {
            h1 { "Activities suggested for you" }
            p { "Times can change, so phone or email before you go." }
            ol.entries {
                @for l in listings {
                    (entry(l, taxonomy, now, Some(&format!("/listings/{}", l.id))))
                }
            }
        },
    )
}

/// Plain text for a text message or email.
pub fn shortlist_text(
    listings: &[Listing],
    short_url: &str,
    base: &str,
    now: NaiveDateTime,
) -> String {
    let mut out = String::from("Activities suggested for you\n");
    for (i, l) in listings.iter().enumerate() {
        out.push_str(&format!("\n{}. {}\n", i + 1, l.title));
        for w in when_lines(l) {
            out.push_str(&format!("   {w}\n"));
        }
        if let Some(n) = l.schedule.next(now) {
            out.push_str(&format!("   Next: {}\n", n.describe()));
        }
        let place = address_line(l);
        if !place.is_empty() {
            out.push_str(&format!("   {place}\n"));
        }
        out.push_str(&format!("   {}\n", cost_text(l)));
        if let Some(p) = contact_phone(l) {
            out.push_str(&format!("   Phone {p}\n"));
        }
        out.push_str(&format!("   {base}/listings/{}\n", l.id));
    }
    out.push_str(&format!("\nAll of these: {short_url}\n"));
    out
}
