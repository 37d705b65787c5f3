//! Pages for groups: "Add your activity" (sectioned form, check your answers,
//! confirmation), the private page behind an edit link, and "still running".
//!
//! The form follows the GOV.UK error pattern: an error summary at the top linking to
//! each field in error, the message again beside the field, and everything typed kept.
//! State travels in the form itself (hidden fields on the check page), never in a
//! cookie, so it works without JavaScript and the public site stays cookie-free.

use maud::{Markup, html};

use super::{Frame, page};
use crate::groups::form::{FIELDS, JOIN_METHODS, Kind, REPEATS, SESSIONS, WEEKS};
use crate::groups::{FieldErrors, ListingForm};
use crate::listing::{Day, Level, Listing, Mode, Taxonomy};

/// Where a form posts, and what hidden values it carries.
pub struct FormTarget<'a> {
    pub h1: &'a str,
    pub intro: &'a str,
    /// POST here to check the answers.
    pub action: String,
    /// POST here (from the check page) to send.
    pub send: String,
    /// The signed public form token, or a moderator's CSRF token.
    pub token_name: &'a str,
    pub token: String,
    /// Label of the final button.
    pub send_label: &'a str,
    /// Show the "your email" question (not for moderators).
    pub ask_email: bool,
}

fn err<'a>(errors: &'a FieldErrors, name: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, m)| m.as_str())
}

fn summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { "There is a problem" }
                ul { @for (field, msg) in errors { li { a href={ "#" (field) } { (msg) } } } }
            }
        }
    }
}

fn message(errors: &FieldErrors, name: &str) -> Markup {
    html! {
        @if let Some(m) = err(errors, name) {
            p.error-message #{ (name) "-error" } { span.visually-hidden { "Error: " } (m) }
        }
    }
}

fn described(errors: &FieldErrors, name: &str, hint: bool) -> String {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{name}-hint"));
    }
    if err(errors, name).is_some() {
        ids.push(format!("{name}-error"));
    }
    ids.join(" ")
}

fn class(errors: &FieldErrors, name: &str) -> &'static str {
    if err(errors, name).is_some() {
        "field field-error"
    } else {
        "field"
    }
}

fn text(
    form: &ListingForm,
    errors: &FieldErrors,
    name: &str,
    label: &str,
    hint: Option<&str>,
    autocomplete: Option<&str>,
) -> Markup {
    let d = described(errors, name, hint.is_some());
    field(
        errors,
        name,
        label,
        hint,
        html! {
            input #(name) type="text" name=(name) value=(form.get(name))
                aria-describedby=[(!d.is_empty()).then_some(d.as_str())]
                autocomplete=[autocomplete] spellcheck="false";
        },
    )
}

