//! Freshness: listings not confirmed for a while are due for checking, and their
//! groups get a "still running?" email with a new private link, once per lapse.
//!
//! The reminder goes out when a listing passes the "due" age (default 6 months), well
//! before the "stale" age (default 12 months), so a group has months to click it. The
//! link is new each time because we keep only hashes of the old ones.

use chrono::{DateTime, Months, Utc};

use super::mail::{Message, Outbox};
use super::tokens;
use crate::store::{Store, StoreError};

/// The moment before which a listing last checked is due for checking.
pub fn due_cutoff(now: DateTime<Utc>, fresh_months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(fresh_months))
        .unwrap_or(now)
}

/// Sends "still running?" emails for due listings that have a group email and have not
/// been reminded since they were last checked. Returns how many were written.
pub fn remind(
    store: &Store,
    outbox: &Outbox,
    base_url: &str,
    fresh_months: u32,
    stale_months: u32,
) -> Result<usize, StoreError> {
    let now = Utc::now();
    let mut sent = 0;
    for due in store.listings_checked_before(due_cutoff(now, fresh_months), 10_000)? {
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
            let hide = due
                .last_checked
                .and_then(|c| c.checked_add_months(Months::new(stale_months)))
                .map_or_else(
                    || "soon".to_string(),
                    |d| format!("on {}", d.format("%-d %B %Y")),
                );
            let m = Message {
                to: email.clone(),
                subject: format!(
                    "Is \"{}\" still running?",
                    due.title.replace(['\r', '\n'], " ")
                ),
                body: format!(
                    "Hello,\n\nIs \"{}\" still running? Please open your private link and press the button to confirm, or change anything that is out of date:\n\n{}/manage/{token}\n\nIf we do not hear from you, the listing will stop appearing in search {hide}.\n",
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
