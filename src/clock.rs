//! UK local time, which is what session times mean.
//!
//! Sessions are written in local time ("Tuesday 10am"), so "what's next" must be
//! decided in Europe/London, not UTC, or late-evening searches in summer would skip
//! a day. Tests and the demo can pin "now" with `SIGNPOST_NOW` (RFC 3339 or
//! `YYYY-MM-DDTHH:MM`, read as UK local time), so dated output is reproducible.

use chrono::{NaiveDateTime, Utc};
use chrono_tz::Europe::London;

/// The current UK local date and time (or `SIGNPOST_NOW` when set).
pub fn uk_now() -> NaiveDateTime {
    if let Ok(s) = std::env::var("SIGNPOST_NOW")
        && let Some(t) = parse_now(&s)
    {
        return t;
    }
    Utc::now().with_timezone(&London).naive_local()
}

pub fn parse_now(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&London).naive_local());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_and_offset_times() {
        let t = parse_now("2026-07-01T23:30:00Z").unwrap();
        assert_eq!(t.to_string(), "2026-07-02 00:30:00", "BST is UTC+1");
        let t = parse_now("2026-11-24T10:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-24 10:00:00");
        assert!(parse_now("yesterday").is_none());
    }
}
