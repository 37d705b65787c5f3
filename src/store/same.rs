//! When two listings are the same real activity.
//!
//! The same walking-football session is often published twice: by the leisure operator
//! in its OpenActive feed and by the council in its service directory. Showing both
//! wastes a link worker's ten seconds and makes the directory look padded, so listings
//! from *different* sources that describe the same activity are merged into one.
//!
//! The rule, deliberately conservative (a wrong merge hides a real activity, a missed
//! merge only shows a near-duplicate):
//!
//! 1. Both are in person at a venue with a **full postcode**, and it is the same
//!    postcode. Online, phone and area-wide listings are never merged: without a place
//!    there is too little to tell two befriending services apart.
//! 2. Their **titles match once normalised**: lower case, letters and digits only,
//!    filler words ("the", "club", "group", "session", "class", ...) dropped, and the
//!    remaining words sorted, so "Walking Football Club" and "Football (walking)" match
//!    but "Walking Netball" does not.
//! 3. Their **times agree**: if both give times, at least one weekly-pattern session
//!    (day and start time) or one dated session (date and start time) is the same.
//!    A listing with no times at all agrees with any times.
//! 4. They come from **different sources**. One source listing the same thing twice at
//!    the same place and time is that source's business (two rooms, two levels) and is
//!    left alone.
//!
//! Rules 1 and 2 make the `match_key` the store indexes; rule 3 and 4 are checked on
//! the few listings that share a key. The listing that was in the store first (lowest
//! id) stays the one people see, so printed handouts and shared links keep working;
//! the others point at it and their provenance is shown on its page.
//!
//! What people see of a merged activity is the listing that stays, with the gaps it
//! leaves filled from the others ([`fill_gaps`]): a leisure operator's feed knows the
//! times and the price, the council's directory knows about the hearing loop and who
//! to ring, and one listing can say all of it. Nothing the listing that stays says is
//! overwritten, and the stored listings are not changed (an edit or a re-import of one
//! source never writes another source's words into it).

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};

use crate::geo::postcode::Postcode;
use crate::listing::{Day, Listing, Mode};

/// Fills what `kept` leaves blank from `others` (its duplicates, oldest first).
///
/// A blank text or missing value is taken from the first duplicate that has one; lists
/// that add up (activity types, accessibility features, circumstances) are combined,
/// because each source that says a venue has a hearing loop is telling people
/// something. A price is only taken when `kept` does not say the activity is free, a
/// position only with its precision, and a schedule only when `kept` has none at all.
/// How it is delivered, who runs it and where it is are never changed: they are what
/// made the listings the same activity.
pub fn fill_gaps(kept: &mut Listing, others: &[Listing]) {
    fn text(into: &mut String, from: &str) {
        if into.trim().is_empty() && !from.trim().is_empty() {
            *into = from.to_string();
        }
    }
    fn opt<T: Clone>(into: &mut Option<T>, from: &Option<T>) {
        if into.is_none() {
            into.clone_from(from);
        }
    }
    fn union(into: &mut Vec<String>, from: &[String]) {
        for v in from {
            if !into.contains(v) {
                into.push(v.clone());
            }
        }
    }
    for o in others {
        text(&mut kept.summary, &o.summary);
        text(&mut kept.description, &o.description);
        text(&mut kept.organisation.name, &o.organisation.name);
        opt(&mut kept.organisation.website, &o.organisation.website);
        opt(&mut kept.organisation.email, &o.organisation.email);
        opt(&mut kept.organisation.phone, &o.organisation.phone);
        union(&mut kept.types, &o.types);
        if let (Some(v), Some(ov)) = (kept.venue.as_mut(), o.venue.as_ref()) {
            text(&mut v.name, &ov.name);
            text(&mut v.address, &ov.address);
            if v.lat.is_none() || v.lon.is_none() {
                v.lat = ov.lat;
                v.lon = ov.lon;
                v.geo_precision = ov.geo_precision;
            }
        }
        if kept.schedule.is_empty() && !o.schedule.is_empty() {
            let note = std::mem::take(&mut kept.schedule.note);
            kept.schedule = o.schedule.clone();
            if !note.trim().is_empty() {
                kept.schedule.note = note;
            }
        } else {
            text(&mut kept.schedule.note, &o.schedule.note);
        }
        if !kept.cost.free && kept.cost.price.is_none() && kept.cost.amount_pence.is_none() {
            kept.cost.price.clone_from(&o.cost.price);
            kept.cost.amount_pence = o.cost.amount_pence;
        }
        opt(&mut kept.cost.concessions, &o.cost.concessions);
        union(&mut kept.access.features, &o.access.features);
        text(&mut kept.access.notes, &o.access.notes);
        if kept.audience.age_min.is_none() && kept.audience.age_max.is_none() {
            kept.audience.age_min = o.audience.age_min;
            kept.audience.age_max = o.audience.age_max;
        }
        union(&mut kept.audience.circumstances, &o.audience.circumstances);
        text(&mut kept.audience.notes, &o.audience.notes);
        text(&mut kept.join.details, &o.join.details);
        opt(&mut kept.join.contact.name, &o.join.contact.name);
        opt(&mut kept.join.contact.phone, &o.join.contact.phone);
        opt(&mut kept.join.contact.email, &o.join.contact.email);
        opt(&mut kept.join.contact.url, &o.join.contact.url);
        text(&mut kept.join.meeting_point, &o.join.meeting_point);
        opt(&mut kept.join.leader, &o.join.leader);
        opt(&mut kept.join.places, &o.join.places);
        opt(&mut kept.audience.level, &o.audience.level);
        // A way of getting there the kept copy does not cover.
        for t in &o.access.travel {
            if !kept.access.travel.iter().any(|k| k.by == t.by) {
                kept.access.travel.push(t.clone());
            }
        }
    }
}

