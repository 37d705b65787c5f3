//! Listings from volunteer-run groups, with no account: the "Add your activity" form,
//! private edit links, "still running?" confirmations, moderation and freshness.
//!
//! Groups are the least able to cope with accounts, so a group's only credential is
//! an unguessable link we give them (stored here only as a SHA-256 hash). Everything a
//! group sends is committed to the store before we say it worked, and goes to a
//! moderator before it changes what the public sees.

pub mod deliver;
pub mod form;
pub mod freshness;
pub mod mail;
pub mod tokens;

pub use form::{FieldErrors, ListingForm};

/// The source name recorded on listings that came through the form, and a
/// submission's public reference (`A000123`): the store writes both into listings and
/// the audit log, so they live there.
pub use crate::store::{SUBMISSIONS_SOURCE as SOURCE, submission_reference as reference};

/// The id in a reference typed back to us (`A000123`, `a123`), if it is one.
pub fn parse_reference(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s.strip_prefix('A').or_else(|| s.strip_prefix('a'))?;
    (!digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}
