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

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};

use super::model::{Day, Listing, Mode};
use crate::geo::postcode::Postcode;

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
