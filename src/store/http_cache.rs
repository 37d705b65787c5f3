//! Validators (`ETag`, `Last-Modified`) remembered per URL, so the next fetch of a
//! page or a caught-up feed can be conditional and an unchanged answer costs a 304.
//!
//! They are written only after what was read from the response has been committed:
//! a crash in between means one more full fetch next time, never a change skipped.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, now};

/// What the server said about a resource last time, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

impl Store {
    pub fn http_validators(&self, url: &str) -> Result<Option<Validators>> {
        self.with_reader(|conn| {
            Ok(conn
                .query_row(
                    "SELECT etag, last_modified FROM http_cache WHERE url = ?1",
                    [url],
                    |r| {
                        Ok(Validators {
                            etag: r.get(0)?,
                            last_modified: r.get(1)?,
                        })
                    },
                )
                .optional()?
                .filter(|v| !v.is_empty()))
        })
    }

    /// Remembers `v` for `url` (forgets the URL when `v` is empty).
    pub fn set_http_validators(&self, url: &str, v: &Validators) -> Result<()> {
        self.with_writer(|conn| {
            if v.is_empty() {
                conn.execute("DELETE FROM http_cache WHERE url = ?1", [url])?;
            } else {
                conn.execute(
                    "INSERT INTO http_cache (url, etag, last_modified, fetched_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
                       last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
                    params![url, v.etag, v.last_modified, now()],
                )?;
            }
            Ok(())
        })
    }
}
