//! When an activity runs, in the shapes volunteers actually describe.
//!
//! RRULE is too hard for a volunteer to type, so a schedule is a short list of plain
//! rules ("every Tuesday 10:00-11:30", "fortnightly on Thursday from 8 January",
//! "first Monday of the month"), one-off dates, and dates off (bank holidays, Christmas).
//! From those we compute real upcoming dates ("next: Tuesday 1 December, 10am"), which is
//! what people want to see, and the days and times of day that the search filters use.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::model::{Day, TimeOfDay};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Recurring sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionRule>,
    /// One-off dates (a single event, or extra sessions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<OneOff>,
    /// Dates when recurring sessions do not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<NaiveDate>,
    /// Anything the rules cannot say: "term time only", "times vary, ring first".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A recurring session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRule {
    pub repeat: Repeat,
    pub day: Day,
    /// For `monthly`: which week of the month, 1 to 4, or -1 for the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_of_month: Option<i8>,
    #[serde(with = "hm")]
    pub start: NaiveTime,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hm_opt")]
    pub end: Option<NaiveTime>,
    /// First date the session runs. Required for `fortnightly` (it fixes which weeks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting: Option<NaiveDate>,
    /// Last date the session may run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    Weekly,
    Fortnightly,
    Monthly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneOff {
    pub date: NaiveDate,
    #[serde(with = "hm")]
    pub start: NaiveTime,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hm_opt")]
    pub end: Option<NaiveTime>,
}

/// One dated occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Occurrence {
    pub start: NaiveDateTime,
    pub end: Option<NaiveDateTime>,
}

/// A schedule that cannot be used as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a fortnightly session needs a 'starting' date so we know which weeks it runs")]
    FortnightlyWithoutStart,
    #[error("a monthly session needs 'week_of_month': 1, 2, 3, 4 or -1 for the last week")]
    MonthlyWithoutWeek,
    #[error("'week_of_month' must be 1, 2, 3, 4 or -1 (last), not {0}")]
    BadWeekOfMonth(i8),
    #[error("'week_of_month' only applies to monthly sessions")]
    WeekOfMonthNotMonthly,
    #[error("the session ends ({end}) before it starts ({start})")]
    EndsBeforeStart { start: NaiveTime, end: NaiveTime },
    #[error("the 'starting' date {0} is not a {1}")]
    StartingOnWrongDay(NaiveDate, &'static str),
    #[error("the 'until' date {until} is before the 'starting' date {starting}")]
    UntilBeforeStarting {
        starting: NaiveDate,
        until: NaiveDate,
    },
}

impl SessionRule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if let Some(end) = self.end
            && end <= self.start
        {
            return Err(ScheduleError::EndsBeforeStart {
                start: self.start,
                end,
            });
        }
        match (self.repeat, self.week_of_month) {
            (Repeat::Monthly, None) => return Err(ScheduleError::MonthlyWithoutWeek),
            (Repeat::Monthly, Some(w)) if !(w == -1 || (1..=4).contains(&w)) => {
                return Err(ScheduleError::BadWeekOfMonth(w));
            }
            (Repeat::Weekly | Repeat::Fortnightly, Some(_)) => {
                return Err(ScheduleError::WeekOfMonthNotMonthly);
            }
            _ => {}
        }
        if self.repeat == Repeat::Fortnightly && self.starting.is_none() {
            return Err(ScheduleError::FortnightlyWithoutStart);
        }
        if let Some(s) = self.starting
            && self.repeat != Repeat::Monthly
            && Day::from_chrono(s.weekday()) != self.day
        {
            return Err(ScheduleError::StartingOnWrongDay(s, self.day.name()));
        }
        if let (Some(starting), Some(until)) = (self.starting, self.until)
            && until < starting
        {
            return Err(ScheduleError::UntilBeforeStarting { starting, until });
        }
        Ok(())
    }

    /// Does this rule put a session on `date` (ignoring exceptions)?
    pub fn runs_on(&self, date: NaiveDate) -> bool {
        if Day::from_chrono(date.weekday()) != self.day {
            return false;
        }
        if self.starting.is_some_and(|s| date < s) || self.until.is_some_and(|u| date > u) {
            return false;
        }
        match self.repeat {
            Repeat::Weekly => true,
            Repeat::Fortnightly => match self.starting {
                Some(s) => (date - s).num_days().rem_euclid(14) == 0,
                None => false,
            },
            Repeat::Monthly => match self.week_of_month {
                Some(-1) => (date + Duration::days(7)).month() != date.month(),
                Some(n @ 1..=4) => (date.day() as i8 - 1) / 7 + 1 == n,
                _ => false,
            },
        }
    }

    /// "Every Tuesday", "Every other Thursday", "First Monday of the month".
    pub fn describe_pattern(&self) -> String {
        match self.repeat {
            Repeat::Weekly => format!("Every {}", self.day.name()),
            Repeat::Fortnightly => format!("Every other {}", self.day.name()),
            Repeat::Monthly => {
                let which = match self.week_of_month {
                    Some(1) => "First",
                    Some(2) => "Second",
                    Some(3) => "Third",
                    Some(4) => "Fourth",
                    _ => "Last",
                };
                format!("{which} {} of the month", self.day.name())
            }
        }
    }

    /// "Every Tuesday, 10am to 11:30am".
    pub fn describe(&self) -> String {
        format!(
            "{}, {}",
            self.describe_pattern(),
            describe_times(self.start, self.end)
        )
    }
}

