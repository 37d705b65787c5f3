//! Store side of groups and moderation: submissions, private edit links, moderators,
//! sessions, login attempts, the audit log and reminders.
//!
//! Every moderation action changes the listing, the submission and the audit log in
//! one transaction, so the log can never disagree with what happened.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Result, Store, Upserted, get_in, now, to_json, upsert_in};
use crate::listing::{Listing, Status};

/// A submission from a group: a new listing or a change to one.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: i64,
    /// `new` or `edit`.
    pub kind: String,
    pub listing_id: Option<i64>,
    pub token_id: i64,
    pub status: String,
    /// The form as typed (JSON of `groups::ListingForm`).
    pub form: String,
    pub email: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
}

/// What a private edit link opens.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub token_id: i64,
    pub listing_id: Option<i64>,
    pub email: Option<String>,
    /// The newest submission made with this link, with its status.
    pub latest: Option<(i64, String)>,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A published listing not confirmed recently.
/// Published listings last checked before ?1, oldest first, at most ?2. Never checked
/// is '' and comes first. The `checked` expression is the one migration 8 indexes, so
/// this reads only the due listings; `tests::the_due_list_reads_its_index` holds them
/// together.
pub(super) const DUE_SQL: &str = "SELECT id, json_extract(data, '$.title'),
        COALESCE(json_extract(data, '$.provenance.verified_at'),
                 json_extract(data, '$.provenance.updated_at'), '') AS checked
     FROM listings WHERE status = 'published' AND checked < ?1
     ORDER BY checked, id LIMIT ?2";

#[derive(Debug, Clone)]
pub struct DueListing {
    pub id: i64,
    pub title: String,
    pub last_checked: Option<DateTime<Utc>>,
    /// Emails of the group's private links, for "still running?" reminders.
    pub emails: Vec<String>,
}

pub(super) fn audit(
    tx: &Connection,
    actor: &str,
    action: &str,
    subject: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, subject, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now(), actor, action, subject, before, after],
    )?;
    Ok(())
}

const SUBMISSION_COLS: &str =
    "id, kind, listing_id, token_id, status, form, email, reason, created_at";

fn submission_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Submission> {
    Ok(Submission {
        id: r.get(0)?,
        kind: r.get(1)?,
        listing_id: r.get(2)?,
        token_id: r.get(3)?,
        status: r.get(4)?,
        form: r.get(5)?,
        email: r.get(6)?,
        reason: r.get(7)?,
        created_at: r.get(8)?,
    })
}

fn submission_in(conn: &Connection, id: i64) -> Result<Option<Submission>> {
    Ok(conn
        .query_row(
            &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = ?1"),
            [id],
            submission_row,
        )
        .optional()?)
}

/// The submission if it is still pending (a decided one cannot be acted on again).
fn pending_in(conn: &Connection, id: i64) -> Result<Option<Submission>> {
    Ok(submission_in(conn, id)?.filter(|s| s.status == "pending"))
}

/// The listing with its "last checked" time set to now, written in `tx`.
fn touch_verified(tx: &Transaction<'_>, listing: &Listing) -> Result<Upserted> {
    let mut l = listing.clone();
    l.provenance.verified_at = Some(Utc::now());
    Ok(upsert_in(tx, std::slice::from_ref(&l))?[0])
}

/// The source name recorded on listings that came through the "Add your activity"
/// form.
pub const SUBMISSIONS_SOURCE: &str = "groups";

/// A submission's public reference, like `A000123`.
pub fn submission_reference(id: i64) -> String {
    format!("A{id:06}")
}

