//! Reads for publishing listings to other systems (the Open Referral API): listings
//! with the time they last changed here, changes since a time (withdrawals
//! included, so a consumer can remove what it holds), and the identities that stable
//! published ids are made from.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, from_json, merge};
use crate::listing::{Listing, Status};

/// A listing as published, and when it last changed in the store.
pub type Dated = (Listing, Option<DateTime<Utc>>);

/// One listing's identity: store id, change sequence, source and source id.
pub type Identity = (i64, i64, String, String);

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How many listings changed at or after `?1` (see [`Store::changed_since`]). The
/// condition is the `listings_updated` index's (migration 12), so SQLite counts the
/// index alone.
pub(super) const CHANGED_COUNT_SQL: &str = "SELECT COUNT(*) FROM listings
    WHERE updated_at >= ?1 AND merged_into IS NULL AND status IN ('published', 'archived')";

/// At most `?2` of them: counting a few is quick however many there are.
const CHANGED_PROBE_SQL: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM listings
    WHERE updated_at >= ?1 AND merged_into IS NULL AND status IN ('published', 'archived')
    LIMIT ?2)";

/// At most `?2` of those listed that changed before `?1`.
const UNCHANGED_PROBE_SQL: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM listings
    WHERE updated_at < ?1 AND merged_into IS NULL AND status IN ('published', 'archived')
    LIMIT ?2)";

/// Every listing listed, changed or not.
const LISTED_SQL: &str = "SELECT COUNT(*) FROM listings
    WHERE merged_into IS NULL AND status IN ('published', 'archived')";

/// Up to this many rows are counted one by one before another way is tried.
const PROBE: i64 = 5_000;

/// One page of them in change order: a range of the same index, not a sort.
pub(super) const CHANGED_PAGE_SQL: &str = "SELECT id, data, updated_at FROM listings
    WHERE updated_at >= ?1 AND merged_into IS NULL AND status IN ('published', 'archived')
    ORDER BY updated_at, id LIMIT ?2 OFFSET ?3";

impl Store {
    /// The listings with these ids, as people see them (duplicates filled in), with
    /// their change times, in the order given; ids that do not exist are skipped.
    pub fn dated_listings(&self, ids: &[i64]) -> Result<Vec<Dated>> {
        self.with_reader(|conn| {
            let mut st =
                conn.prepare_cached("SELECT data, updated_at FROM listings WHERE id = ?1")?;
            let mut out = Vec::with_capacity(ids.len());
            for &id in ids {
                let row: Option<(String, String)> = st
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((data, at)) = row {
                    let l = merge::shown(conn, from_json(id, &data)?)?;
                    out.push((l, parse_time(&at)));
                }
            }
            Ok(out)
        })
    }

    /// Listings that changed at or after `since`: published ones (not merged into
    /// another) and withdrawn (archived) ones, oldest change first, then by id. Returns
    /// how many there are in all, and the page `offset..offset + limit`.
    pub fn changed_since(
        &self,
        since: DateTime<Utc>,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<Dated>)> {
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.with_reader(|conn| {
            // One read transaction: the count and the page see the same listings.
            let tx = conn.unchecked_transaction()?;
            let conn = &*tx;
            let total = self.changed_count(conn, &since)?;
            let mut st = conn.prepare_cached(CHANGED_PAGE_SQL)?;
            let rows = st.query_map(params![since, limit as i64, offset as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, data, at) = row?;
                let mut l = from_json(id, &data)?;
                if l.status == Status::Published {
                    l = merge::shown(conn, l)?;
                }
                out.push((l, parse_time(&at)));
            }
            Ok((total, out))
        })
    }

    /// How many listed listings changed at or after `since`, exactly. Counting a
    /// million rows takes SQLite about 60 ms, and a consumer's first sync asks from a
    /// time before everything, then walks every page with the same time. So: few
    /// changed ones are counted; when most changed, the few that did not are counted
    /// and taken from the number listed at all, which is counted once for each state
    /// of the table (its highest change sequence number); only a time in the middle
    /// of a large directory counts every row.
    fn changed_count(&self, conn: &rusqlite::Connection, since: &str) -> Result<usize> {
        self.changed_count_probing(conn, since, PROBE)
    }

    /// [`Store::changed_count`], counting up to `probe` rows one by one.
    pub(super) fn changed_count_probing(
        &self,
        conn: &rusqlite::Connection,
        since: &str,
        probe: i64,
    ) -> Result<usize> {
        let changed: i64 =
            conn.query_row(CHANGED_PROBE_SQL, params![since, probe + 1], |r| r.get(0))?;
        if changed <= probe {
            return Ok(changed as usize);
        }
        let unchanged: i64 =
            conn.query_row(UNCHANGED_PROBE_SQL, params![since, probe + 1], |r| r.get(0))?;
        if unchanged <= probe {
            let state: i64 =
                conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM listings", [], |r| {
                    r.get(0)
                })?;
            let mut listed = self.listed.lock().unwrap_or_else(|p| p.into_inner());
            let all = match *listed {
                Some((at, all)) if at == state => all,
                _ => {
                    let all: i64 = conn.query_row(LISTED_SQL, [], |r| r.get(0))?;
                    *listed = Some((state, all));
                    all
                }
            };
            return Ok((all - unchanged).max(0) as usize);
        }
        let total: i64 = conn.query_row(CHANGED_COUNT_SQL, [since], |r| r.get(0))?;
        Ok(total as usize)
    }

    /// Identities of listings changed after sequence number `after` (all of them
    /// from 0), in sequence order, at most `limit`.
    pub fn identities_since(&self, after: i64, limit: usize) -> Result<Vec<Identity>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, seq, source, source_id FROM listings WHERE seq > ?1
                 ORDER BY seq LIMIT ?2",
            )?;
            let rows = st.query_map(params![after, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
