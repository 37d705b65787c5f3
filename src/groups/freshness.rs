//! Freshness: listings not confirmed for a while are due for checking, and their
//! groups get a "still running?" email with a new private link, once per lapse.
//!
//! The reminder goes out when a listing passes the "due" age (default 6 months), well
//! before the "stale" age (default 12 months), so a group has months to click it. The
//! link is new each time because we keep only hashes of the old ones.
//!
//! Every freshness cutoff is computed by [`Freshness`], so the listing page's "last
//! checked" notice, the moderators' due list and find page, the reminders and the
//! search engine (which asks through [`Freshness::stale_from`]) all agree. The two
//! ages come from [`Config`]; their defaults are written there and nowhere else.

use std::sync::Arc;

use chrono::{DateTime, Months, NaiveDate, Utc};

use super::mail::{Message, Outbox};
use super::tokens;
use crate::config::Config;
use crate::search::StaleFrom;
use crate::store::{Store, StoreError};

/// How long a listing stays fresh, and how long until it leaves default results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Months after which a listing not confirmed is due for checking.
    pub fresh_months: u32,
    /// Months after which a listing not confirmed leaves default search results
    /// (0: never).
    pub stale_months: u32,
}

impl From<&Config> for Freshness {
    fn from(c: &Config) -> Freshness {
        Freshness {
            fresh_months: c.fresh_months,
            stale_months: c.stale_months,
        }
    }
}

impl Default for Freshness {
    fn default() -> Freshness {
        Freshness::from(&Config::default())
    }
}

impl Freshness {
    /// The moment before which a listing last checked is due for checking.
    pub fn due_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_months(Months::new(self.fresh_months))
            .unwrap_or(now)
    }

    /// Is a listing last checked at `last_checked` due for checking at `now`? A
    /// listing never checked always is.
    pub fn is_due(&self, last_checked: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        last_checked.is_none_or(|c| c < self.due_cutoff(now))
    }

    /// The first day a listing must have been checked on to stay in default search
    /// results on `today`, or `None` when stale listings are never left out. Counted to
    /// the day, so a listing leaves results on the day it goes stale and time passing
    /// needs no re-indexing.
    pub fn stale_from(&self, today: NaiveDate) -> Option<NaiveDate> {
        if self.stale_months == 0 {
            return None;
        }
        today.checked_sub_months(Months::new(self.stale_months))
    }

    /// [`Freshness::stale_from`] as the search engine takes it.
    pub fn stale_rule(self) -> StaleFrom {
        Arc::new(move |today| self.stale_from(today))
    }

    /// Has a listing last checked at `last_checked` left default search results on
    /// `today`? The same rule the search engine applies. A listing never checked has
    /// not: the engine keeps listings with no date.
    pub fn is_stale(&self, last_checked: Option<DateTime<Utc>>, today: NaiveDate) -> bool {
        match (self.stale_from(today), last_checked) {
            (Some(from), Some(c)) => c.date_naive() < from,
            _ => false,
        }
    }

    /// The day a listing last checked at `last_checked` leaves default results, if
    /// nobody confirms it first.
    pub fn leaves_search_on(&self, last_checked: DateTime<Utc>) -> Option<NaiveDate> {
        if self.stale_months == 0 {
            return None;
        }
        // Month arithmetic clamps at month ends, so step to the exact first day the
        // rule above says it is stale.
        let checked = Some(last_checked);
        let mut day = last_checked
            .date_naive()
            .checked_add_months(Months::new(self.stale_months))?;
        while let Some(before) = day.pred_opt().filter(|d| self.is_stale(checked, *d)) {
            day = before;
        }
        while !self.is_stale(checked, day) {
            day = day.succ_opt()?;
        }
        Some(day)
    }
}

/// What a reminder says about leaving search (nothing when listings never leave it).
const HIDDEN_SOON: &str =
    "\nIf we do not hear from you, the listing will stop appearing in search soon.\n";
const HIDDEN_ON: &str =
    "\nIf we do not hear from you, the listing will stop appearing in search on ";