/// "10am to 11:30am", "7pm".
pub fn describe_times(start: NaiveTime, end: Option<NaiveTime>) -> String {
    match end {
        Some(end) => format!("{} to {}", clock(start), clock(end)),
        None => clock(start),
    }
}

/// A time the way GOV.UK writes it: "10am", "11:30am", "12pm" as "midday".
pub fn clock(t: NaiveTime) -> String {
    use chrono::Timelike;
    let (h, m) = (t.hour(), t.minute());
    if h == 12 && m == 0 {
        return "midday".into();
    }
    if h == 0 && m == 0 {
        return "midnight".into();
    }
    let suffix = if h < 12 { "am" } else { "pm" };
    let h12 = match h % 12 {
        0 => 12,
        x => x,
    };
    if m == 0 {
        format!("{h12}{suffix}")
    } else {
        format!("{h12}:{m:02}{suffix}")
    }
}

/// "Tuesday 1 December".
pub fn describe_date(d: NaiveDate) -> String {
    format!(
        "{} {}",
        Day::from_chrono(d.weekday()).name(),
        d.format("%-d %B")
    )
}

/// How far ahead we look for the next sessions. A monthly rule always has a session
/// within 5 weeks, so a year is plenty even with long breaks over holidays.
const HORIZON_DAYS: i64 = 400;

impl Schedule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        for s in &self.sessions {
            s.validate()?;
        }
        for d in &self.dates {
            if let Some(end) = d.end
                && end <= d.start
            {
                return Err(ScheduleError::EndsBeforeStart {
                    start: d.start,
                    end,
                });
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.dates.is_empty()
    }

    /// The next `n` sessions that have not yet started at `now` (local UK time),
    /// in date order, skipping exception dates.
    pub fn next_occurrences(&self, now: NaiveDateTime, n: usize) -> Vec<Occurrence> {
        let mut out: Vec<Occurrence> = Vec::with_capacity(n);
        let mut one_offs: Vec<Occurrence> = self
            .dates
            .iter()
            .map(|d| occurrence(d.date, d.start, d.end))
            .filter(|o| o.start >= now)
            .collect();
        one_offs.sort();
        if self.sessions.is_empty() {
            one_offs.truncate(n);
            return one_offs;
        }
        let except: BTreeSet<NaiveDate> = self.except.iter().copied().collect();
        let today = now.date();
        let mut day_rules: Vec<Occurrence> = Vec::new();
        let mut oi = 0;
        for offset in 0..HORIZON_DAYS {
            let date = today + Duration::days(offset);
            day_rules.clear();
            if !except.contains(&date) {
                for rule in &self.sessions {
                    if rule.runs_on(date) {
                        let o = occurrence(date, rule.start, rule.end);
                        if o.start >= now {
                            day_rules.push(o);
                        }
                    }
                }
            }
            while oi < one_offs.len() && one_offs[oi].start.date() <= date {
                day_rules.push(one_offs[oi]);
                oi += 1;
            }
            day_rules.sort();
            day_rules.dedup();
            for o in &day_rules {
                out.push(*o);
                if out.len() == n {
                    return out;
                }
            }
        }
        out
    }

    /// The next session at or after `now`.
    pub fn next(&self, now: NaiveDateTime) -> Option<Occurrence> {
        self.next_occurrences(now, 1).into_iter().next()
    }

    /// Days of the week on which the activity runs (from rules and future one-offs).
    pub fn days(&self, today: NaiveDate) -> BTreeSet<Day> {
        let mut days: BTreeSet<Day> = self.sessions.iter().map(|s| s.day).collect();
        days.extend(
            self.dates
                .iter()
                .filter(|d| d.date >= today)
                .map(|d| Day::from_chrono(d.date.weekday())),
        );
        days
    }

    /// Parts of the day in which sessions start.
    pub fn times_of_day(&self, today: NaiveDate) -> BTreeSet<&'static str> {
        let rules = self.sessions.iter().map(|s| s.start);
        let dates = self
            .dates
            .iter()
            .filter(|d| d.date >= today)
            .map(|d| d.start);
        rules
            .chain(dates)
            .map(|t| TimeOfDay::of(t).slug())
            .collect()
    }
}

fn occurrence(date: NaiveDate, start: NaiveTime, end: Option<NaiveTime>) -> Occurrence {
    Occurrence {
        start: date.and_time(start),
        end: end.map(|e| date.and_time(e)),
    }
}

impl Occurrence {
    /// "Tuesday 1 December, 10am to 11:30am".
    pub fn describe(&self) -> String {
        format!(
            "{}, {}",
            describe_date(self.start.date()),
            describe_times(self.start.time(), self.end.map(|e| e.time()))
        )
    }
}

