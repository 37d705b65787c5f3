//! Raw feed items and feed cursors, for harvesting paged feeds (OpenActive RPDE).
//!
//! A harvest applies one page at a time inside one transaction: the raw items, the
//! listings rebuilt from them, and the cursor pointing at the next page all commit
//! together. Kill the process at any moment and the next run starts from the last
//! committed page, with nothing applied twice and nothing skipped.
//!
//! Items are kept raw because one listing can be made of several items that arrive
//! separately (a SessionSeries and its ScheduledSessions, possibly in different
//! feeds): items share a `group_key`, and the listing for a group is rebuilt from all
//! of its items whenever any of them changes.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Result, Store, Upserted, get_in, next_seq, now, to_json, upsert_in};
use crate::listing::{Listing, Status};

/// One raw item as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    pub feed: String,
    pub item_id: String,
    pub kind: String,
    pub data: String,
}

/// Where a feed's harvest has got to.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub next_url: String,
    pub pages: i64,
    pub items: i64,
}

/// A store transaction for applying one feed page.
pub struct FeedTx<'a> {
    tx: Transaction<'a>,
}

impl FeedTx<'_> {
    /// The stored `modified` value and group of an item, if it is known.
    pub fn item_state(
        &self,
        source: &str,
        feed: &str,
        item_id: &str,
    ) -> Result<Option<(String, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT modified, group_key FROM feed_items WHERE source = ?1 AND feed = ?2 AND item_id = ?3",
        )?;
        Ok(st
            .query_row(params![source, feed, item_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn put_item(
        &self,
        source: &str,
        feed: &str,
        item_id: &str,
        kind: &str,
        modified: &str,
        group_key: &str,
        data: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO feed_items (source, feed, item_id, kind, modified, group_key, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (source, feed, item_id) DO UPDATE SET
                   kind = excluded.kind, modified = excluded.modified,
                   group_key = excluded.group_key, data = excluded.data",
            )?
            .execute(params![
                source, feed, item_id, kind, modified, group_key, data
            ])?;
        Ok(())
    }

    pub fn delete_item(&self, source: &str, feed: &str, item_id: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "DELETE FROM feed_items WHERE source = ?1 AND feed = ?2 AND item_id = ?3",
            )?
            .execute(params![source, feed, item_id])?;
        Ok(())
    }

    /// Every item of a group, across the source's feeds.
    pub fn group(&self, source: &str, group_key: &str) -> Result<Vec<StoredItem>> {
        let mut st = self.tx.prepare_cached(
            "SELECT feed, item_id, kind, data FROM feed_items
             WHERE source = ?1 AND group_key = ?2 ORDER BY feed, item_id",
        )?;
        let rows = st.query_map(params![source, group_key], |r| {
            Ok(StoredItem {
                feed: r.get(0)?,
                item_id: r.get(1)?,
                kind: r.get(2)?,
                data: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Every item of one feed (for a web page: what it described last time), as
    /// `(item_id, group_key)`.
    pub fn feed_items(&self, source: &str, feed: &str) -> Result<Vec<(String, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT item_id, group_key FROM feed_items WHERE source = ?1 AND feed = ?2 ORDER BY item_id",
        )?;
        let rows = st.query_map(params![source, feed], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn upsert_listings(&self, listings: &[Listing]) -> Result<Vec<Upserted>> {
        upsert_in(&self.tx, listings)
    }

    /// Archives the listing `(source, source_id)` if it is published; true if it was.
    pub fn withdraw(&self, source: &str, source_id: &str) -> Result<bool> {
        let id: Option<i64> = self
            .tx
            .query_row(
                "SELECT id FROM listings WHERE source = ?1 AND source_id = ?2 AND status = 'published'",
                params![source, source_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(false) };
        let Some(mut listing) = get_in(&self.tx, id)? else {
            return Ok(false);
        };
        listing.status = Status::Archived;
        self.tx.execute(
            "UPDATE listings SET status = ?1, data = ?2, seq = ?3, updated_at = ?4 WHERE id = ?5",
            params![
                Status::Archived.as_str(),
                to_json(&listing),
                next_seq(&self.tx)?,
                now(),
                id
            ],
        )?;
        super::merge::recluster_one(&self.tx, id)?;
        Ok(true)
    }

    pub fn set_cursor(&self, source: &str, feed: &str, next_url: &str, items: usize) -> Result<()> {
        self.tx.execute(
            "INSERT INTO feed_cursors (source, feed, next_url, pages, items, updated_at)
             VALUES (?1, ?2, ?3, 1, ?4, ?5)
             ON CONFLICT (source, feed) DO UPDATE SET next_url = excluded.next_url,
               pages = pages + 1, items = items + excluded.items, updated_at = excluded.updated_at",
            params![source, feed, next_url, items as i64, now()],
        )?;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// Runs `f` in one write transaction, committed only if `f` commits it.
    pub fn feed_transaction<T>(&self, f: impl FnOnce(FeedTx<'_>) -> Result<T>) -> Result<T> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            f(FeedTx { tx })
        })
    }

    pub fn cursor(&self, source: &str, feed: &str) -> Result<Option<Cursor>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT next_url, pages, items FROM feed_cursors WHERE source = ?1 AND feed = ?2",
                    params![source, feed],
                    |r| {
                        Ok(Cursor {
                            next_url: r.get(0)?,
                            pages: r.get(1)?,
                            items: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    pub fn feed_item_count(&self, source: &str) -> Result<i64> {
        self.with_reader(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM feed_items WHERE source = ?1",
                [source],
                |r| r.get(0),
            )?)
        })
    }
}
