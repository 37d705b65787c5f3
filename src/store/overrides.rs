//! Moderators' choice of types for imported listings.
//!
//! A record that fits none of Signpost's types is imported with the general type and
//! shows on the moderators' "needs a category" list. The types a moderator sets there
//! are kept by the listing's (source, source id), not its row, and applied by every
//! write of that listing ([`super::upsert_in`]), so a re-harvest of the same source
//! keeps them. Each change is in the audit log, in the same transaction.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, get_in, groups::audit, now, upsert_in};
use crate::listing::Status;
use crate::listing::taxonomy::GENERAL_TYPE;

/// The types a moderator set for (source, source id), if any.
pub(super) fn types_for(
    conn: &Connection,
    source: &str,
    source_id: &str,
) -> Result<Option<Vec<String>>> {
    let mut st = conn
        .prepare_cached("SELECT types FROM type_overrides WHERE source = ?1 AND source_id = ?2")?;
    let found: Option<String> = st
        .query_row(params![source, source_id], |r| r.get(0))
        .optional()?;
    Ok(found.and_then(|t| serde_json::from_str(&t).ok()))
}

/// A listing waiting for a moderator to choose its types.
#[derive(Debug, Clone)]
pub struct Uncategorised {
    pub id: i64,
    pub title: String,
    pub source: String,
    pub summary: String,
}

impl Store {
    /// Published listings that have only the general type and no moderator's choice,
    /// oldest first, at most `limit`; and how many there are.
    pub fn needs_category(&self, limit: usize) -> Result<(Vec<Uncategorised>, i64)> {
        self.with_reader(|conn| {
            let from = "FROM listings l
                 WHERE l.status = 'published' AND l.merged_into IS NULL
                   AND json_extract(l.data, '$.types') = ?1
                   AND NOT EXISTS (SELECT 1 FROM type_overrides o
                                   WHERE o.source = l.source AND o.source_id = l.source_id)";
            let general = serde_json::json!([GENERAL_TYPE]).to_string();
            let total: i64 =
                conn.query_row(&format!("SELECT COUNT(*) {from}"), [&general], |r| r.get(0))?;
            let mut st = conn.prepare(&format!(
                "SELECT l.id, json_extract(l.data, '$.title'), l.source,
                        COALESCE(json_extract(l.data, '$.summary'), '')
                 {from} ORDER BY l.id LIMIT ?2"
            ))?;
            let rows = st
                .query_map(params![general, limit as i64], |r| {
                    Ok(Uncategorised {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        source: r.get(2)?,
                        summary: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rows, total))
        })
    }

    /// Sets a listing's types as a moderator's choice: kept across re-harvests of its
    /// source, and written to the audit log. False if there is no such published
    /// listing. `types` must be known slugs (the caller checks them).
    pub fn set_types(&self, id: i64, types: &[String], actor: &str) -> Result<bool> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let Some(mut listing) = get_in(&tx, id)? else {
                return Ok(false);
            };
            if listing.status != Status::Published || types.is_empty() {
                return Ok(false);
            }
            let before = serde_json::to_string(&listing.types).unwrap_or_default();
            let after = serde_json::to_string(types).unwrap_or_default();
            tx.execute(
                "INSERT INTO type_overrides (source, source_id, types, set_by, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (source, source_id) DO UPDATE
                 SET types = excluded.types, set_by = excluded.set_by, set_at = excluded.set_at",
                params![
                    listing.provenance.source,
                    listing.provenance.source_id,
                    after,
                    actor,
                    now()
                ],
            )?;
            listing.types = types.to_vec();
            upsert_in(&tx, std::slice::from_ref(&listing))?;
            audit(
                &tx,
                actor,
                "set types",
                &format!("listing {id}"),
                Some(&before),
                Some(&after),
            )?;
            tx.commit()?;
            Ok(true)
        })
    }
}
