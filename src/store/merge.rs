//! Keeping one listing per real activity across sources.
//!
//! The rule for "same activity" lives in [`crate::store::same`]; this module applies
//! it inside the write transaction that changed a listing, so the store never holds a
//! moment where two sources' copies are both searchable (or where a duplicate points
//! at a listing that has gone). Each listing row carries its `match_key`; a row whose
//! `merged_into` is set is left out of the index and its page redirects to the listing
//! it was merged into, which shows both provenances. Whenever a row with a key is
//! written, every row sharing that key (old and new) is re-clustered: the lowest id
//! stays the one people see, because shared links and printed handouts point at it.
//! Changing `merged_into` takes a new `seq`, so the indexer picks it up like any edit.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, from_json, next_seq};
use crate::listing::{Listing, Provenance, Status};
use crate::store::same::{fill_gaps, match_key, same_activity};

/// Re-clusters every listing sharing one of `keys`.
pub(super) fn recluster(conn: &Connection, keys: &BTreeSet<String>) -> Result<()> {
    let mut rows = conn.prepare_cached(
        "SELECT id, status, data, merged_into FROM listings WHERE match_key = ?1 ORDER BY id",
    )?;
    let mut set =
        conn.prepare_cached("UPDATE listings SET merged_into = ?1, seq = ?2 WHERE id = ?3")?;
    let mut bump = conn.prepare_cached("UPDATE listings SET seq = ?1 WHERE id = ?2")?;
    for key in keys {
        let found = rows
            .query_map([key], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if found.len() < 2 && found.iter().all(|(_, _, _, m)| m.is_none()) {
            continue;
        }
        let mut canonical: Vec<(i64, Listing)> = Vec::new();
        for (id, status, data, current) in found {
            let mut wanted = None;
            if status == Status::Published.as_str() {
                let l = from_json(id, &data)?;
                match canonical.iter().find(|(_, c)| same_activity(c, &l)) {
                    Some((cid, _)) => wanted = Some(*cid),
                    None => canonical.push((id, l)),
                }
            }
            if wanted != current {
                set.execute(params![wanted, next_seq(conn)?, id])?;
            }
        }
        // What a listing that stays shows depends on its duplicates (`shown`), and one
        // of them, or who they are, may just have changed: index it again.
        for (id, _) in canonical {
            bump.execute(params![next_seq(conn)?, id])?;
        }
    }
    Ok(())
}

/// The listings that have duplicates merged into them (few), so that a pass over
/// every listing looks up duplicates only for those.
pub(super) fn with_duplicates(conn: &Connection) -> Result<std::collections::HashSet<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT merged_into FROM listings WHERE merged_into IS NOT NULL",
    )?;
    let ids = st
        .query_map([], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// [`shown`], looking up duplicates only for the listings in `merged` (from
/// [`with_duplicates`]), for a pass over every listing.
pub(super) fn shown_if(
    conn: &Connection,
    merged: &std::collections::HashSet<i64>,
    listing: Listing,
) -> Result<Listing> {
    if merged.contains(&listing.id) {
        shown(conn, listing)
    } else {
        Ok(listing)
    }
}

/// `listing` as people see it: the gaps it leaves filled from the published listings
/// merged into it, oldest first (see [`crate::store::same::fill_gaps`]).
pub(super) fn shown(conn: &Connection, mut listing: Listing) -> Result<Listing> {
    let mut st = conn.prepare_cached(
        "SELECT id, data FROM listings
         WHERE merged_into = ?1 AND status = 'published' ORDER BY id",
    )?;
    let rows = st
        .query_map([listing.id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if rows.is_empty() {
        return Ok(listing);
    }
    let others = rows
        .into_iter()
        .map(|(id, data)| from_json(id, &data))
        .collect::<Result<Vec<_>>>()?;
    fill_gaps(&mut listing, &others);
    Ok(listing)
}

/// The stored key of one listing, for re-clustering after its status changed.
pub(super) fn key_of(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT match_key FROM listings WHERE id = ?1", [id], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()?
        .flatten())
}

/// Re-clusters around one listing whose status just changed.
pub(super) fn recluster_one(conn: &Connection, id: i64) -> Result<()> {
    if let Some(key) = key_of(conn, id)? {
        recluster(conn, &BTreeSet::from([key]))?;
    }
    Ok(())
}

/// Fills in keys for rows written before keys existed (or by an older rule), then
/// merges. Runs once, on the first open after the migration.
pub(super) fn backfill(conn: &mut Connection) -> Result<()> {
    let stale: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'match_keys'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if stale.as_deref() != Some("stale") {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let mut keys = BTreeSet::new();
    {
        let mut read = tx.prepare("SELECT id, data FROM listings")?;
        let mut write = tx.prepare("UPDATE listings SET match_key = ?1 WHERE id = ?2")?;
        let rows = read
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, data) in rows {
            let key = match_key(&from_json(id, &data)?);
            write.execute(params![key, id])?;
            keys.extend(key);
        }
    }
    recluster(&tx, &keys)?;
    tx.execute(
        "UPDATE meta SET value = 'current' WHERE key = 'match_keys'",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

impl Store {
    /// The listing `id`, or, if it was merged as a duplicate, the listing it was merged
    /// into (what a person following an old link should see).
    /// It is shown with its gaps filled from its duplicates; [`Store::get`] is the
    /// listing exactly as its source gave it (for editing).
    pub fn get_current(&self, id: i64) -> Result<Option<Listing>> {
        let id = self.merged_into(id)?.unwrap_or(id);
        self.with_reader(|conn| match super::get_in(conn, id)? {
            Some(l) => Ok(Some(shown(conn, l)?)),
            None => Ok(None),
        })
    }

    /// How many of a source's listings are merged with the same activity from another
    /// source (either side of the merge), for harvest summaries.
    pub fn merged_count(&self, source: &str) -> Result<i64> {
        self.with_reader(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM listings l WHERE l.source = ?1 AND (
                   l.merged_into IS NOT NULL
                   OR EXISTS (SELECT 1 FROM listings d WHERE d.merged_into = l.id))",
                [source],
                |r| r.get(0),
            )?)
        })
    }

    /// The listing a duplicate was merged into, if it was.
    pub fn merged_into(&self, id: i64) -> Result<Option<i64>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT merged_into FROM listings WHERE id = ?1",
                    [id],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .optional()?
                .flatten())
        })
    }

    /// Where else the listing `id` is published: the provenance of every listing
    /// merged into it, oldest first.
    pub fn merged_from(&self, id: i64) -> Result<Vec<Provenance>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, data FROM listings WHERE merged_into = ?1 ORDER BY id",
            )?;
            let rows = st
                .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(id, data)| Ok(from_json(id, &data)?.provenance))
                .collect()
        })
    }
}
