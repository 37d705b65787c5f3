//! The store of record, copied to another node: rows of `listings` exactly as they are.
//!
//! Several web nodes behind a load balancer each keep their own search index, and
//! every one of them must show the same listing at the same address (`/listings/12`,
//! shortlist and QR links carry ids). Following a *public* feed cannot give that: the
//! OpenActive feed leaves out sources whose licence forbids republishing, the Open
//! Referral API leaves out merged duplicates and does not round-trip every field, and
//! importing either gives each node its own ids. So a follower copies rows, not
//! listings: every column of every row changed after its cursor, in change order
//! ([`Store::rows_since`]), applied as they are, in one transaction a page
//! ([`Store::apply_rows`]). Nothing is interpreted, matched or merged again: the
//! primary has already done that, and its `seq` is kept, so the follower's own index
//! follows its store exactly as the primary's does.
//!
//! Why the `seq` is a complete change feed: every write to a listing row (an upsert,
//! a status change, a re-cluster of duplicates, a republishing bump) gives that row
//! the next `seq` inside the write's transaction, rows are never deleted, and one
//! writer at a time means a later commit never carries a lower `seq`. A follower that
//! has applied everything up to `seq` N therefore holds the primary's listings as they
//! were when N was committed. Only `listings` is copied: submissions, moderators,
//! sessions, reports, harvest state and the outbox belong to the node that takes
//! writes (the primary); postcode tables are loaded on each node.
//!
//! Each store has an identity (`store_id` in `meta`, made on first use). A follower
//! takes its primary's when it starts empty and afterwards refuses rows from any other
//! store, so pointing a follower at the wrong primary cannot mix two directories. A
//! primary restored from an older backup keeps its identity and is noticed only while
//! its last `seq` is below the follower's (docs/SCALING.md says what to do).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, from_json};
use crate::listing::Status;

/// The `meta` key holding the identity of the store these listings belong to.
const STORE_ID: &str = "store_id";

/// One row of `listings`, every column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub id: i64,
    pub source: String,
    pub source_id: String,
    pub status: String,
    pub seq: i64,
    /// The listing as stored (JSON), unparsed.
    pub data: String,
    pub created_at: String,
    pub updated_at: String,
    pub match_key: Option<String>,
    pub merged_into: Option<i64>,
}

/// Why rows from another node were not applied (nothing of the page was).
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error(
        "the primary's store ({theirs}) is not the one this data directory follows ({ours}): \
         a follower copies one directory; start it on an empty data directory to follow another"
    )]
    OtherStore { ours: String, theirs: String },
    #[error(
        "this data directory already has listings of its own: a follower must start on an \
         empty data directory (or one that already follows this primary)"
    )]
    NotEmpty,
    #[error(
        "the primary's store went back in time (its last change is {theirs}, this follower \
         has applied up to {ours}; was it restored from a backup?): nothing more is applied. \
         Stop this follower, delete its data directory and start it again"
    )]
    Behind { ours: i64, theirs: i64 },
    #[error("row {id} from the primary is not valid: {why}")]
    BadRow { id: i64, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What applying one page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub rows: usize,
    /// The highest `seq` now held: the cursor for the next page.
    pub seq: i64,
}