impl Store {
    /// Runs a moderation action in one write transaction, committed only if `f`
    /// succeeds, so the change and its audit entry land together or not at all.
    fn in_transaction<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Stores a new listing submitted by a group with the hash of its private edit
    /// link. Returns the submission id once committed.
    pub fn add_new_submission(
        &self,
        form_json: &str,
        email: Option<&str>,
        token_hash: &str,
    ) -> Result<i64> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO edit_tokens (token_hash, listing_id, email, created_at) VALUES (?1, NULL, ?2, ?3)",
                params![token_hash, email, now()],
            )?;
            let token_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO submissions (kind, listing_id, token_id, form, email, created_at)
                 VALUES ('new', NULL, ?1, ?2, ?3, ?4)",
                params![token_id, form_json, email, now()],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(id)
        })
    }

    /// Stores a group's proposed change to a live listing (the listing itself is left
    /// alone until a moderator approves it).
    pub fn add_edit_submission(
        &self,
        token_id: i64,
        listing_id: i64,
        form_json: &str,
        email: Option<&str>,
    ) -> Result<i64> {
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO submissions (kind, listing_id, token_id, form, email, created_at)
                 VALUES ('edit', ?1, ?2, ?3, ?4, ?5)",
                params![listing_id, token_id, form_json, email, now()],
            )?;
            Ok(conn.last_insert_rowid())
        })
    }

    pub fn token(&self, token_hash: &str) -> Result<Option<TokenInfo>> {
        self.with_reader(|conn| {
            let row: Option<(i64, Option<i64>, Option<String>)> = conn
                .query_row(
                    "SELECT id, listing_id, email FROM edit_tokens WHERE token_hash = ?1",
                    [token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((token_id, listing_id, email)) = row else {
                return Ok(None);
            };
            let latest = conn
                .query_row(
                    "SELECT id, status FROM submissions WHERE token_id = ?1 ORDER BY id DESC LIMIT 1",
                    [token_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(Some(TokenInfo {
                token_id,
                listing_id,
                email,
                latest,
            }))
        })
    }

    pub fn submission(&self, id: i64) -> Result<Option<Submission>> {
        self.with_reader(|conn| submission_in(conn, id))
    }

    /// Submissions waiting for a moderator, oldest first.
    pub fn pending_submissions(&self) -> Result<Vec<Submission>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare(&format!(
                "SELECT {SUBMISSION_COLS} FROM submissions WHERE status = 'pending' ORDER BY id"
            ))?;
            let rows = st.query_map([], submission_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Publishes a submission: `listing` is what it becomes (built and checked by the
    /// caller). A new listing gets source id `sub-{id}`; a change replaces the live
    /// listing. Returns the listing id, or None if the submission is not pending.
    pub fn approve_submission(
        &self,
        id: i64,
        actor: &str,
        listing: &Listing,
    ) -> Result<Option<i64>> {
        self.in_transaction(|tx| {
            let Some(sub) = pending_in(tx, id)? else {
                return Ok(None);
            };
            let mut l = listing.clone();
            l.status = Status::Published;
            l.provenance.verified_at = Some(Utc::now());
            let before = match sub.listing_id {
                Some(lid) => get_in(tx, lid)?,
                None => None,
            };
            if let Some(b) = &before {
                l.id = b.id;
                l.provenance.source = b.provenance.source.clone();
                l.provenance.source_id = b.provenance.source_id.clone();
            } else {
                l.id = 0;
                l.provenance.source = SUBMISSIONS_SOURCE.into();
                l.provenance.source_id = format!("sub-{id}");
            }
            let listing_id = upsert_in(tx, std::slice::from_ref(&l))?[0].id();
            tx.execute(
                "UPDATE submissions SET status = 'approved', listing_id = ?1, decided_at = ?2, decided_by = ?3 WHERE id = ?4",
                params![listing_id, now(), actor, id],
            )?;
            tx.execute(
                "UPDATE edit_tokens SET listing_id = ?1 WHERE id = ?2",
                params![listing_id, sub.token_id],
            )?;
            let after = get_in(tx, listing_id)?;
            audit(
                tx,
                actor,
                if before.is_some() { "approve change" } else { "approve new listing" },
                &format!("submission {} / listing {listing_id}", submission_reference(id)),
                before.as_ref().map(to_json).as_deref(),
                after.as_ref().map(to_json).as_deref(),
            )?;
            Ok(Some(listing_id))
        })
    }

    /// Rejects a pending submission with a reason. Returns it (for the email to the
    /// group), or None if it was not pending.
    pub fn reject_submission(
        &self,
        id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<Option<Submission>> {
        self.in_transaction(|tx| {
            let Some(sub) = pending_in(tx, id)? else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE submissions SET status = 'rejected', reason = ?1, decided_at = ?2, decided_by = ?3 WHERE id = ?4",
                params![reason, now(), actor, id],
            )?;
            audit(
                tx,
                actor,
                "reject",
                &format!("submission {}", submission_reference(id)),
                Some(&sub.form),
                Some(reason),
            )?;
            Ok(Some(sub))
        })
    }

    /// A moderator's correction to a pending submission's form before approving it.
    pub fn edit_submission(&self, id: i64, actor: &str, form_json: &str) -> Result<bool> {
        self.in_transaction(|tx| {
            let Some(sub) = pending_in(tx, id)? else {
                return Ok(false);
            };
            tx.execute(
                "UPDATE submissions SET form = ?1 WHERE id = ?2",
                params![form_json, id],
            )?;
            audit(
                tx,
                actor,
                "edit submission",
                &format!("submission {}", submission_reference(id)),
                Some(&sub.form),
                Some(form_json),
            )?;
            Ok(true)
        })
    }

    /// Archives a listing (it leaves search), logged.
    pub fn archive_listing(&self, id: i64, actor: &str) -> Result<bool> {
        self.in_transaction(|tx| {
            let Some(before) = get_in(tx, id)? else {
                return Ok(false);
            };
            let mut l = before.clone();
            l.status = Status::Archived;
            upsert_in(tx, std::slice::from_ref(&l))?;
            audit(
                tx,
                actor,
                "archive",
                &format!("listing {id}"),
                Some(&to_json(&before)),
                Some(&to_json(&l)),
            )?;
            Ok(true)
        })
    }

    /// "Still running": sets the listing's last-checked time to now, logged.
    pub fn confirm_listing(&self, id: i64, actor: &str) -> Result<bool> {
        self.in_transaction(|tx| {
            let Some(before) = get_in(tx, id)? else {
                return Ok(false);
            };
            if before.status != Status::Published {
                return Ok(false);
            }
            touch_verified(tx, &before)?;
            let after = get_in(tx, id)?;
            audit(
                tx,
                actor,
                "confirm still running",
                &format!("listing {id}"),
                Some(&to_json(&before)),
                after.as_ref().map(to_json).as_deref(),
            )?;
            Ok(true)
        })
    }

    /// Closes a report from the public, logged.
    pub fn close_report(&self, id: i64, actor: &str, outcome: &str) -> Result<bool> {
        self.in_transaction(|tx| {
            let n = tx.execute(
                "UPDATE reports SET status = 'closed' WHERE id = ?1 AND status = 'open'",
                [id],
            )?;
            if n == 1 {
                audit(
                    tx,
                    actor,
                    "close report",
                    &format!("report R{id:06}"),
                    Some("open"),
                    Some(outcome),
                )?;
            }
            Ok(n == 1)
        })
    }

    /// Creates a moderator, or sets a new password for an existing one.
    pub fn set_moderator(&self, username: &str, password_hash: &str) -> Result<bool> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let existed = tx
                .query_row("SELECT 1 FROM moderators WHERE username = ?1", [username], |_| Ok(()))
                .optional()?
                .is_some();
            tx.execute(
                "INSERT INTO moderators (username, password_hash, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash",
                params![username, password_hash, now()],
            )?;
            if existed {
                // A new password ends every session of the old one.
                tx.execute(
                    "DELETE FROM sessions WHERE moderator_id = (SELECT id FROM moderators WHERE username = ?1)",
                    [username],
                )?;
            }
            audit(&tx, "cli", if existed { "reset password" } else { "add moderator" }, &format!("moderator {username}"), None, None)?;
            tx.commit()?;
            Ok(!existed)
        })
    }

    /// (id, password hash) of a moderator.
    pub fn moderator(&self, username: &str) -> Result<Option<(i64, String)>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT id, password_hash FROM moderators WHERE username = ?1",
                    [username],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    pub fn record_login(&self, username: &str, ok: bool) -> Result<()> {
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO login_attempts (username, ok, at) VALUES (?1, ?2, ?3)",
                params![username, ok, now()],
            )?;
            // Keep the table small: a day is plenty for throttling.
            let cutoff = (Utc::now() - chrono::Duration::days(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            conn.execute("DELETE FROM login_attempts WHERE at < ?1", [cutoff])?;
            Ok(())
        })
    }

    /// Failed logins for `username` since its last success, within the last `since`.
    pub fn recent_failures(&self, username: &str, since: chrono::Duration) -> Result<i64> {
        let cutoff = (Utc::now() - since).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.with_reader(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM login_attempts WHERE username = ?1 AND ok = 0 AND at >= ?2
                   AND id > COALESCE((SELECT MAX(id) FROM login_attempts WHERE username = ?1 AND ok = 1), 0)",
                params![username, cutoff],
                |r| r.get(0),
            )?)
        })
    }

    pub fn create_session(
        &self,
        token_hash: &str,
        moderator_id: i64,
        csrf: &str,
        hours: i64,
    ) -> Result<()> {
        let expires = (Utc::now() + chrono::Duration::hours(hours))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO sessions (token_hash, moderator_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash, moderator_id, csrf, now(), expires],
            )?;
            conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
            Ok(())
        })
    }

    /// (moderator name, CSRF token) for a live session.
    pub fn session(&self, token_hash: &str) -> Result<Option<(String, String)>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT m.username, s.csrf FROM sessions s JOIN moderators m ON m.id = s.moderator_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    params![token_hash, now()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    pub fn end_session(&self, token_hash: &str) -> Result<()> {
        self.with_writer(|conn| {
            conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
    }

    pub fn log_action(&self, actor: &str, action: &str, subject: &str) -> Result<()> {
        self.with_writer(|conn| audit(conn, actor, action, subject, None, None))
    }

    /// The newest audit entries first.
    pub fn audit_log(&self, limit: i64, offset: i64) -> Result<Vec<AuditEntry>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare(
                "SELECT id, at, actor, action, subject, before, after FROM audit_log ORDER BY id DESC LIMIT ?1 OFFSET ?2",
            )?;
            let rows = st.query_map(params![limit, offset], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    before: r.get(5)?,
                    after: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Published listings last checked before `cutoff` (or never), oldest first.
    /// Reads only those listings, through the index of migration 8.
    pub fn listings_checked_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueListing>> {
        let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.with_reader(|conn| {
            let mut st = conn.prepare(DUE_SQL)?;
            let rows = st.query_map(params![cutoff, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
            })?;
            let mut out = Vec::new();
            let mut emails = conn.prepare_cached(
                "SELECT DISTINCT email FROM edit_tokens WHERE listing_id = ?1 AND email IS NOT NULL ORDER BY email",
            )?;
            for row in rows {
                let (id, title, checked) = row?;
                let list = emails
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                out.push(DueListing {
                    id,
                    title: title.unwrap_or_default(),
                    last_checked: checked
                        .filter(|c| !c.is_empty())
                        .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
                        .map(|d| d.with_timezone(&Utc)),
                    emails: list,
                });
            }
            Ok(out)
        })
    }

    /// Records that a reminder for (listing, period) went out; false if it already had.
    pub fn mark_reminder(&self, listing_id: i64, period: &str) -> Result<bool> {
        self.with_writer(|conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO reminders (listing_id, period, sent_at) VALUES (?1, ?2, ?3)",
                params![listing_id, period, now()],
            )?;
            Ok(n == 1)
        })
    }
}

impl Store {
    /// Submissions waiting for a moderator.
    pub fn pending_count(&self) -> Result<i64> {
        self.with_reader(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM submissions WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )?)
        })
    }
}

impl Store {
    /// A new private link for a live listing (for reminders), stored as a hash.
    pub fn add_listing_token(&self, listing_id: i64, email: &str, token_hash: &str) -> Result<()> {
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO edit_tokens (token_hash, listing_id, email, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, listing_id, email, now()],
            )?;
            Ok(())
        })
    }
}