/// Sends "still running?" emails for due listings that have a group email and have not
/// been reminded since they were last checked. Returns how many were written.
pub fn remind(
    store: &Store,
    outbox: &Outbox,
    base_url: &str,
    freshness: &Freshness,
) -> Result<usize, StoreError> {
    let now = Utc::now();
    let mut sent = 0;
    for due in store.listings_checked_before(freshness.due_cutoff(now), 10_000)? {
        if due.emails.is_empty() {
            continue;
        }
        // One reminder per listing per lapse: the lapse is named by when it was last
        // checked, so confirming starts a new one.
        let period = due.last_checked.map_or_else(
            || "never".to_string(),
            |c| c.format("%Y-%m-%dT%H:%M:%S").to_string(),
        );
        if !store.mark_reminder(due.id, &period)? {
            continue;
        }
        for email in &due.emails {
            let token = tokens::random_token();
            store.add_listing_token(due.id, email, &tokens::hash_token(&token))?;
            let hide = match due.last_checked {
                _ if freshness.stale_months == 0 => String::new(),
                Some(c) => freshness.leaves_search_on(c).map_or_else(
                    || HIDDEN_SOON.to_string(),
                    |d| format!("{HIDDEN_ON}{}.\n", d.format("%-d %B %Y")),
                ),
                None => HIDDEN_SOON.to_string(),
            };
            let m = Message {
                to: email.clone(),
                subject: format!(
                    "Is \"{}\" still running?",
                    due.title.replace(['\r', '\n'], " ")
                ),
                body: format!(
                    "Hello,\n\nIs \"{}\" still running? Please open your private link and press the button to confirm, or change anything that is out of date:\n\n{}/manage/{token}\n{hide}",
                    due.title,
                    base_url.trim_end_matches('/')
                ),
            };
            if let Err(e) = outbox.send(&m) {
                tracing::error!("could not write a reminder email: {e}");
            } else {
                sent += 1;
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap()
            .and_utc()
    }

    #[test]
    fn defaults_come_from_the_config() {
        let c = Config::default();
        let f = Freshness::default();
        assert_eq!(
            (f.fresh_months, f.stale_months),
            (c.fresh_months, c.stale_months)
        );
    }

    #[test]
    fn due_and_stale_cutoffs() {
        let f = Freshness {
            fresh_months: 6,
            stale_months: 12,
        };
        let now = at(2026, 11, 24, 9);
        assert_eq!(f.due_cutoff(now), at(2026, 5, 24, 9));
        assert!(f.is_due(None, now), "never checked is due");
        assert!(f.is_due(Some(at(2026, 5, 24, 8)), now));
        assert!(!f.is_due(Some(at(2026, 5, 24, 9)), now));
        // Stale is counted to the day, as the search engine does.
        let today = now.date_naive();
        assert_eq!(f.stale_from(today), NaiveDate::from_ymd_opt(2025, 11, 24));
        assert!(!f.is_stale(Some(at(2025, 11, 24, 0)), today));
        assert!(f.is_stale(Some(at(2025, 11, 23, 23)), today));
        assert!(
            !f.is_stale(None, today),
            "the engine keeps undated listings"
        );
        let never = Freshness {
            stale_months: 0,
            ..f
        };
        assert_eq!(never.stale_from(today), None);
        assert!(!never.is_stale(Some(at(2000, 1, 1, 0)), today));
        assert_eq!(never.leaves_search_on(at(2000, 1, 1, 0)), None);
    }

    /// The day a reminder names is the first day the listing is out of results, also
    /// across month ends and leap days.
    #[test]
    fn leaves_search_on_the_first_stale_day() {
        let f = Freshness {
            fresh_months: 6,
            stale_months: 12,
        };
        for checked in [
            at(2025, 11, 24, 12),
            at(2025, 8, 31, 0),
            at(2024, 2, 29, 23),
        ] {
            let day = f.leaves_search_on(checked).unwrap();
            assert!(f.is_stale(Some(checked), day), "{checked} {day}");
            assert!(
                !f.is_stale(Some(checked), day.pred_opt().unwrap()),
                "{checked} {day}"
            );
        }
        assert_eq!(
            f.leaves_search_on(at(2025, 11, 24, 12)),
            NaiveDate::from_ymd_opt(2026, 11, 25)
        );
    }
}
