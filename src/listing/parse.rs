//! Reading the values people and feeds write: times, dates, days of the week, e-mail
//! and web addresses.
//!
//! Every importer and the "Add your activity" form read these, and they used to each
//! have their own rules, which disagreed: a spreadsheet could say "2pm" but the form
//! could not. Here is the one copy of each rule, as forgiving as it can be while still
//! being right: "2pm", "2.30 pm", "14:00", "14.00", "1400", "noon" are all times;
//! "2026-12-01", "01/12/2026" and "1 December 2026" are all dates (day first, as in the
//! UK). Anything that could mean two things, or nothing, is `None`, so the caller can
//! say what it expected rather than guess.
//!
//! This module sits in the lowest layer and uses nothing else in Signpost.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};

use super::model::Day;

/// A time of day: "14:00", "9:30", "14.00", "1400", "14:00:00", "2pm", "2 pm",
/// "2.30pm", "2:30 p.m.", "12am" (midnight), "12pm", "noon", "midday", "midnight".
/// An ISO time's zone ("10:00:00Z", "10:00+01:00") is dropped: the time is taken as
/// written. A bare hour ("9", "14") is on the 24-hour clock.
pub fn time(s: &str) -> Option<NaiveTime> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match t.as_str() {
        "noon" | "midday" | "12noon" | "12midday" => return NaiveTime::from_hms_opt(12, 0, 0),
        "midnight" | "12midnight" => return NaiveTime::from_hms_opt(0, 0, 0),
        _ => {}
    }
    let t = without_zone(&t);
    let (body, pm) = match ["am", "a.m.", "a.m"].iter().find_map(|m| t.strip_suffix(m)) {
        Some(b) => (b, Some(false)),
        None => match ["pm", "p.m.", "p.m"].iter().find_map(|m| t.strip_suffix(m)) {
            Some(b) => (b, Some(true)),
            None => (t, None),
        },
    };
    let (h, m, sec) = clock_digits(body)?;
    let h = match pm {
        None => h,
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(false) => h % 12,
        Some(true) => h % 12 + 12,
    };
    NaiveTime::from_hms_opt(h, m, sec)
}

/// "10:00:00Z" and "10:00:00+01:00" without their zone; anything else as it is.
fn without_zone(t: &str) -> &str {
    let Some(i) = t.find(['z', '+', '-']) else {
        return t;
    };
    let (body, zone) = t.split_at(i);
    let zone_ok = zone == "z"
        || (zone.len() > 1 && zone[1..].chars().all(|c| c.is_ascii_digit() || c == ':'));
    if zone_ok && body.contains(':') {
        body
    } else {
        t
    }
}

/// Hours, minutes and seconds from "14", "1400", "930", "14:00", "14.00", "14:00:00"
/// (a fraction of a second, "14:00:00.000", is dropped). Minutes and seconds are
/// always two digits.
fn clock_digits(s: &str) -> Option<(u32, u32, u32)> {
    let s = match s.rsplit_once('.') {
        Some((hms, frac)) if hms.matches(':').count() == 2 && !frac.contains(':') => {
            frac.bytes().all(|b| b.is_ascii_digit()).then_some(hms)?
        }
        _ => s,
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let num = |p: &str| p.parse::<u32>().ok();
    let parts: Vec<&str> = s.split([':', '.']).collect();
    match parts.as_slice() {
        [h] if digits(h) && h.len() <= 2 => Some((num(h)?, 0, 0)),
        [hm] if digits(hm) && hm.len() <= 4 => {
            let (h, m) = hm.split_at(hm.len() - 2);
            Some((num(h)?, num(m)?, 0))
        }
        [h, m, sec @ ..] if digits(h) && h.len() <= 2 && digits(m) && m.len() == 2 => {
            let sec = match sec {
                [] => 0,
                [sec] if digits(sec) && sec.len() == 2 => num(sec)?,
                _ => return None,
            };
            Some((num(h)?, num(m)?, sec))
        }
        _ => None,
    }
}

/// A calendar date, day first as in the UK: "2026-12-01" (also the date part of an ISO
/// date-time or zoned date, "2026-12-01T10:00:00Z", "2026-12-01+01:00", as written), "01/12/2026", "1/12/26",
/// "01-12-2026", "01.12.2026", "1 December 2026", "1st Dec 2026", "Tuesday 1 December
/// 2026". Two-digit years are this century.
pub fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    iso_date(s)
        .or_else(|| numeric_date(s))
        .or_else(|| written_date(s))
}

fn iso_date(s: &str) -> Option<NaiveDate> {
    let head = s.get(..10)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with(['T', 't', ' ', 'Z', 'z', '+', '-'])) {
        return None;
    }
    let b = head.as_bytes();
    let shape = b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::from_ymd_opt(
        head[..4].parse().ok()?,
        head[5..7].parse().ok()?,
        head[8..].parse().ok()?,
    )
}

