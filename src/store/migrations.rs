//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Migrations only ever get appended; each runs in its own transaction, so a crash
//! mid-upgrade leaves the database at the previous version, never half way.

use rusqlite::Connection;

use super::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    // 1: listings, postcodes, meta.
    "CREATE TABLE listings (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        source_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('published', 'pending', 'archived')),
        seq INTEGER NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (source, source_id)
    );
    CREATE INDEX listings_seq ON listings (seq);
    CREATE TABLE postcodes (
        postcode TEXT PRIMARY KEY,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        terminated INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;",
    // 2: problems reported by the public about a listing, for moderators.
    "CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        listing_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        details TEXT NOT NULL,
        email TEXT,
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL
    );
    CREATE INDEX reports_status ON reports (status, id);",
    // 3: raw items harvested from feeds, grouped into listings, and each feed's cursor.
    "CREATE TABLE feed_items (
        source TEXT NOT NULL,
        feed TEXT NOT NULL,
        item_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        modified TEXT NOT NULL,
        group_key TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (source, feed, item_id)
    );
    CREATE INDEX feed_items_group ON feed_items (source, group_key);
    CREATE TABLE feed_cursors (
        source TEXT NOT NULL,
        feed TEXT NOT NULL,
        next_url TEXT NOT NULL,
        pages INTEGER NOT NULL DEFAULT 0,
        items INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (source, feed)
    );",
    // 4: a group's items are read in (feed, item_id) order; without these columns in
    // the index SQLite walks the whole source in primary-key order instead, which made
    // harvesting quadratic.
    "DROP INDEX feed_items_group;
    CREATE INDEX feed_items_group ON feed_items (source, group_key, feed, item_id);",
    // 5: the same activity from two sources is shown once (see store::same):
    // `match_key` finds candidates, `merged_into` points a duplicate at the listing
    // people see. Keys for existing rows are filled in by `merge::backfill`.
    "ALTER TABLE listings ADD COLUMN match_key TEXT;
    ALTER TABLE listings ADD COLUMN merged_into INTEGER;
    CREATE INDEX listings_match ON listings (match_key) WHERE match_key IS NOT NULL;
    CREATE INDEX listings_merged ON listings (merged_into) WHERE merged_into IS NOT NULL;
    INSERT INTO meta (key, value) VALUES ('match_keys', 'stale')
      ON CONFLICT (key) DO UPDATE SET value = 'stale';",
    // 6: ETag / Last-Modified per fetched URL, for conditional requests (If-None-Match,
    // If-Modified-Since) on group web pages and caught-up feed pages.
    "CREATE TABLE http_cache (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        fetched_at TEXT NOT NULL
    ) WITHOUT ROWID;",
    // 7: groups and moderation: submissions from the "Add your activity" form and group
    // edits (the form as typed), private edit links (hashed), moderators, their
    // sessions (hashed), login attempts for throttling, the audit log, and which
    // "still running?" reminders have been sent.
    "CREATE TABLE edit_tokens (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        listing_id INTEGER,
        email TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX edit_tokens_listing ON edit_tokens (listing_id);
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('new', 'edit')),
        listing_id INTEGER,
        token_id INTEGER NOT NULL REFERENCES edit_tokens (id),
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        form TEXT NOT NULL,
        email TEXT,
        reason TEXT,
        created_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT
    );
    CREATE INDEX submissions_status ON submissions (status, id);
    CREATE TABLE moderators (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        moderator_id INTEGER NOT NULL REFERENCES moderators (id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        ok INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX login_attempts_user ON login_attempts (username, at);
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        before TEXT,
        after TEXT
    );
    CREATE TABLE reminders (
        listing_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (listing_id, period)
    ) WITHOUT ROWID;",
    // 8: when each published listing was last checked, in order, so the moderators'
    // "due for checking" list and the reminder run read the few due listings instead
    // of every listing's JSON (1.8 s to 2 ms at a million). The expression must match
    // `Store::listings_checked_before` exactly for SQLite to use it.
    "CREATE INDEX listings_checked ON listings (
        COALESCE(json_extract(data, '$.provenance.verified_at'),
                 json_extract(data, '$.provenance.updated_at'), ''),
        id
    ) WHERE status = 'published';",
    // 9: moderators' choice of types for an imported listing, by its source and id, so
    // that it is kept when the source is harvested again (see `store::overrides`).
    "CREATE TABLE type_overrides (
        source TEXT NOT NULL,
        source_id TEXT NOT NULL,
        types TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL,
        PRIMARY KEY (source, source_id)
    ) WITHOUT ROWID;",
    // 10: searches that found nothing or little, counted per week, postcode district and
    // normalised words, and nothing else (see `store::missed`).
    "CREATE TABLE missed_searches (
        week TEXT NOT NULL,
        district TEXT NOT NULL,
        query TEXT NOT NULL,
        found_nothing INTEGER NOT NULL,
        searches INTEGER NOT NULL,
        PRIMARY KEY (week, district, query, found_nothing)
    ) WITHOUT ROWID;",
    // 11: the open data feeds page through the listings of a few sources in change
    // order (see `store::republish`); without this they would walk every listing.
    "CREATE INDEX listings_source_seq ON listings (source, seq, id);",
    // 12: the Open Referral API's `modified_after` reads the listings changed since a
    // time in change order (`Store::changed_since`): a range of this index instead of
    // every listing, sorted. Its condition must match that query's for SQLite to use it,
    // and it carries that condition's columns so a count reads the index alone.
    "CREATE INDEX listings_updated ON listings (updated_at, id, merged_into, status)
        WHERE merged_into IS NULL AND status IN ('published', 'archived');",
];

/// The newest schema version this build knows.
pub fn known() -> i64 {
    MIGRATIONS.len() as i64
}

/// The schema version of a database (SQLite's `user_version`).
pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current = version(conn)?;
    let known = known();
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