/// A labelled form group: label, optional hint, error message, then `control`.
fn field(
    errors: &FieldErrors,
    name: &str,
    label: &str,
    hint: Option<&str>,
    control: Markup,
) -> Markup {
    html! {
        div class=(class(errors, name)) {
            label for=(name) { (label) }
            @if let Some(h) = hint { span.hint #{ (name) "-hint" } { (h) } }
            (message(errors, name))
            (control)
        }
    }
}

fn area(
    form: &ListingForm,
    errors: &FieldErrors,
    name: &str,
    label: &str,
    hint: Option<&str>,
) -> Markup {
    let d = described(errors, name, hint.is_some());
    field(
        errors,
        name,
        label,
        hint,
        html! {
            textarea #(name) name=(name) rows="4" aria-describedby=[(!d.is_empty()).then_some(d.as_str())] { (form.get(name)) }
        },
    )
}

/// Checkboxes (`many`) or radios, with the fieldset carrying the id the summary links to.
fn choices(
    form: &ListingForm,
    errors: &FieldErrors,
    name: &str,
    legend: &str,
    hint: Option<&str>,
    options: &[(String, String)],
    many: bool,
) -> Markup {
    let d = described(errors, name, hint.is_some());
    html! {
        div class=(class(errors, name)) {
            fieldset #(name) aria-describedby=[(!d.is_empty()).then_some(d.as_str())] {
                legend { (legend) }
                @if let Some(h) = hint { span.hint #{ (name) "-hint" } { (h) } }
                (message(errors, name))
                @for (value, label) in options {
                    div.check {
                        input type=(if many { "checkbox" } else { "radio" }) name=(name) value=(value)
                            id={ (name) "-" (value) } checked[form.has(name, value)];
                        label for={ (name) "-" (value) } { (label) }
                    }
                }
            }
        }
    }
}

fn select(
    form: &ListingForm,
    errors: &FieldErrors,
    name: &str,
    label: &str,
    options: &[(String, String)],
) -> Markup {
    let d = described(errors, name, false);
    html! {
        div class=(class(errors, name)) {
            label for=(name) { (label) }
            (message(errors, name))
            select #(name) name=(name) aria-describedby=[(!d.is_empty()).then_some(d.as_str())] {
                option value="" selected[form.get(name).is_empty()] { "Choose" }
                @for (value, text) in options {
                    option value=(value) selected[form.get(name) == value] { (text) }
                }
            }
        }
    }
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The whole listing form, in clearly headed sections.
pub fn listing_form_page(
    target: &FormTarget<'_>,
    form: &ListingForm,
    errors: &FieldErrors,
    taxonomy: &Taxonomy,
) -> Markup {
    let title = if errors.is_empty() {
        target.h1.to_string()
    } else {
        format!("Error: {}", target.h1)
    };
    let types: Vec<(String, String)> = taxonomy
        .types
        .iter()
        .map(|t| (t.slug.clone(), t.label.clone()))
        .collect();
    let access: Vec<(String, String)> = taxonomy
        .access
        .iter()
        .map(|a| (a.slug.clone(), a.label.clone()))
        .collect();
    let modes: Vec<(String, String)> = Mode::ALL
        .iter()
        .map(|m| (m.slug().to_string(), m.label().to_string()))
        .collect();
    let levels: Vec<(String, String)> = Level::ALL
        .iter()
        .map(|l| (l.slug().to_string(), l.label().to_string()))
        .collect();
    let days: Vec<(String, String)> = Day::ALL
        .iter()
        .map(|d| (d.slug().to_string(), d.name().to_string()))
        .collect();
    page(
        Frame {
            title: &title,
            ..Default::default()
        },
        html! {
            (summary(errors))
            h1 { (target.h1) }
            p.lead { (target.intro) }
            form method="post" action=(target.action) novalidate {
                input type="hidden" name=(target.token_name) value=(target.token);
                // A field people never see; automated spam fills it in.
                div.hp {
                    label for="nickname" { "Leave this empty" }
                    input #nickname type="text" name="nickname" tabindex="-1" autocomplete="off";
                }
                h2 #about { "About the activity" }
                (text(form, errors, "title", "What is the activity called?", Some("For example: Sale Tuesday Walking Group"), None))
                (area(form, errors, "summary", "Describe it in a sentence or two", Some("This is shown in search results.")))
                (area(form, errors, "description", "Tell people more (optional)", Some("What happens, who comes, what to bring.")))
                (text(form, errors, "organisation", "Name of your group or organisation (optional)", None, Some("organization")))
                (choices(form, errors, "types", "What type of activity is it?", Some("Select all that apply."), &types, true))
                h2 #where { "Where it happens" }
                (choices(form, errors, "modes", "How do people take part?", Some("Select all that apply."), &modes, true))
                (text(form, errors, "venue_name", "Venue name", Some("For example: St Mary's Church Hall. Leave empty if it is not in person."), None))
                (text(form, errors, "venue_address", "Street address", None, Some("street-address")))
                (text(form, errors, "postcode", "Venue postcode", Some("We check it and use it to show how far away you are. For example: M33 7XW"), Some("postal-code")))
                (text(form, errors, "area", "Area covered (optional)", Some("For phone, online or home visit services, for example: Trafford"), None))
                h2 #when { "When it runs" }
                p { "Tell us up to " (SESSIONS) " regular sessions. Leave “How often” empty if it does not run regularly, and say when it runs below." }
                @for i in 1..=SESSIONS {
                    @let n = |s: &str| format!("s{i}_{s}");
                    fieldset.session {
                        legend { "Session " (i) }
                        (select(form, errors, &n("repeat"), "How often", &owned(REPEATS)))
                        (select(form, errors, &n("day"), "Day", &days))
                        (select(form, errors, &n("week"), "Week of the month (only for once a month)", &owned(WEEKS)))
                        (text(form, errors, &n("start"), "Start time", Some("Use the 24-hour clock, for example 10:30 or 14:00"), None))
                        (text(form, errors, &n("end"), "End time (optional)", Some("For example 12:00"), None))
                        (text(form, errors, &n("starting"), "Date of the first session (needed for every other week)", Some("For example 2027-01-12"), None))
                    }
                }
                (area(form, errors, "schedule_note", "Anything else about when it runs (optional)", Some("For example: term time only, or not on bank holidays.")))
                h2 #cost { "Cost" }
                (choices(form, errors, "free", "Is it free?", None, &owned(&[("yes", "Yes, it is free"), ("no", "No, there is a cost")]), false))
                (text(form, errors, "price", "What does it cost?", Some("For example: £3 a session, including tea"), None))
                (text(form, errors, "concessions", "Discounts or help with cost (optional)", None, None))
                h2 #accessibility { "Accessibility" }
                (choices(form, errors, "access", "What is available?", Some("Select all that apply."), &access, true))
                (area(form, errors, "access_notes", "What to expect when you arrive (optional)", Some("For example: two steps at the door, or a quiet room is available.")))
                (area(form, errors, "by_public_transport", "Getting there by bus, tram or train (optional)", Some("For example: the 263 bus stops outside. Sale tram stop is a 10-minute walk. Up to 500 characters.")))
                (area(form, errors, "by_car", "Getting there by car (optional)", Some("For example: free car park behind the hall, with 2 blue badge spaces by the door. Up to 500 characters.")))
                h2 #who { "Who it is for" }
                (text(form, errors, "age_min", "Youngest age (optional)", None, None))
                (text(form, errors, "age_max", "Oldest age (optional)", None, None))
                (select(form, errors, "level", "Do people need any experience? (optional)", &levels))
                h2 #joining { "How to join" }
                (choices(form, errors, "join_method", "How do people join?", None, &owned(JOIN_METHODS), false))
                (area(form, errors, "join_details", "What should people do first? (optional)", Some("For example: Just turn up, or ring Sue to book a place.")))
                (area(form, errors, "meeting_point", "Where should people go on their first visit? (optional)", Some("For example: come to the side door on Hall Lane, Sue looks out for new people. Up to 250 characters.")))
                (text(form, errors, "leader", "Who leads it? (optional)", Some("This is published with your listing, so ask them first. A first name is enough, for example: Sue."), None))
                (text(form, errors, "places", "Most people at a session (optional)", Some("A number, for example 12."), None))
                (text(form, errors, "contact_name", "Contact name (optional)", None, Some("name")))
                (text(form, errors, "contact_phone", "Phone number", Some("Give at least one of phone, email or website."), Some("tel")))
                (text(form, errors, "contact_email", "Email address people can use", None, Some("email")))
                (text(form, errors, "website", "Website (optional)", Some("Starting with https://"), Some("url")))
                @if target.ask_email {
                    h2 #private { "Keeping your listing up to date" }
                    (text(form, errors, "your_email", "Your email address (optional, not published)", Some("We send you a private link to change your listing, and a reminder to check it is still right."), Some("email")))
                }
                button.button type="submit" { "Continue" }
            }
        },
    )
}

/// "Check your answers before sending", with everything in hidden fields.
pub fn check_page(
    target: &FormTarget<'_>,
    form: &ListingForm,
    taxonomy: &Taxonomy,
    notes: &[String],
) -> Markup {
    page(
        Frame {
            title: "Check your answers before sending",
            ..Default::default()
        },
        html! {
            h1 { "Check your answers before sending" }
            @for n in notes { p.notice { (n) } }
            form method="post" action=(target.send) {
                input type="hidden" name=(target.token_name) value=(target.token);
                @for (k, v) in form.pairs() { input type="hidden" name=(k) value=(v); }
                dl.summary-list {
                    @for fd in FIELDS {
                        @if fd.name != "your_email" || target.ask_email {
                            @let shown = form.display(fd.name, taxonomy);
                            div {
                                dt { (fd.label) }
                                dd { @if shown.trim().is_empty() { span.hint { "Not given" } } @else { @if fd.kind == Kind::Area { span.pre { (shown) } } @else { (shown) } } }
                                dd {
                                    button.link-button type="submit" name="change" value=(fd.name) formaction={ (target.action) "#" (fd.name) } {
                                        "Change" span.visually-hidden { " " (fd.label.to_lowercase()) }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Now send your listing" }
                p { "A volunteer moderator checks every listing before it appears. This usually takes a few days." }
                @if target.ask_email {
                    p { "Once it appears, your listing is also shared as "
                        a href="/openactive" { "open data" }
                        " under the Creative Commons Attribution 4.0 licence, so other directories and activity finders can list it too. Your email address is never shared." }
                }
                button.button type="submit" { (target.send_label) }
            }
        },
    )
}

pub fn sent_page(reference: &str, link: &str, emailed: Option<&str>, is_change: bool) -> Markup {
    let heading = if is_change {
        "Change sent"
    } else {
        "Listing sent"
    };
    page(
        Frame {
            title: heading,
            ..Default::default()
        },
        html! {
            div.panel {
                h1 { (heading) }
                p { "Your reference is " br; strong #reference { (reference) } }
            }
            @if let Some(e) = emailed {
                p { "We have sent the reference and your private link to " strong { (e) } "." }
            }
            h2 { "Your private link" }
            p { "Keep this link safe. Anyone with it can change your listing, so do not share it publicly." }
            p.private-link { a #private-link href=(link) { (link) } }
            h2 { "What happens next" }
            p { "A volunteer moderator will check " @if is_change { "your change" } @else { "your listing" } ". "
                @if is_change { "Your listing stays as it is until the change is approved." }
                @else { "It will appear in search once it is approved." } }
            p { a href="/" { "Go to the Signpost home page" } }
        },
    )
}

/// What an edit link opens.
pub fn manage_page(
    link: &str,
    listing: Option<&Listing>,
    status_line: &str,
    fresh: bool,
    token: &str,
) -> Markup {
    page(
        Frame {
            title: "Your listing",
            ..Default::default()
        },
        html! {
            h1 { "Your listing" }
            p { (status_line) }
            @if let Some(l) = listing {
                h2 { (l.title) }
                p { a href={ "/listings/" (l.id) } { "See your listing as the public sees it" } }
                h2 { "Is it still running?" }
                @if !fresh { p.notice { "Please confirm your listing is still right. Listings not confirmed for a year are hidden from search." } }
                form method="post" action={ (link) "/still-running" } {
                    input type="hidden" name="ft" value=(token);
                    button.button type="submit" { "Yes, it is still running and the details are right" }
                }
                h2 { "Something has changed?" }
                p { a.button-link href={ (link) "/edit" } { "Change your listing" } }
                p { "If it has stopped running, " a href={ "/listings/" (l.id) "/report" } { "tell us it has stopped" } "." }
            }
        },
    )
}

pub fn confirmed_page(l: &Listing) -> Markup {
    page(
        Frame {
            title: "Thank you",
            ..Default::default()
        },
        html! {
            div.panel { h1 { "Thank you" } p { "We have marked " (l.title) " as still running." } }
            p { a href={ "/listings/" (l.id) } { "See your listing" } }
        },
    )
}

/// A public form refused before its contents were looked at (spam checks, expired form).
pub fn refused_page(title: &str, text: &str) -> Markup {
    page(
        Frame {
            title,
            ..Default::default()
        },
        html! { h1 { (title) } p { (text) } p { a href="/add" { "Start again" } } },
    )
}
