//! The moderation area: sign in, the queue, one submission (with a field-by-field diff
//! for changes), and the audit log.

use maud::{Markup, html};

use super::{Frame, page};
use crate::groups::ListingForm;
use crate::groups::form::FIELDS;
use crate::listing::Taxonomy;
use crate::store::{AuditEntry, DueListing, MissedSearch, Submission, Uncategorised};

fn nav(user: &str, csrf: &str) -> Markup {
    html! {
        nav.mod-nav aria-label="Moderation" {
            a href="/moderate" { "Queue" } " · "
            a href="/moderate/find" { "Find a listing" } " · "
            a href="/moderate/categories" { "Needs a category" } " · "
            a href="/moderate/searches" { "Searches that found nothing" } " · "
            a href="/moderate/audit" { "Audit log" } " · "
            span { "Signed in as " (user) } " "
            form.inline method="post" action="/moderate/logout" {
                input type="hidden" name="csrf" value=(csrf);
                button.link-button type="submit" { "Sign out" }
            }
        }
    }
}

pub fn login_page(error: Option<&str>, username: &str, token: &str) -> Markup {
    page(
        Frame {
            title: if error.is_some() {
                "Error: Sign in to moderate"
            } else {
                "Sign in to moderate"
            },
            ..Default::default()
        },
        html! {
            @if let Some(e) = error {
                div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                    h2 #error-summary-title { "There is a problem" }
                    ul { li { a href="#username" { (e) } } }
                }
            }
            h1 { "Sign in to moderate" }
            form method="post" action="/moderate/login" {
                input type="hidden" name="ft" value=(token);
                div.field { label for="username" { "Username" } input #username type="text" name="username" value=(username) autocomplete="username" spellcheck="false"; }
                div.field { label for="password" { "Password" } input #password type="password" name="password" autocomplete="current-password"; }
                button.button type="submit" { "Sign in" }
            }
        },
    )
}

pub struct QueueItem {
    pub sub: Submission,
    pub title: String,
}

pub fn queue_page(
    user: &str,
    csrf: &str,
    subs: &[QueueItem],
    reports: &[(i64, i64, String, String, Option<String>)],
    due: &[DueListing],
    flash: Option<&str>,
) -> Markup {
    page(
        Frame {
            title: "Moderation queue",
            ..Default::default()
        },
        html! {
            (nav(user, csrf))
            @if let Some(f) = flash { div.notice role="status" { (f) } }
            h1 { "Moderation queue" }
            h2 { "Submissions (" (subs.len()) ")" }
            @if subs.is_empty() { p { "Nothing waiting." } }
            ul.queue {
                @for q in subs {
                    li {
                        a href={ "/moderate/submissions/" (q.sub.id) } { (crate::groups::reference(q.sub.id)) ": " (q.title) }
                        " — " @if q.sub.kind == "edit" { "proposed change" } @else { "new listing" } ", sent " (q.sub.created_at)
                    }
                }
            }
            h2 { "Reports (" (reports.len()) ")" }
            @if reports.is_empty() { p { "No open reports." } }
            ul.queue {
                @for (id, listing, reason, details, email) in reports {
                    li {
                        "R" (format!("{id:06}")) " on " a href={ "/listings/" (listing) } { "listing " (listing) } ": " strong { (reason) } " " (details)
                        @if let Some(e) = email { " (from " (e) ")" }
                        form.inline method="post" action={ "/moderate/reports/" (id) "/close" } {
                            input type="hidden" name="csrf" value=(csrf);
                            button.link-button type="submit" { "Close report R" (format!("{id:06}")) }
                        }
                        form.inline method="post" action={ "/moderate/listings/" (listing) "/archive" } {
                            input type="hidden" name="csrf" value=(csrf);
                            button.link-button type="submit" { "Archive listing " (listing) }
                        }
                    }
                }
            }
            h2 { "Due for checking (" (due.len()) ")" }
            @if due.is_empty() { p { "Every listing has been checked recently." } }
            ul.queue {
                @for d in due {
                    li {
                        a href={ "/listings/" (d.id) } { (d.title) }
                        " — last checked " (checked_on(d.last_checked))
                        (listing_actions(csrf, d.id, &d.title))
                    }
                }
            }
        },
    )
}

pub fn submission_page(
    user: &str,
    csrf: &str,
    sub: &Submission,
    proposed: &ListingForm,
    live: Option<&ListingForm>,
    taxonomy: &Taxonomy,
    problems: &[(String, String)],
) -> Markup {
    let r = crate::groups::reference(sub.id);
    page(
        Frame {
            title: &format!("Submission {r}"),
            ..Default::default()
        },
        html! {
            (nav(user, csrf))
            p { a href="/moderate" { "Back to the queue" } }
            h1 { "Submission " (r) }
            p { @if sub.kind == "edit" { "A change to " a href={ "/listings/" (sub.listing_id.unwrap_or(0)) } { "listing " (sub.listing_id.unwrap_or(0)) } } @else { "A new listing" } ", sent " (sub.created_at) ". Status: " strong { (sub.status) } "." }
            @if let Some(e) = &sub.email { p { "Group's email: " (e) } }
            @if !problems.is_empty() {
                div.notice { p { "This submission cannot be approved as it stands:" } ul { @for (_, m) in problems { li { (m) } } } }
            }
            @if let Some(live) = live {
                h2 { "What changes" }
                @let changed = live.diff(proposed);
                @if changed.is_empty() { p { "Nothing changes." } }
                table.diff {
                    caption.visually-hidden { "Fields that change" }
                    thead { tr { th scope="col" { "Question" } th scope="col" { "Now" } th scope="col" { "Proposed" } } }
                    tbody {
                        @for fd in changed {
                            tr { th scope="row" { (fd.label) } td { del { (live.display(fd.name, taxonomy)) } } td { ins { (proposed.display(fd.name, taxonomy)) } } }
                        }
                    }
                }
            } @else {
                h2 { "Answers" }
                dl.summary-list {
                    @for fd in FIELDS {
                        div { dt { (fd.label) } dd { span.pre { (proposed.display(fd.name, taxonomy)) } } }
                    }
                }
            }
            @if sub.status == "pending" {
                h2 { "Decide" }
                form method="post" action={ "/moderate/submissions/" (sub.id) "/approve" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.button type="submit" { "Approve" }
                }
                p { a href={ "/moderate/submissions/" (sub.id) "/edit" } { "Edit before approving" } }
                form method="post" action={ "/moderate/submissions/" (sub.id) "/reject" } {
                    input type="hidden" name="csrf" value=(csrf);
                    div.field {
                        label for="reason" { "Reason for rejecting" }
                        span.hint #reason-hint { "This is sent to the group." }
                        textarea #reason name="reason" rows="3" aria-describedby="reason-hint" {}
                    }
                    button.button.secondary type="submit" { "Reject" }
                }
            }
        },
    )
}

pub fn audit_page(
    user: &str,
    csrf: &str,
    entries: &[AuditEntry],
    page_no: i64,
    more: bool,
) -> Markup {
    page(
        Frame {
            title: "Audit log",
            ..Default::default()
        },
        html! {
            (nav(user, csrf))
            h1 { "Audit log" }
            table.audit {
                caption.visually-hidden { "Every moderation action, newest first" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Subject" } th scope="col" { "Before and after" } } }
                tbody {
                    @for e in entries {
                        tr {
                            td { (e.at) } td { (e.actor) } td { (e.action) } td { (e.subject) }
                            td {
                                @if e.before.is_some() || e.after.is_some() {
                                    details {
                                        summary { "Show" span.visually-hidden { " entry " (e.id) } }
                                        p { strong { "Before: " } code.pre { (e.before.as_deref().unwrap_or("-")) } }
                                        p { strong { "After: " } code.pre { (e.after.as_deref().unwrap_or("-")) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if page_no > 1 { a href={ "/moderate/audit?page=" (page_no - 1) } { "Newer" } " " }
            @if more { a href={ "/moderate/audit?page=" (page_no + 1) } { "Older" } }
        },
    )
}

/// "3 March 2026", or "never".
fn checked_on(when: Option<chrono::DateTime<chrono::Utc>>) -> Markup {
    html! { @match when { Some(c) => (c.format("%-d %B %Y")), None => "never" } }
}

/// The two things a moderator does to a published listing from a list: confirm it is
/// still right, or take it down.
fn listing_actions(csrf: &str, id: i64, title: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/moderate/listings/" (id) "/checked" } {
            input type="hidden" name="csrf" value=(csrf);
            button.link-button type="submit" { "Mark " (title) " as checked" }
        }
        form.inline method="post" action={ "/moderate/listings/" (id) "/archive" } {
            input type="hidden" name="csrf" value=(csrf);
            button.link-button type="submit" { "Archive " (title) }
        }
    }
}

/// One listing found by a moderator's search, with what they need to act on it.
#[derive(Debug)]
pub struct Found {
    pub id: i64,
    pub title: String,
    pub organisation: String,
    pub source: String,
    pub last_checked: Option<chrono::DateTime<chrono::Utc>>,
    /// Not checked for so long that the public no longer finds it.
    pub stale: bool,
}

/// Find any published listing, including those the public no longer sees because
/// nobody has confirmed them for a year.
pub fn find_page(user: &str, csrf: &str, q: &str, found: Option<(usize, &[Found])>) -> Markup {
    page(
        Frame {
            title: "Find a listing",
            ..Default::default()
        },
        html! {
            (nav(user, csrf))
            h1 { "Find a listing" }
            p { "Search every published listing, including those left out of public results because nobody has confirmed them recently." }
            form method="get" action="/moderate/find" role="search" {
                label for="find-q" { "Words in the listing, or its name" }
                input #find-q type="search" name="q" value=(q);
                button type="submit" { "Find" }
            }
            @if let Some((total, found)) = found {
                h2 { (total) @if total == 1 { " listing" } @else { " listings" } " found" }
                @if total > found.len() { p { "Showing the best " (found.len()) ". Add words to narrow it down." } }
                ul.queue {
                    @for f in found {
                        li {
                            a href={ "/listings/" (f.id) } { (f.title) }
                            @if !f.organisation.is_empty() { " — " (f.organisation) }
                            " (from " (f.source) "), last checked " (checked_on(f.last_checked))
                            @if f.stale { " " strong { "Hidden from public search until it is checked." } }
                            (listing_actions(csrf, f.id, &f.title))
                        }
                    }
                }
            }
        },
    )
}

/// The "needs a category" list: each listing with the types to choose from.
pub fn categories_page(
    user: &str,
    csrf: &str,
    items: &[Uncategorised],
    total: i64,
    taxonomy: &Taxonomy,
    flash: Option<&str>,
) -> Markup {
    page(
        Frame {
            title: "Needs a category",
            ..Default::default()
        },
        html! {
            (nav(user, csrf))
            @if let Some(f) = flash { div.notice role="status" { (f) } }
            h1 { "Needs a category" }
            p {
                "These listings came from a source in words that fit none of Signpost's types, so they have the general type “"
                (taxonomy.type_label(crate::listing::taxonomy::GENERAL_TYPE))
                "”. People can still find them by their words. Choose better types and they are kept when the source is harvested again."
            }
            p { (total) " listing" @if total != 1 { "s" } " to check" @if (total as usize) > items.len() { ", the oldest " (items.len()) " shown" } "." }
            @for l in items {
                section.card id={ "c-" (l.id) } {
                    h2 { a href={ "/listings/" (l.id) } { (l.title) } }
                    p.meta { "From " (l.source) }
                    @if !l.summary.is_empty() { p { (l.summary) } }
                    form method="post" action={ "/moderate/listings/" (l.id) "/types" } {
                        input type="hidden" name="csrf" value=(csrf);
                        fieldset {
                            legend { "Types for " (l.title) }
                            @for t in &taxonomy.types {
                                div.checkbox {
                                    input type="checkbox" name="type" value=(t.slug) id={ "t-" (l.id) "-" (t.slug) };
                                    label for={ "t-" (l.id) "-" (t.slug) } { (t.label) }
                                }
                            }
                        }
                        button.button type="submit" { "Save types" span.visually-hidden { " for " (l.title) } }
                    }
                }
            }
        },
    )
}

/// Searches that found nothing or little, a table per week.
pub fn missed_page(
    user: &str,
    csrf: &str,
    rows: &[MissedSearch],
    on: bool,
    since: chrono::NaiveDate,
) -> Markup {
    let mut weeks: Vec<(&str, Vec<&MissedSearch>)> = Vec::new();
    for r in rows {
        match weeks.last_mut() {
            Some((w, list)) if *w == r.week => list.push(r),
            _ => weeks.push((&r.week, vec![r])),
        }
    }
    let week_label = |w: &str| {
        chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d")
            .map(|d| d.format("%-d %B %Y").to_string())
            .unwrap_or_else(|_| w.to_string())
    };
    let search_link = |r: &MissedSearch| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("q", &r.query);
        if !r.district.is_empty() {
            pairs.append_pair("near", &r.district);
        }
        format!("/search?{}", pairs.finish())
    };
    page(
        Frame {
            title: "Searches that found nothing",
            ..Default::default()
        },
        html! {
            (nav(user, csrf))
            h1 { "Searches that found nothing" }
            p {
                "What people typed that found nothing or little since the week starting "
                (since.format("%-d %B %Y")) ", newest week first. "
                a href="#what-is-counted" { "What is counted" }
            }
            @if !on {
                div.notice role="status" {
                    "Counting is turned off in this site's settings (count_missed_searches), so no new searches are added."
                }
            }
            @if weeks.is_empty() {
                p { "No searches have found nothing in these weeks." }
            }
            @for (week, list) in &weeks {
                section {
                    h2 { "Week starting " (week_label(week)) }
                    table.audit {
                        caption.visually-hidden { "Searches that found nothing or little, week starting " (week_label(week)) }
                        thead { tr {
                            th scope="col" { "Words" }
                            th scope="col" { "Near" }
                            th scope="col" { "Found" }
                            th scope="col" { "Searches" }
                        } }
                        tbody {
                            @for r in list {
                                tr {
                                    td { a href=(search_link(r)) { (r.query) } }
                                    td { @if r.district.is_empty() { "No place given" } @else { (r.district) } }
                                    td { @if r.nothing { "Nothing" } @else { "A few, or some words" } }
                                    td { (r.searches) }
                                }
                            }
                        }
                    }
                }
            }
            h2 id="what-is-counted" { "What is counted" }
            p {
                "A search is listed when it found nothing, fewer than "
                (crate::web::missed::FEW_RESULTS) " results, or only listings with some of the words. "
                "Use it to add the words people use to listings and types, and to see what people look for that does not exist near them."
            }
            p {
                "Only the words are kept, with the week and the postcode district searched near. "
                "Postcodes, numbers, e-mail and web addresses are removed from the words, and nothing is kept that could tell who searched or when in the week. "
                "Searches with filters other than a place are not counted."
            }
        },
    )
}
