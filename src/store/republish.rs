//! What Signpost republishes as open data: the listings of chosen sources in the order
//! they last changed, withdrawn ones included.
//!
//! The OpenActive feeds (`publish::openactive`) page through listings by their change
//! number `seq` (the same one the indexer follows) and id: RPDE's "modified + id"
//! ordering with `seq` as the modified value. Every write gives the listing a new
//! `seq`, so an edit or a withdrawal moves it to the end of the feed and a consumer
//! following the feed sees it on its next page. A listing is read as its source gave
//! it (not filled in from duplicates merged into it), so nothing from a source that
//! does not allow republishing leaks into the feed through a merge.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::{Result, Store, from_json, next_seq};
use crate::listing::{Listing, Status};

/// One listing in change order.
#[derive(Debug)]
pub struct Republished {
    pub id: i64,
    pub seq: i64,
    pub source: String,
    /// The listing when it is published; `None` when pending or withdrawn.
    pub listing: Option<Listing>,
}

/// SQL placeholders for `n` values from `?first` on.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Up to `limit` listings of `sources` that changed after `(seq, id)`, in
    /// `(seq, id)` order.
    pub fn republished_after(
        &self,
        sources: &[String],
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<Republished>> {
        if sources.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.with_reader(|conn| {
            let sql = format!(
                "SELECT id, seq, source, status, data FROM listings
                 WHERE source IN ({}) AND (seq, id) > (?1, ?2)
                 ORDER BY seq, id LIMIT ?3",
                placeholders(4, sources.len())
            );
            let mut values: Vec<Value> = vec![
                Value::Integer(after.0),
                Value::Integer(after.1),
                Value::Integer(limit.min(i64::MAX as usize) as i64),
            ];
            values.extend(sources.iter().map(|s| Value::Text(s.clone())));
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(values), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, seq, source, status, data) = row?;
                let listing = (status == Status::Published.as_str())
                    .then(|| from_json(id, &data))
                    .transpose()?;
                out.push(Republished {
                    id,
                    seq,
                    source,
                    listing,
                });
            }
            Ok(out)
        })
    }

    /// Gives every listing of `sources` a new change number without changing it, so
    /// feeds that follow changes send them again: for a source whose republishing was
    /// switched on or off. Returns how many listings that was.
    pub fn touch_sources(&self, sources: &[String]) -> Result<usize> {
        if sources.is_empty() {
            return Ok(0);
        }
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let ids: Vec<i64> = {
                let sql = format!(
                    "SELECT id FROM listings WHERE source IN ({}) ORDER BY id",
                    placeholders(1, sources.len())
                );
                let mut stmt = tx.prepare(&sql)?;
                stmt.query_map(params_from_iter(sources.iter()), |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            let mut seq = next_seq(&tx)?;
            {
                let mut bump = tx.prepare_cached("UPDATE listings SET seq = ?1 WHERE id = ?2")?;
                for id in &ids {
                    bump.execute([seq, *id])?;
                    seq += 1;
                }
            }
            tx.commit()?;
            Ok(ids.len())
        })
    }
}
