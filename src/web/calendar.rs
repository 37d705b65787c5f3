//! "Add to calendar": a listing's schedule as an iCalendar file (RFC 5545).
//!
//! Recurring sessions become one event each with an RRULE (weekly, every two weeks,
//! or the nth weekday of the month) and EXDATEs for the dates off; one-off dates become
//! single events. Times are UK local time with a `VTIMEZONE` for Europe/London, so a
//! 10am session stays at 10am across the clock change in every calendar app.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};

use crate::listing::Listing;
use crate::listing::schedule::{Repeat, Schedule, SessionRule};

const TZ: &str = "Europe/London";

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\n\
DTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\n\
DTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

/// The whole calendar for one listing, or `None` if it has no dates to add.
pub fn ics(l: &Listing, page_url: &str, now: NaiveDateTime) -> Option<String> {
    calendar(events(l, page_url, now))
}

/// One calendar with every listing's sessions (a shortlist), each listing with its
/// page's address; `None` if none of them has dates to add.
pub fn ics_many(listings: &[(Listing, String)], now: NaiveDateTime) -> Option<String> {
    calendar(
        listings
            .iter()
            .flat_map(|(l, url)| events(l, url, now))
            .collect(),
    )
}

fn events(l: &Listing, page_url: &str, now: NaiveDateTime) -> Vec<String> {
    let mut events = Vec::new();
    for (i, rule) in l.schedule.sessions.iter().enumerate() {
        if let Some(e) = recurring(l, rule, i, page_url, now) {
            events.push(e);
        }
    }
    for (i, d) in l.schedule.dates.iter().enumerate() {
        if d.date < now.date() {
            continue;
        }
        let start = d.date.and_time(d.start);
        let end = d.end.map(|e| d.date.and_time(e));
        events.push(event(l, &format!("d{i}"), start, end, None, &[], page_url));
    }
    events
}

fn calendar(events: Vec<String>) -> Option<String> {
    if events.is_empty() {
        return None;
    }
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Signpost//Community activities//EN\r\n\
         CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n",
    );
    out.push_str(VTIMEZONE);
    for e in events {
        out.push_str(&e);
    }
    out.push_str("END:VCALENDAR\r\n");
    Some(out)
}

fn recurring(
    l: &Listing,
    rule: &SessionRule,
    i: usize,
    page_url: &str,
    now: NaiveDateTime,
) -> Option<String> {
    // The first date this rule runs from now on, ignoring dates off (they become EXDATEs).
    let alone = Schedule {
        sessions: vec![rule.clone()],
        ..Default::default()
    };
    let first = alone.next(now)?;
    let byday = rule.day.rfc5545();
    let mut rrule = match rule.repeat {
        Repeat::Weekly => format!("FREQ=WEEKLY;BYDAY={byday}"),
        Repeat::Fortnightly => format!("FREQ=WEEKLY;INTERVAL=2;BYDAY={byday}"),
        Repeat::Monthly => format!("FREQ=MONTHLY;BYDAY={}{byday}", rule.week_of_month?),
    };
    if let Some(until) = rule.until {
        rrule.push_str(&format!(";UNTIL={}T235959", compact(until)));
    }
    let excluded: Vec<NaiveDateTime> = l
        .schedule
        .except
        .iter()
        .filter(|d| **d >= first.start.date() && rule.runs_on(**d))
        .map(|d| d.and_time(rule.start))
        .collect();
    Some(event(
        l,
        &format!("r{i}"),
        first.start,
        first.end,
        Some(&rrule),
        &excluded,
        page_url,
    ))
}

fn event(
    l: &Listing,
    key: &str,
    start: NaiveDateTime,
    end: Option<NaiveDateTime>,
    rrule: Option<&str>,
    except: &[NaiveDateTime],
    page_url: &str,
) -> String {
    let mut e = String::from("BEGIN:VEVENT\r\n");
    line(&mut e, "UID", &format!("listing-{}-{key}@signpost", l.id));
    line(
        &mut e,
        "DTSTAMP",
        &Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
    );
    raw(&mut e, &format!("DTSTART;TZID={TZ}:{}", stamp(start)));
    if let Some(end) = end {
        raw(&mut e, &format!("DTEND;TZID={TZ}:{}", stamp(end)));
    }
    if let Some(r) = rrule {
        raw(&mut e, &format!("RRULE:{r}"));
    }
    for x in except {
        raw(&mut e, &format!("EXDATE;TZID={TZ}:{}", stamp(*x)));
    }
    line(&mut e, "SUMMARY", &l.title);
    let mut description = l.summary.clone();
    if !l.schedule.note.is_empty() {
        description.push_str("\n\n");
        description.push_str(&l.schedule.note);
    }
    // Read on the day, on a phone: where to go when you get there.
    if !l.join.meeting_point.is_empty() {
        description.push_str("\n\nYour first visit: ");
        description.push_str(&l.join.meeting_point);
    }
    description.push_str("\n\nCheck with the group before you go: ");
    description.push_str(page_url);
    line(&mut e, "DESCRIPTION", &description);
    if let Some(v) = &l.venue {
        let place = [
            v.name.as_str(),
            v.address.as_str(),
            v.postcode.as_deref().unwrap_or(""),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
        line(&mut e, "LOCATION", &place);
        if let (Some(lat), Some(lon)) = (v.lat, v.lon) {
            raw(&mut e, &format!("GEO:{lat:.5};{lon:.5}"));
        }
    }
    line(&mut e, "URL", page_url);
    e.push_str("END:VEVENT\r\n");
    e
}

fn compact(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// A property with a text value: escaped (RFC 5545 3.3.11) and folded.
fn line(out: &mut String, name: &str, value: &str) {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    raw(out, &format!("{name}:{escaped}"));
}

/// Folds a content line at 75 octets without splitting a UTF-8 character.
fn raw(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_escapes() {
        let mut s = String::new();
        line(&mut s, "SUMMARY", &"Café; tea, cake\n".repeat(10));
        for l in s.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(s.contains("Caf"));
        assert!(s.contains("\\;") && s.contains("\\,") && s.contains("\\n"));
        let unfolded = s.replace("\r\n ", "");
        assert!(unfolded.starts_with("SUMMARY:Café\\; tea\\, cake\\nCafé"));
    }
}