/// Words that say what kind of gathering something is rather than what it is.
const FILLER: &[&str] = &[
    "a", "an", "and", "at", "by", "club", "for", "group", "in", "of", "on", "session", "sessions",
    "class", "classes", "the", "weekly", "with",
];

/// The key two listings must share to be the same activity, or `None` if the listing
/// is never merged (no venue, no full postcode, or no title words).
pub fn match_key(l: &Listing) -> Option<String> {
    if !l.modes.contains(&Mode::InPerson) {
        return None;
    }
    let pc = Postcode::parse(l.venue.as_ref()?.postcode.as_deref()?).ok()?;
    if !pc.is_full() {
        return None;
    }
    let words = title_words(&l.title);
    if words.is_empty() {
        return None;
    }
    Some(format!("{}|{}", pc.as_key(), words.join(" ")))
}

/// The title as a sorted set of meaningful lower-case words.
pub fn title_words(title: &str) -> Vec<String> {
    let words: BTreeSet<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .filter(|w| !FILLER.contains(&w.as_str()))
        .collect();
    words.into_iter().collect()
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum When {
    Weekly(Day, NaiveTime),
    Dated(NaiveDate, NaiveTime),
}

fn times(l: &Listing) -> BTreeSet<When> {
    let s = &l.schedule;
    s.sessions
        .iter()
        .map(|r| When::Weekly(r.day, r.start))
        .chain(s.dates.iter().map(|d| When::Dated(d.date, d.start)))
        .collect()
}

/// Rules 3 and 4, for two listings that already share a `match_key`.
pub fn same_activity(a: &Listing, b: &Listing) -> bool {
    if a.provenance.source == b.provenance.source {
        return false;
    }
    let (ta, tb) = (times(a), times(b));
    ta.is_empty() || tb.is_empty() || !ta.is_disjoint(&tb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_filled_and_nothing_said_is_overwritten() {
        let mut kept: Listing = serde_json::from_value(serde_json::json!({
            "title": "Walking Football",
            "summary": "Gentle football for over-50s.",
            "types": ["walking-sports"],
            "modes": ["in-person"],
            "venue": {"name": "Leisure Centre", "address": "", "postcode": "M33 7XW"},
            "cost": {"free": true},
            "access": {"features": ["wheelchair"],
                "travel": [{"by": "car", "note": "Car park on site."}]},
            "schedule": {"note": "Term time only"},
            "join": {"leader": "Pat"},
            "provenance": {"source": "feed", "source_id": "1"}
        }))
        .unwrap();
        let other: Listing = serde_json::from_value(serde_json::json!({
            "title": "Football (walking)",
            "summary": "Something else entirely.",
            "description": "Bring trainers.",
            "organisation": {"name": "Sale Sports", "phone": "0161 496 0000"},
            "types": ["sport-fitness"],
            "modes": ["online"],
            "venue": {"name": "Other", "address": "Broad Road", "postcode": "M33 7XW", "lat": 53.42, "lon": -2.32},
            "cost": {"free": false, "price": "£3"},
            "access": {"features": ["hearing-loop", "wheelchair"], "notes": "Lift to first floor.",
                "travel": [{"by": "car", "note": "Street parking."}, {"by": "public-transport", "note": "Bus 12."}]},
            "audience": {"age_min": 50, "level": "beginner"},
            "schedule": {"sessions": [{"repeat": "weekly", "day": "tue", "start": "10:00"}]},
            "join": {"details": "Just turn up.", "contact": {"name": "Sam"}, "leader": "Sam",
                "meeting_point": "At reception.", "places": 20},
            "provenance": {"source": "council", "source_id": "9"}
        }))
        .unwrap();
        let raw = kept.clone();
        fill_gaps(&mut kept, std::slice::from_ref(&other));
        // Kept as it was.
        assert_eq!(kept.title, raw.title);
        assert_eq!(kept.summary, raw.summary);
        assert_eq!(kept.modes, raw.modes);
        assert_eq!(kept.provenance, raw.provenance);
        assert!(
            kept.cost.free && kept.cost.price.is_none(),
            "free stays free"
        );
        let venue = kept.venue.as_ref().unwrap();
        assert_eq!(venue.name, "Leisure Centre");
        // Filled.
        assert_eq!(venue.address, "Broad Road");
        assert_eq!((venue.lat, venue.lon), (Some(53.42), Some(-2.32)));
        assert_eq!(kept.description, "Bring trainers.");
        assert_eq!(kept.organisation.name, "Sale Sports");
        assert_eq!(kept.organisation.phone.as_deref(), Some("0161 496 0000"));
        assert_eq!(kept.access.features, ["wheelchair", "hearing-loop"]);
        assert_eq!(kept.access.notes, "Lift to first floor.");
        assert_eq!(kept.types, ["walking-sports", "sport-fitness"]);
        assert_eq!(kept.audience.age_min, Some(50));
        assert_eq!(kept.schedule.sessions.len(), 1);
        assert_eq!(kept.schedule.note, "Term time only", "its own note stays");
        assert_eq!(kept.join.details, "Just turn up.");
        assert_eq!(kept.join.contact.name.as_deref(), Some("Sam"));
        assert_eq!(
            kept.join.leader.as_deref(),
            Some("Pat"),
            "its own leader stays"
        );
        assert_eq!(kept.join.meeting_point, "At reception.");
        assert_eq!(kept.join.places, Some(20));
        assert_eq!(kept.audience.level, Some(crate::listing::Level::Beginner));
        let travel: Vec<&str> = kept.access.travel.iter().map(|t| t.note.as_str()).collect();
        assert_eq!(
            travel,
            ["Car park on site.", "Bus 12."],
            "one note a way of travelling"
        );
        // Nothing to fill from: unchanged.
        let mut alone = raw.clone();
        fill_gaps(&mut alone, &[]);
        assert_eq!(alone, raw);
    }

    fn listing(source: &str, title: &str, postcode: &str, day: &str, start: &str) -> Listing {
        serde_json::from_value(serde_json::json!({
            "title": title,
            "types": ["walking"],
            "modes": ["in-person"],
            "venue": {"name": "Hall", "address": "1 High Street", "postcode": postcode},
            "schedule": {"sessions": [{"repeat": "weekly", "day": day, "start": start}]},
            "provenance": {"source": source, "source_id": title}
        }))
        .unwrap()
    }

    #[test]
    fn same_place_title_and_time_from_two_sources_match() {
        let a = listing(
            "leisure",
            "Walking Football Club",
            "m33 7zf",
            "tue",
            "10:00",
        );
        let b = listing("council", "Football (walking)", "M337ZF", "tue", "10:00");
        assert_eq!(match_key(&a), match_key(&b));
        assert_eq!(match_key(&a).unwrap(), "M33 7ZF|football walking");
        assert!(same_activity(&a, &b));
    }

    #[test]
    fn different_time_source_title_or_postcode_do_not_match() {
        let a = listing("leisure", "Walking Football", "M33 7ZF", "tue", "10:00");
        let later = listing("council", "Walking Football", "M33 7ZF", "tue", "14:00");
        assert!(!same_activity(&a, &later));
        let same_source = listing("leisure", "Walking Football", "M33 7ZF", "tue", "10:00");
        assert!(!same_activity(&a, &same_source));
        let netball = listing("council", "Walking Netball", "M33 7ZF", "tue", "10:00");
        assert_ne!(match_key(&a), match_key(&netball));
        let elsewhere = listing("council", "Walking Football", "M33 7ZG", "tue", "10:00");
        assert_ne!(match_key(&a), match_key(&elsewhere));
        let district = listing("council", "Walking Football", "M33", "tue", "10:00");
        assert_eq!(match_key(&district), None);
    }

    #[test]
    fn online_listings_are_never_merged() {
        let mut a = listing("leisure", "Chair yoga", "M33 7ZF", "tue", "10:00");
        a.modes = vec![Mode::Online];
        assert_eq!(match_key(&a), None);
    }

    #[test]
    fn no_times_agrees_with_any_times() {
        let a = listing("leisure", "Knit and natter", "M33 7ZF", "tue", "10:00");
        let mut b = listing("council", "Knit & Natter", "M33 7ZF", "wed", "10:00");
        b.schedule = Default::default();
        assert!(same_activity(&a, &b));
    }
}
