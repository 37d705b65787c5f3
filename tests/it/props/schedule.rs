//! Schedule rules: recurring sessions (weekly, fortnightly, nth or last weekday of the
//! month) with dates off and one-off dates, asked for their next dates from moments
//! around the UK clock changes (the last Sundays of March and October, when 01:00 to
//! 02:00 happens never or twice). The next dates must be exactly what the rules say:
//! the right weekday and local time, never a date off, strictly increasing, none
//! missed in between; and a schedule read back from its JSON is the same schedule.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use proptest::prelude::*;
use signpost::listing::Day;
use signpost::listing::schedule::{OneOff, Repeat, Schedule, SessionRule};

use super::{config, within};

/// The last Sunday of `month` in `year` (the UK clock changes at 01:00 UTC on it).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap();
    let mut d = first_next.pred_opt().unwrap();
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt().unwrap();
    }
    d
}

/// A date near a clock change (or, sometimes, anywhere in a few years).
fn date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        3 => (2025i32..2031, prop::bool::ANY, -10i64..10).prop_map(|(y, march, off)| {
            let d = last_sunday(y, if march { 3 } else { 10 });
            d.checked_add_signed(chrono::Duration::days(off)).unwrap()
        }),
        1 => (0u64..2200).prop_map(|n| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Days::new(n)),
    ]
}

/// A time of day, often inside the hour that the clock changes skip or repeat.
fn time() -> impl Strategy<Value = NaiveTime> {
    prop_oneof![
        2 => (0u32..3, 0u32..60).prop_map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap()),
        3 => (0u32..24, 0u32..60).prop_map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap()),
    ]
}

fn day() -> impl Strategy<Value = Day> {
    prop::sample::select(vec![
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ])
}

/// A rule that passes validation.
fn rule() -> impl Strategy<Value = SessionRule> {
    (
        prop::sample::select(vec![Repeat::Weekly, Repeat::Fortnightly, Repeat::Monthly]),
        day(),
        prop::sample::select(vec![1i8, 2, 3, 4, -1]),
        time(),
        prop::option::of(1u32..300),
        prop::option::of(date()),
        prop::option::of(0u64..500),
    )
        .prop_map(
            |(repeat, day, week, start, length, starting, until_after)| {
                let end = length.and_then(|m| {
                    let e = start + chrono::Duration::minutes(m as i64);
                    (e > start).then_some(e)
                });
                let starting = match repeat {
                    Repeat::Fortnightly => {
                        Some(starting.unwrap_or(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()))
                    }
                    _ => starting,
                }
                .map(|s| {
                    if repeat == Repeat::Monthly {
                        return s;
                    }
                    // Moved forward to the rule's day, as validation asks.
                    let mut s = s;
                    while Day::from_chrono(s.weekday()) != day {
                        s = s.succ_opt().unwrap();
                    }
                    s
                });
                let until = until_after.map(|n| {
                    starting.unwrap_or(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()) + Days::new(n)
                });
                SessionRule {
                    repeat,
                    day,
                    week_of_month: (repeat == Repeat::Monthly).then_some(week),
                    start,
                    end,
                    starting,
                    until,
                }
            },
        )
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        prop::collection::vec(rule(), 0..4),
        prop::collection::vec((date(), time()), 0..4),
        prop::collection::vec(date(), 0..12),
    )
        .prop_map(|(sessions, dates, except)| Schedule {
            sessions,
            dates: dates
                .into_iter()
                .map(|(date, start)| OneOff {
                    date,
                    start,
                    end: None,
                })
                .collect(),
            except,
            note: String::new(),
        })
}

fn moment() -> impl Strategy<Value = NaiveDateTime> {
    (date(), time()).prop_map(|(d, t)| d.and_time(t))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn next_dates_follow_the_rules(s in schedule(), now in moment(), n in 1usize..40) {
        prop_assert_eq!(s.validate(), Ok(()));
        let next = within(Duration::from_secs(1), "next_occurrences", || s.next_occurrences(now, n));
        prop_assert!(next.len() <= n);
        let except: BTreeSet<NaiveDate> = s.except.iter().copied().collect();
        for w in next.windows(2) {
            prop_assert!(w[0] < w[1], "not strictly increasing: {:?} then {:?}", w[0], w[1]);
            prop_assert!(w[0].start <= w[1].start);
        }
        let today = now.date();
        for o in &next {
            prop_assert!(o.start >= now, "{:?} is before {now}", o.start);
            let d = o.start.date();
            let from_rule = !except.contains(&d) && s.sessions.iter().any(|r| {
                r.runs_on(d)
                    && Day::from_chrono(d.weekday()) == r.day
                    && o.start.time() == r.start
                    && o.end == r.end.map(|e| d.and_time(e))
            });
            let one_off = s.dates.iter().any(|x| x.date.and_time(x.start) == o.start && o.end.is_none());
            prop_assert!(from_rule || one_off, "{o:?} comes from no rule and no date");
            prop_assert!(s.days(today).contains(&Day::from_chrono(d.weekday())));
            if let Some(e) = o.end {
                prop_assert!(e > o.start);
            }
        }
        // Nothing missed: every session the rules give between now and the last date
        // shown is among them.
        if let Some(last) = next.last() {
            let mut d = today;
            while d <= last.start.date() {
                for r in &s.sessions {
                    let start = d.and_time(r.start);
                    if r.runs_on(d) && !except.contains(&d) && start >= now && start < last.start {
                        prop_assert!(next.iter().any(|o| o.start == start), "missed {start} from {r:?}");
                    }
                }
                d = d.succ_opt().unwrap();
            }
        }
        // The rules themselves: a monthly session is in its week of the month.
        for r in &s.sessions {
            let mut d = today;
            for _ in 0..70 {
                if r.runs_on(d) {
                    prop_assert_eq!(Day::from_chrono(d.weekday()), r.day);
                    if let Some(w @ 1..=4) = r.week_of_month {
                        prop_assert_eq!(((d.day() - 1) / 7 + 1) as i8, w);
                    }
                    if r.week_of_month == Some(-1) {
                        prop_assert!((d + Days::new(7)).month() != d.month());
                    }
                }
                d = d.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn schedules_round_trip_through_json(s in schedule()) {
        let text = serde_json::to_string(&s).unwrap();
        let back: Schedule = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, s);
    }

    /// A schedule as JSON from outside, with any values in its fields: read or refused.
    #[test]
    fn schedule_json_from_outside(v in super::edge_value(), key in prop::sample::select(vec!["repeat", "day", "week_of_month", "start", "end", "starting", "until"])) {
        let mut rule = serde_json::json!({ "repeat": "weekly", "day": "tue", "start": "10:00" });
        rule[key] = v;
        let doc = serde_json::json!({ "sessions": [rule], "except": ["2026-03-29"] });
        if let Ok(s) = serde_json::from_value::<Schedule>(doc)
            && s.validate().is_ok()
        {
            let _ = s.next_occurrences(NaiveDate::from_ymd_opt(2026, 3, 28).unwrap().and_hms_opt(23, 0, 0).unwrap(), 10);
        }
    }
}
