//! Checking and tidying a listing before it is stored.
//!
//! Every source goes through here, so the store only ever holds listings that search and
//! the pages can rely on. Problems are returned as a list of (field, plain message) so an
//! import report or a form can show all of them at once, not just the first.

use super::model::{Listing, Mode};
use super::taxonomy::Taxonomy;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the field, e.g. `schedule.sessions[0]`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Longest text we keep in one field. Descriptions longer than this are not listings,
/// they are documents, and would bloat every page that shows them.
pub const MAX_TEXT: usize = 10_000;
pub const MAX_SHORT: usize = 300;
/// Longest note on getting there, and longest meeting point: what OpenActive's
/// accessibility and social prescribing profiles allow (`TransportNote.description`,
/// `meetingPoint`), so every published note passes them whole.
pub const MAX_TRAVEL: usize = 500;
pub const MAX_MEETING_POINT: usize = 250;

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// Trim text fields, drop duplicate slugs, then check everything.
///
/// Returns the problems found; an empty list means the listing can be stored.
pub fn tidy_and_check(listing: &mut Listing, taxonomy: &Taxonomy) -> Vec<Problem> {
    tidy(listing);
    check(listing, taxonomy)
}

/// [`tidy_and_check`] for a listing read from a source: there, "how people take part"
/// may be left unsaid (a council directory entry that gives only a name, a
/// description and a phone number), and the listing is still imported, with its
/// pages saying what is missing. A form always asks.
pub fn tidy_and_check_imported(listing: &mut Listing, taxonomy: &Taxonomy) -> Vec<Problem> {
    tidy(listing);
    let mut problems = check(listing, taxonomy);
    if listing.modes.is_empty() {
        problems.retain(|p| p.field != "modes");
    }
    problems
}

fn tidy(l: &mut Listing) {
    for s in [
        &mut l.title,
        &mut l.summary,
        &mut l.description,
        &mut l.organisation.name,
        &mut l.access.notes,
        &mut l.audience.notes,
        &mut l.join.details,
        &mut l.join.meeting_point,
        &mut l.schedule.note,
        &mut l.area_served.description,
    ] {
        let t = s.trim();
        if t.len() != s.len() {
            *s = t.to_string();
        }
    }
    if let Some(v) = &mut l.venue {
        v.name = v.name.trim().to_string();
        v.address = v.address.trim().to_string();
        if let Some(p) = &v.postcode
            && p.trim().is_empty()
        {
            v.postcode = None;
        }
    }
    l.join.leader = l
        .join
        .leader
        .take()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    for t in &mut l.access.travel {
        t.note = t.note.trim().to_string();
    }
    l.access.travel.retain(|t| !t.note.is_empty());
    dedup_keep_order(&mut l.types);
    dedup_keep_order(&mut l.access.features);
    dedup_keep_order(&mut l.audience.circumstances);
    l.modes.sort();
    l.modes.dedup();
    for p in &mut l.area_served.postcodes {
        *p = p.trim().to_ascii_uppercase();
    }
    dedup_keep_order(&mut l.area_served.postcodes);
    l.schedule.except.sort();
    l.schedule.except.dedup();
    // Schedules are kept to the minute (their JSON says "10:00"): a source's seconds
    // would otherwise be dropped only when the listing is stored, after the checks,
    // so a session "10:00:00 to 10:00:30" passed and was stored ending as it starts.
    for r in &mut l.schedule.sessions {
        r.start = to_the_minute(r.start);
        r.end = r.end.map(to_the_minute);
    }
    for d in &mut l.schedule.dates {
        d.start = to_the_minute(d.start);
        d.end = d.end.map(to_the_minute);
    }
}