impl Store {
    /// This store's identity, made (random) and kept the first time it is asked for.
    pub fn store_id(&self) -> Result<String> {
        if let Some(id) = self.meta(STORE_ID)? {
            return Ok(id);
        }
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::File {
            path: self.path.clone(),
            cause: std::io::Error::other(e.to_string()),
        })?;
        let made: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        // Another connection may have made one first: the stored one wins.
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
                params![STORE_ID, made],
            )?;
            Ok(
                conn.query_row("SELECT value FROM meta WHERE key = ?1", [STORE_ID], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    /// Up to `limit` rows changed after `after`, in change order, every column.
    pub fn rows_since(&self, after: i64, limit: usize) -> Result<Vec<Row>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, source, source_id, status, seq, data, created_at, updated_at,
                        match_key, merged_into
                 FROM listings WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = st.query_map(params![after, limit as i64], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    source_id: r.get(2)?,
                    status: r.get(3)?,
                    seq: r.get(4)?,
                    data: r.get(5)?,
                    created_at: r.get(6)?,
                    updated_at: r.get(7)?,
                    match_key: r.get(8)?,
                    merged_into: r.get(9)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Applies one page of a primary's rows (from [`Store::rows_since`]) exactly as they
    /// are, in one transaction: all of it or, on any error, none of it. `primary` is the
    /// primary's store identity and `primary_seq` its last change; see the module docs
    /// for the checks.
    pub fn apply_rows(
        &self,
        primary: &str,
        primary_seq: i64,
        rows: &[Row],
    ) -> std::result::Result<Applied, ReplicaError> {
        for r in rows {
            let known = [Status::Published, Status::Pending, Status::Archived];
            if !known.iter().any(|s| s.as_str() == r.status) {
                return Err(ReplicaError::BadRow {
                    id: r.id,
                    why: format!("status {:?}", r.status),
                });
            }
            from_json(r.id, &r.data).map_err(|e| ReplicaError::BadRow {
                id: r.id,
                why: e.to_string(),
            })?;
        }
        // The outer result is the store's; the inner one a page refused on purpose.
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let ours: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [STORE_ID], |r| {
                    r.get(0)
                })
                .optional()?;
            let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM listings", [], |r| {
                r.get(0)
            })?;
            match ours {
                Some(ours) if ours != primary => {
                    return Ok(Err(ReplicaError::OtherStore {
                        ours,
                        theirs: primary.to_string(),
                    }));
                }
                Some(_) => {}
                None => {
                    let count: i64 =
                        tx.query_row("SELECT COUNT(*) FROM listings", [], |r| r.get(0))?;
                    if count > 0 {
                        return Ok(Err(ReplicaError::NotEmpty));
                    }
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        params![STORE_ID, primary],
                    )?;
                }
            }
            if primary_seq < seq {
                return Ok(Err(ReplicaError::Behind {
                    ours: seq,
                    theirs: primary_seq,
                }));
            }
            {
                let mut put = tx.prepare_cached(
                    "INSERT INTO listings (id, source, source_id, status, seq, data, created_at,
                                           updated_at, match_key, merged_into)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT(id) DO UPDATE SET source = excluded.source,
                       source_id = excluded.source_id, status = excluded.status,
                       seq = excluded.seq, data = excluded.data,
                       created_at = excluded.created_at, updated_at = excluded.updated_at,
                       match_key = excluded.match_key, merged_into = excluded.merged_into",
                )?;
                for r in rows {
                    put.execute(params![
                        r.id,
                        r.source,
                        r.source_id,
                        r.status,
                        r.seq,
                        r.data,
                        r.created_at,
                        r.updated_at,
                        r.match_key,
                        r.merged_into
                    ])?;
                }
            }
            tx.commit()?;
            Ok(Ok(Applied {
                rows: rows.len(),
                seq: rows.iter().map(|r| r.seq).max().unwrap_or(seq).max(seq),
            }))
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{listing, temp_store as store};

    /// Copies everything `from` has changed since the follower's last row.
    fn follow(from: &Store, to: &Store) -> std::result::Result<Applied, ReplicaError> {
        let rows = from.rows_since(to.max_seq()?, 2)?;
        to.apply_rows(&from.store_id()?, from.max_seq()?, &rows)
    }

    fn all_rows(s: &Store) -> Vec<Row> {
        s.rows_since(0, 1000).unwrap()
    }

    #[test]
    fn a_follower_holds_the_same_rows_edits_and_withdrawals_included() {
        let (_a, primary) = store();
        let (_b, copy) = store();
        let ids: Vec<i64> = ["a", "b", "c"]
            .iter()
            .map(|k| {
                primary
                    .upsert(&listing(k, &format!("Walk {k}")))
                    .unwrap()
                    .id()
            })
            .collect();
        primary.upsert(&listing("b", "Walk b, new route")).unwrap();
        primary.set_status(ids[2], Status::Archived).unwrap();
        // Pages of two, until nothing is left.
        while follow(&primary, &copy).unwrap().rows > 0 {}
        assert_eq!(all_rows(&copy), all_rows(&primary));
        assert_eq!(copy.store_id().unwrap(), primary.store_id().unwrap());
        let b = copy.get(ids[1]).unwrap().unwrap();
        assert_eq!(b.title, "Walk b, new route");
        assert_eq!(copy.get(ids[2]).unwrap().unwrap().status, Status::Archived);
        // The index of the copy follows its changes like the primary's.
        let changed = copy.changes_since(0, 10).unwrap();
        assert_eq!(changed.len(), 3);
        assert!(
            changed
                .iter()
                .any(|c| c.id == ids[2] && c.listing.is_none())
        );
        // Nothing new: nothing applied.
        assert_eq!(follow(&primary, &copy).unwrap().rows, 0);
    }

    #[test]
    fn rows_from_another_store_or_into_a_store_of_its_own_are_refused() {
        let (_a, primary) = store();
        let (_o, other) = store();
        let (_b, copy) = store();
        primary.upsert(&listing("a", "Walk")).unwrap();
        other.upsert(&listing("z", "Choir")).unwrap();
        follow(&primary, &copy).unwrap();
        let e = follow(&other, &copy).unwrap_err();
        assert!(matches!(e, ReplicaError::OtherStore { .. }), "{e}");
        // A store with listings of its own does not take a primary's.
        let (_m, mine) = store();
        mine.upsert(&listing("m", "Art")).unwrap();
        let e = follow(&primary, &mine).unwrap_err();
        assert!(matches!(e, ReplicaError::NotEmpty), "{e}");
        assert!(e.to_string().contains("empty data directory"), "{e}");
        // A primary that went back in time (restored from an older backup).
        primary.upsert(&listing("b", "Swim")).unwrap();
        follow(&primary, &copy).unwrap();
        let e = copy
            .apply_rows(&primary.store_id().unwrap(), 1, &[])
            .unwrap_err();
        assert!(matches!(e, ReplicaError::Behind { .. }), "{e}");
    }

    #[test]
    fn a_page_with_a_bad_row_changes_nothing() {
        let (_a, primary) = store();
        let (_b, copy) = store();
        primary.upsert(&listing("a", "Walk")).unwrap();
        primary.upsert(&listing("b", "Swim")).unwrap();
        let mut rows = all_rows(&primary);
        rows[1].data = "{not json".into();
        let e = copy
            .apply_rows(&primary.store_id().unwrap(), 2, &rows)
            .unwrap_err();
        assert!(matches!(e, ReplicaError::BadRow { .. }), "{e}");
        rows[1].status = "gone".into();
        assert!(copy.apply_rows("x", 2, &rows).is_err());
        assert_eq!(copy.count().unwrap(), 0);
        assert_eq!(copy.meta(STORE_ID).unwrap(), None);
    }
}