fn numeric_date(s: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    let digits = |p: &str, max: usize| {
        !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(d, 2) && digits(m, 2) && digits(y, 4)) {
        return None;
    }
    let year: i32 = match y.len() {
        4 => y.parse().ok()?,
        2 => 2000 + y.parse::<i32>().ok()?,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn written_date(s: &str) -> Option<NaiveDate> {
    let words: Vec<String> = s
        .split([' ', ',', '\t'])
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .collect();
    let words = match words.as_slice() {
        [first, rest @ ..] if rest.len() == 3 && day(first).is_some() => rest,
        all => all,
    };
    let [d, m, y] = words else {
        return None;
    };
    let d = d
        .strip_suffix("st")
        .or_else(|| d.strip_suffix("nd"))
        .or_else(|| d.strip_suffix("rd"))
        .or_else(|| d.strip_suffix("th"))
        .unwrap_or(d);
    let month = MONTHS
        .iter()
        .position(|name| m.len() >= 3 && name.starts_with(m.as_str()))?;
    if !(y.len() == 4 && d.len() <= 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, month as u32 + 1, d.parse().ok()?)
}

/// A day of the week: "Monday", "mondays", "Mon", "mon.", "Tues", "Weds", "Thurs", or
/// the two-letter iCalendar codes "MO", "TU"... Case does not matter.
pub fn day(s: &str) -> Option<Day> {
    let w = s.trim().trim_end_matches('.').to_lowercase();
    let w = match w.strip_suffix('s') {
        Some(one) if one.ends_with("day") => one,
        _ => w.as_str(),
    };
    if w == "weds" {
        return Some(Day::Wed);
    }
    if w.len() < 2 {
        return None;
    }
    Day::ALL
        .into_iter()
        .find(|d| d.name().to_lowercase().starts_with(w))
}

/// Days from a list like "Mon, Wednesdays and fri" or "Tue/Thu" (each day once, in the
/// order given). A day may be followed by other words ("Monday mornings"); a part whose
/// first word is not a day is the `Err`, so the caller can name it.
pub fn days(s: &str) -> Result<Vec<Day>, String> {
    let mut out = Vec::new();
    for part in s
        .split([',', ';', '/', '&', '+'])
        .flat_map(|p| p.split(" and "))
    {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let first = part.split_whitespace().next().unwrap_or(part);
        let d = day(first).ok_or_else(|| part.to_string())?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Longest e-mail address we keep (RFC 5321's limit on a path).
const MAX_EMAIL: usize = 254;

/// An e-mail address we can write to, trimmed and without any "mailto:", or `None`.
///
/// It must be a plain address (`name@example.org`) as [`lettre::Address`] reads it,
/// with a dot in its domain: no display name, no spaces, no angle brackets, quotes,
/// brackets or other characters that could break out of a mail header or a link.
pub fn email(s: &str) -> Option<String> {
    let t = s.trim();
    let t = match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &t[7..],
        _ => t,
    };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>\"()[],;:\\".contains(c);
    if t.is_empty() || t.len() > MAX_EMAIL || t.contains(forbidden) {
        return None;
    }
    let a = lettre::Address::from_str(t).ok()?;
    let domain = a.domain();
    let host_name = domain
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    (host_name && domain.contains('.') && !domain.ends_with('.')).then(|| t.to_string())
}

/// True when `s` is an e-mail address and nothing else (no "mailto:"): what a form's
/// e-mail field must hold, as it is stored as typed.
pub fn is_email(s: &str) -> bool {
    email(s).is_some_and(|a| a == s.trim())
}

/// A web address we can link to (http or https, with a host name), trimmed, or `None`.
///
/// Spaces, angle brackets, quotes and back-ticks are refused rather than escaped: in
/// what people type they mean the address was pasted with text around it.
pub fn web_address(s: &str) -> Option<String> {
    let t = s.trim();
    if t.contains(|c: char| c.is_whitespace() || c.is_control() || "<>\"`".contains(c)) {
        return None;
    }
    let u = url::Url::parse(t).ok()?;
    let scheme_ok = matches!(u.scheme(), "http" | "https")
        && t.get(..u.scheme().len() + 3)
            .is_some_and(|p| p.ends_with("://"));
    let no_user = u.username().is_empty() && u.password().is_none();
    let host_ok = no_user
        && u.host_str()
            .is_some_and(|h| (h.contains('.') && !h.starts_with('.')) || h == "localhost");
    (scheme_ok && host_ok).then(|| t.to_string())
}

/// A web address as directories write them: with its scheme, or a bare host name and
/// path ("www.nlmind.org", "linktr.ee/group"), read as https. Council directories and
/// spreadsheets often leave the scheme off; the address is still the group's.
pub fn web_address_as_written(s: &str) -> Option<String> {
    let t = s.trim();
    web_address(t).or_else(|| {
        if t.contains("://") || t.starts_with('/') {
            return None;
        }
        web_address(&format!("https://{t}"))
    })
}

/// An e-mail address as directories write them: a full stop that ends the sentence
/// ("young.voice@northlincs.gov.uk.") is not part of it.
pub fn email_as_written(s: &str) -> Option<String> {
    let t = s.trim();
    email(t).or_else(|| {
        let cut = t.trim_end_matches('.');
        (cut.len() < t.len()).then(|| email(cut)).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_directories_write_them() {
        assert_eq!(
            web_address_as_written("www.nlmind.org").as_deref(),
            Some("https://www.nlmind.org")
        );
        assert_eq!(
            web_address_as_written(" linktr.ee/scunnylgbtq ").as_deref(),
            Some("https://linktr.ee/scunnylgbtq")
        );
        assert_eq!(
            web_address_as_written("http://example.org/a").as_deref(),
            Some("http://example.org/a")
        );
        for wrong in [
            "ftp://example.org",
            "see our website",
            "/path",
            "javascript:alert(1)",
            "example/counselling",
        ] {
            assert_eq!(web_address_as_written(wrong), None, "{wrong}");
        }
        assert_eq!(
            email_as_written("young.voice@northlincs.gov.uk.").as_deref(),
            Some("young.voice@northlincs.gov.uk")
        );
        assert_eq!(email_as_written("not an email."), None);
        assert_eq!(email_as_written("a@b..."), None);
    }

    fn hm(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }
    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn times_in_every_way_people_write_them() {
        for (s, want) in [
            ("14:00", hm(14, 0)),
            ("9:30", hm(9, 30)),
            ("09:30", hm(9, 30)),
            ("14.00", hm(14, 0)),
            ("1400", hm(14, 0)),
            ("930", hm(9, 30)),
            ("14", hm(14, 0)),
            ("9", hm(9, 0)),
            ("2pm", hm(14, 0)),
            ("2 pm", hm(14, 0)),
            ("2PM", hm(14, 0)),
            ("2.30pm", hm(14, 30)),
            ("2:30 p.m.", hm(14, 30)),
            ("10am", hm(10, 0)),
            ("10.30 a.m.", hm(10, 30)),
            ("12am", hm(0, 0)),
            ("12pm", hm(12, 0)),
            ("12.15am", hm(0, 15)),
            ("12:15pm", hm(12, 15)),
            ("noon", hm(12, 0)),
            ("Midday", hm(12, 0)),
            ("12 noon", hm(12, 0)),
            ("midnight", hm(0, 0)),
            ("  10:00 ", hm(10, 0)),
            ("10:00:00Z", hm(10, 0)),
            ("10:00+01:00", hm(10, 0)),
            ("10:00:00-05:00", hm(10, 0)),
            ("10:00:00.000", hm(10, 0)),
            ("10:00:00.000Z", hm(10, 0)),
        ] {
            assert_eq!(time(s), want, "{s:?}");
        }
        assert_eq!(time("14:30:15"), NaiveTime::from_hms_opt(14, 30, 15));
    }

    #[test]
    fn times_that_are_not_times() {
        for s in [
            "",
            "soon",
            "25:00",
            "24:00",
            "10:60",
            "10.5",
            "13pm",
            "0am",
            "14:00pm",
            "10:00:0",
            "10:00:00:00",
            "12345",
            "-1",
            "10-30",
            "ten",
            "10:00 tomorrow",
            "am",
            "10:00Zulu",
            "2026-12-01",
        ] {
            assert_eq!(time(s), None, "{s:?}");
        }
    }

    #[test]
    fn dates_iso_and_day_first() {
        for (s, want) in [
            ("2026-12-01", ymd(2026, 12, 1)),
            (" 2026-12-01 ", ymd(2026, 12, 1)),
            ("2026-12-01T10:00:00Z", ymd(2026, 12, 1)),
            ("2026-12-01 10:00", ymd(2026, 12, 1)),
            ("2026-12-01+01:00", ymd(2026, 12, 1)),
            ("01/12/2026", ymd(2026, 12, 1)),
            ("1/12/2026", ymd(2026, 12, 1)),
            ("1/12/26", ymd(2026, 12, 1)),
            ("01-12-2026", ymd(2026, 12, 1)),
            ("01.12.2026", ymd(2026, 12, 1)),
            ("1 December 2026", ymd(2026, 12, 1)),
            ("1 Dec 2026", ymd(2026, 12, 1)),
            ("1st December 2026", ymd(2026, 12, 1)),
            ("22nd Sept 2026", ymd(2026, 9, 22)),
            ("Tuesday 1 December 2026", ymd(2026, 12, 1)),
            ("Tue, 1 Dec, 2026", ymd(2026, 12, 1)),
            ("29/02/2028", ymd(2028, 2, 29)),
        ] {
            assert_eq!(date(s), want, "{s:?}");
        }
    }

    #[test]
    fn dates_that_are_not_dates() {
        for s in [
            "",
            "soon",
            "2026-13-01",
            "2026-02-30",
            "29/02/2027",
            "32/01/2026",
            "12/2026",
            "1/12/202",
            "2026-12-1x",
            "20261201",
            "1 Decembre 2026",
            "1 De 2026",
            "Monday",
            "1 December",
            "2026/12/01",
        ] {
            assert_eq!(date(s), None, "{s:?}");
        }
    }

    #[test]
    fn day_names_and_abbreviations() {
        for (s, want) in [
            ("Monday", Day::Mon),
            ("mondays", Day::Mon),
            ("MON", Day::Mon),
            ("mon.", Day::Mon),
            ("MO", Day::Mon),
            ("Tues", Day::Tue),
            ("tu", Day::Tue),
            ("Weds", Day::Wed),
            ("Wednesdays", Day::Wed),
            ("thurs", Day::Thu),
            ("TH", Day::Thu),
            ("fri", Day::Fri),
            ("Sat", Day::Sat),
            ("su", Day::Sun),
        ] {
            assert_eq!(day(s), Some(want), "{s:?}");
        }
        for s in [
            "",
            "m",
            "t",
            "s",
            "Funday",
            "Monkey",
            "Mondayz",
            "tuesdayss",
            "weekday",
        ] {
            assert_eq!(day(s), None, "{s:?}");
        }
    }

    #[test]
    fn lists_of_days() {
        assert_eq!(
            days("Mon, Wednesdays and fri").unwrap(),
            vec![Day::Mon, Day::Wed, Day::Fri]
        );
        assert_eq!(days("Tue/Thu; tue").unwrap(), vec![Day::Tue, Day::Thu]);
        assert_eq!(days("Monday mornings").unwrap(), vec![Day::Mon]);
        assert_eq!(days("").unwrap(), vec![]);
        assert_eq!(days("Mon, Funday").unwrap_err(), "Funday");
    }

    #[test]
    fn email_addresses() {
        for (s, want) in [
            ("a@b.org", "a@b.org"),
            ("  walks@example.org ", "walks@example.org"),
            ("mailto:walks@example.org", "walks@example.org"),
            ("MAILTO:walks@example.org", "walks@example.org"),
            (
                "first.last+tag@sub.example.co.uk",
                "first.last+tag@sub.example.co.uk",
            ),
            ("o'brien@example.ie", "o'brien@example.ie"),
        ] {
            assert_eq!(email(s).as_deref(), Some(want), "{s:?}");
        }
        for s in [
            "",
            "email-example_com",
            "@example.org",
            "a@",
            "a@localhost",
            "a@.example.org",
            "a@example.org.",
            "a@b@example.org",
            "a b@example.org",
            "a@example .org",
            "Walks <walks@example.org>",
            "<walks@example.org>",
            "\"a\"@example.org",
            "\"a b\"@example.org",
            "a@[127.0.0.1]",
            "a@example.org\r\nBcc: x@example.org",
            "a,b@example.org",
            "a@exa'mple.org",
        ] {
            assert_eq!(email(s), None, "{s:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(email(&long), None);
        assert!(is_email(" walks@example.org "));
        assert!(!is_email("mailto:walks@example.org"));
        assert!(!is_email("walks@localhost"));
    }

    #[test]
    fn web_addresses() {
        for s in [
            "https://example.org",
            "http://example.com/x",
            "https://example.org/path?q=1#top",
            "  https://example.org/ ",
            "http://localhost:8080/feed",
            "https://www.example.org/o'brien",
        ] {
            assert_eq!(web_address(s).as_deref(), Some(s.trim()), "{s:?}");
        }
        for s in [
            "",
            "example.org",
            "example/counselling",
            "www.example.org",
            "ftp://example.org",
            "javascript:alert(1)",
            "mailto:a@example.org",
            "https://",
            "https://example",
            "https:example.org",
            "https://example.org/a b",
            "https://example.org/\"onmouseover=",
            "https://example.org/<script>",
            "https://exa`mple.org",
            "https://example.org@evil.example",
            "https://user:pass@example.org/",
        ] {
            assert_eq!(web_address(s), None, "{s:?}");
        }
    }
}