fn to_the_minute(t: chrono::NaiveTime) -> chrono::NaiveTime {
    use chrono::Timelike;
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

pub fn check(l: &Listing, taxonomy: &Taxonomy) -> Vec<Problem> {
    let mut out = Vec::new();
    check_text(l, &mut out);
    check_terms(l, taxonomy, &mut out);
    check_place(l, &mut out);
    check_audience(l, &mut out);
    check_schedule(l, &mut out);
    if l.provenance.source_id.is_empty() {
        out.push(problem(
            "provenance.source_id",
            "Every listing needs a source id",
        ));
    }
    out
}

/// A name, and no text longer than a page can show.
fn check_text(l: &Listing, out: &mut Vec<Problem>) {
    if l.title.is_empty() {
        out.push(problem("title", "Enter the name of the activity"));
    }
    for (field, value, max) in [
        ("title", &l.title, MAX_SHORT),
        ("summary", &l.summary, 1_000),
        ("description", &l.description, MAX_TEXT),
        ("organisation.name", &l.organisation.name, MAX_SHORT),
        ("access.notes", &l.access.notes, MAX_TEXT),
        ("audience.notes", &l.audience.notes, MAX_TEXT),
        ("join.details", &l.join.details, MAX_TEXT),
        (
            "join.meeting_point",
            &l.join.meeting_point,
            MAX_MEETING_POINT,
        ),
        (
            "join.leader",
            l.join.leader.as_ref().unwrap_or(&String::new()),
            MAX_SHORT,
        ),
        ("schedule.note", &l.schedule.note, 1_000),
    ] {
        if value.chars().count() > max {
            out.push(problem(
                field,
                format!("This must be {max} characters or fewer"),
            ));
        }
    }
    for t in &l.access.travel {
        if t.note.chars().count() > MAX_TRAVEL {
            out.push(problem(
                format!("access.travel.{}", t.by.slug()),
                format!("This must be {MAX_TRAVEL} characters or fewer"),
            ));
        }
    }
}

/// Types, access features and circumstances the taxonomy knows.
fn check_terms(l: &Listing, taxonomy: &Taxonomy, out: &mut Vec<Problem>) {
    if l.types.is_empty() {
        out.push(problem("types", "Choose at least one type of activity"));
    }
    for t in &l.types {
        if taxonomy.activity_type(t).is_none() {
            out.push(problem(
                "types",
                format!("'{t}' is not a known activity type"),
            ));
        }
    }
    for a in &l.access.features {
        if taxonomy.access_feature(a).is_none() {
            out.push(problem(
                "access.features",
                format!("'{a}' is not a known accessibility feature"),
            ));
        }
    }
    for c in &l.audience.circumstances {
        if taxonomy.circumstance(c).is_none() {
            out.push(problem(
                "audience.circumstances",
                format!("'{c}' is not a known circumstance"),
            ));
        }
    }
}

/// How people take part, and where: an in-person activity has a venue we can place, in
/// the UK.
fn check_place(l: &Listing, out: &mut Vec<Problem>) {
    if l.modes.is_empty() {
        out.push(problem(
            "modes",
            "Say how people take part: in person, online, by phone or home visits",
        ));
    }
    if l.modes.contains(&Mode::InPerson) {
        match &l.venue {
            None => out.push(problem(
                "venue",
                "An in-person activity needs a venue with a postcode",
            )),
            Some(v) => {
                if v.postcode.is_none() && (v.lat.is_none() || v.lon.is_none()) {
                    out.push(problem("venue.postcode", "Enter the venue's postcode"));
                }
            }
        }
    }
    if let Some(v) = &l.venue {
        match (v.lat, v.lon) {
            (Some(lat), Some(lon)) => {
                if !(49.0..=61.5).contains(&lat) || !(-9.0..=2.5).contains(&lon) {
                    out.push(problem(
                        "venue",
                        format!("The position {lat}, {lon} is not in the UK"),
                    ));
                }
            }
            (None, None) => {}
            _ => out.push(problem(
                "venue",
                "Give both latitude and longitude, or neither",
            )),
        }
    }
}

fn check_audience(l: &Listing, out: &mut Vec<Problem>) {
    let a = &l.audience;
    for (field, age) in [
        ("audience.age_min", a.age_min),
        ("audience.age_max", a.age_max),
    ] {
        if let Some(age) = age
            && age > 120
        {
            out.push(problem(field, "Enter an age from 0 to 120"));
        }
    }
    if let (Some(min), Some(max)) = (a.age_min, a.age_max)
        && min > max
    {
        out.push(problem(
            "audience.age_max",
            "The oldest age must be the same as or more than the youngest age",
        ));
    }
}

/// Every session rule valid, and the schedule as a whole (reported once).
fn check_schedule(l: &Listing, out: &mut Vec<Problem>) {
    for (i, s) in l.schedule.sessions.iter().enumerate() {
        if let Err(e) = s.validate() {
            out.push(problem(format!("schedule.sessions[{i}]"), e.to_string()));
        }
    }
    if let Err(e) = l.schedule.validate()
        && !out.iter().any(|p| p.field.starts_with("schedule"))
    {
        out.push(problem("schedule.dates", e.to_string()));
    }
}