/// `"HH:MM"` times in JSON: what a volunteer writes and reads.
mod hm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        crate::listing::parse::time(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("'{s}' is not a time like 10:00 or 14:30"))
        })
    }
}

mod hm_opt {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::hm::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => crate::listing::parse::time(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("'{s}' is not a time like 10:00 or 14:30"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn t(s: &str) -> NaiveTime {
        crate::listing::parse::time(s).unwrap()
    }
    fn rule(repeat: Repeat, day: Day) -> SessionRule {
        SessionRule {
            repeat,
            day,
            week_of_month: None,
            start: t("10:00"),
            end: Some(t("11:30")),
            starting: None,
            until: None,
        }
    }

    #[test]
    fn weekly_skips_exceptions_and_past_sessions() {
        let s = Schedule {
            sessions: vec![rule(Repeat::Weekly, Day::Tue)],
            except: vec![d("2026-12-22"), d("2026-12-29")],
            ..Default::default()
        };
        // Tuesday 24 November 2026 at 10:30: today's session has started.
        let now = d("2026-11-24").and_time(t("10:30"));
        let next: Vec<_> = s
            .next_occurrences(now, 6)
            .iter()
            .map(|o| o.start.date())
            .collect();
        assert_eq!(
            next,
            vec![
                d("2026-12-01"),
                d("2026-12-08"),
                d("2026-12-15"),
                d("2027-01-05"),
                d("2027-01-12"),
                d("2027-01-19")
            ]
        );
        assert_eq!(
            s.next(now).unwrap().describe(),
            "Tuesday 1 December, 10am to 11:30am"
        );
    }

    #[test]
    fn fortnightly_keeps_its_weeks() {
        let mut r = rule(Repeat::Fortnightly, Day::Thu);
        r.starting = Some(d("2026-01-08"));
        r.validate().unwrap();
        let s = Schedule {
            sessions: vec![r],
            ..Default::default()
        };
        let now = d("2026-11-24").and_time(t("09:00"));
        let next: Vec<_> = s
            .next_occurrences(now, 3)
            .iter()
            .map(|o| o.start.date())
            .collect();
        // 8 Jan + 14k days: 26 Nov is 322 days later = 23 fortnights.
        assert_eq!(
            next,
            vec![d("2026-11-26"), d("2026-12-10"), d("2026-12-24")]
        );
    }

    #[test]
    fn monthly_first_and_last() {
        let mut first = rule(Repeat::Monthly, Day::Mon);
        first.week_of_month = Some(1);
        let mut last = rule(Repeat::Monthly, Day::Fri);
        last.week_of_month = Some(-1);
        let s = Schedule {
            sessions: vec![first.clone(), last],
            ..Default::default()
        };
        let now = d("2026-11-24").and_time(t("09:00"));
        let next: Vec<_> = s
            .next_occurrences(now, 4)
            .iter()
            .map(|o| o.start.date())
            .collect();
        assert_eq!(
            next,
            vec![
                d("2026-11-27"),
                d("2026-12-07"),
                d("2026-12-25"),
                d("2027-01-04")
            ]
        );
        assert_eq!(first.describe_pattern(), "First Monday of the month");
    }

    #[test]
    fn one_offs_merge_in_order_and_past_ones_drop() {
        let s = Schedule {
            sessions: vec![rule(Repeat::Weekly, Day::Wed)],
            dates: vec![
                OneOff {
                    date: d("2026-11-28"),
                    start: t("14:00"),
                    end: None,
                },
                OneOff {
                    date: d("2026-01-01"),
                    start: t("14:00"),
                    end: None,
                },
            ],
            ..Default::default()
        };
        let now = d("2026-11-24").and_time(t("09:00"));
        let next: Vec<_> = s.next_occurrences(now, 3).iter().map(|o| o.start).collect();
        assert_eq!(
            next,
            vec![
                d("2026-11-25").and_time(t("10:00")),
                d("2026-11-28").and_time(t("14:00")),
                d("2026-12-02").and_time(t("10:00")),
            ]
        );
        assert_eq!(
            s.days(now.date()).into_iter().collect::<Vec<_>>(),
            vec![Day::Wed, Day::Sat]
        );
    }

    #[test]
    fn invalid_rules_are_explained() {
        let r = rule(Repeat::Fortnightly, Day::Thu);
        assert_eq!(r.validate(), Err(ScheduleError::FortnightlyWithoutStart));
        let mut r = rule(Repeat::Monthly, Day::Thu);
        r.week_of_month = Some(5);
        assert_eq!(r.validate(), Err(ScheduleError::BadWeekOfMonth(5)));
        let mut r = rule(Repeat::Weekly, Day::Thu);
        r.end = Some(t("09:00"));
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("before it starts")
        );
        let mut r = rule(Repeat::Weekly, Day::Thu);
        r.starting = Some(d("2026-11-24"));
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("not a Thursday")
        );
    }

    #[test]
    fn clock_reads_like_govuk() {
        assert_eq!(clock(t("10:00")), "10am");
        assert_eq!(clock(t("12:00")), "midday");
        assert_eq!(clock(t("13:30")), "1:30pm");
        assert_eq!(clock(t("00:00")), "midnight");
    }
}
