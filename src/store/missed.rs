//! Searches that found nothing or little, counted for curators and commissioners.
//!
//! A curator reads them to add the words people use; a commissioner reads them to see
//! what people look for that does not exist. They are statistics, not a log: each row
//! is a count per week (the Monday it starts, never a finer time), postcode district and
//! normalised search words, with no address, session or anything else that could tie a
//! row to a person. Rows older than a year are deleted as new weeks are written.

use rusqlite::params;

use super::{Result, Store};

/// One week's count for one search, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedSearch {
    /// The Monday the week starts, `YYYY-MM-DD`.
    pub week: String,
    /// Postcode district of the place searched near ("M33"), or empty.
    pub district: String,
    /// The normalised words.
    pub query: String,
    /// True when the search found nothing; false when it found only a few, or only
    /// listings with some of its words.
    pub nothing: bool,
    pub searches: i64,
}

/// Weeks kept.
const KEEP_WEEKS: i64 = 53;

impl Store {
    /// Adds counts, in one transaction, and deletes weeks older than a year before the
    /// newest one written.
    pub fn add_missed_searches(&self, rows: &[MissedSearch]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            {
                let mut st = tx.prepare_cached(
                    "INSERT INTO missed_searches (week, district, query, found_nothing, searches)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (week, district, query, found_nothing)
                     DO UPDATE SET searches = searches + excluded.searches",
                )?;
                for r in rows {
                    st.execute(params![r.week, r.district, r.query, r.nothing, r.searches])?;
                }
            }
            if let Some(newest) = rows.iter().map(|r| r.week.as_str()).max() {
                tx.execute(
                    "DELETE FROM missed_searches WHERE week < date(?1, ?2)",
                    params![newest, format!("-{} days", KEEP_WEEKS * 7)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// The weeks from `since` (a Monday, `YYYY-MM-DD`) on, newest week first and the
    /// most searched first within a week; at most `limit` rows.
    pub fn missed_searches(&self, since: &str, limit: usize) -> Result<Vec<MissedSearch>> {
        self.with_reader(|conn| {
            let mut st = conn.prepare(
                "SELECT week, district, query, found_nothing, searches FROM missed_searches
                 WHERE week >= ?1
                 ORDER BY week DESC, searches DESC, query, district LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![since, limit as i64], |r| {
                    Ok(MissedSearch {
                        week: r.get(0)?,
                        district: r.get(1)?,
                        query: r.get(2)?,
                        nothing: r.get(3)?,
                        searches: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}
