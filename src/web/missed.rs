//! Counting searches that found nothing or little, so curators can add the words people
//! use and commissioners can see what people look for that does not exist.
//!
//! Privacy comes first, because search words can be personal ("my dad has dementia"):
//! - only the words are kept, normalised (lower case, no punctuation, at most eight
//!   words), and any word that could identify someone or somewhere exactly is dropped
//!   first: e-mail and web addresses, postcodes, phone and house numbers (a word with a
//!   digit in it, except an age such as "60" or "60s");
//! - with them, only the week (its Monday), the postcode district searched near ("M33")
//!   and whether the search found nothing or only a few; never an IP address, a time of
//!   day, a cookie or anything else that could tie a count to a person;
//! - only searches typed without filters other than a place are counted, so a count
//!   means "these words near here found nothing", and only their first page;
//! - a site can turn it off (`count_missed_searches = false` in the config file), and the
//!   privacy page says which it is.
//!
//! Counts gather in memory and are written in one transaction by [`flush`]: every minute
//! by `serve`, when it stops, and before the moderators' page reads them. They are
//! statistics, not acknowledged writes, so a crash may lose the last minute; a bound on
//! the words waiting keeps a flood of random searches from growing memory.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{Datelike, NaiveDate};

use crate::search::{SearchRequest, SearchResults};
use crate::store::MissedSearch;

use super::{AppState, WebError};

/// A search with fewer results than this "found little".
pub const FEW_RESULTS: usize = 3;
/// Different searches waiting to be written, at most; more are not counted until the
/// next write.
const MAX_WAITING: usize = 10_000;
/// Words kept from one search.
const MAX_WORDS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    week: NaiveDate,
    district: String,
    query: String,
    nothing: bool,
}

/// The counts waiting to be written, and whether counting is on.
#[derive(Debug)]
pub struct MissedSearches {
    on: bool,
    waiting: Mutex<HashMap<Key, i64>>,
}

impl MissedSearches {
    pub fn new(on: bool) -> MissedSearches {
        MissedSearches {
            on,
            waiting: Mutex::new(HashMap::new()),
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Counts a search if it is one we count: words, no filters but a place, the first
    /// page, and fewer than [`FEW_RESULTS`] results or only results with some of the
    /// words.
    pub fn record(&self, req: &SearchRequest, results: &SearchResults, today: NaiveDate) {
        let missed = results.total < FEW_RESULTS || results.some_words;
        if !self.on || req.has_filters() || req.page > 1 || !missed {
            return;
        }
        let Some(query) = normalise(&req.q) else {
            return;
        };
        let district = results
            .location
            .as_ref()
            .and_then(|l| l.district.clone())
            .unwrap_or_default();
        let key = Key {
            week: week_of(today),
            district,
            query,
            nothing: results.total == 0,
        };
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting.len() < MAX_WAITING || waiting.contains_key(&key) {
            *waiting.entry(key).or_insert(0) += 1;
        }
    }

    /// Takes the counts waiting, as rows to add.
    fn take(&self) -> Vec<MissedSearch> {
        let waiting = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        waiting
            .into_iter()
            .map(|(k, searches)| MissedSearch {
                week: k.week.format("%Y-%m-%d").to_string(),
                district: k.district,
                query: k.query,
                nothing: k.nothing,
                searches,
            })
            .collect()
    }

    /// Puts rows back after a failed write, so the counts are tried again next time.
    fn put_back(&self, rows: Vec<MissedSearch>) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        for r in rows {
            let Ok(week) = NaiveDate::parse_from_str(&r.week, "%Y-%m-%d") else {
                continue;
            };
            let key = Key {
                week,
                district: r.district,
                query: r.query,
                nothing: r.nothing,
            };
            *waiting.entry(key).or_insert(0) += r.searches;
        }
    }
}

/// Writes the counts waiting to the store.
pub async fn flush(state: &AppState) -> Result<(), WebError> {
    let rows = state.site.missed.take();
    if rows.is_empty() {
        return Ok(());
    }
    let app = state.app.clone();
    let written = tokio::task::spawn_blocking(move || {
        let result = app.store.add_missed_searches(&rows);
        (result, rows)
    })
    .await?;
    match written {
        (Ok(()), _) => Ok(()),
        (Err(e), rows) => {
            state.site.missed.put_back(rows);
            Err(e.into())
        }
    }
}

/// Writes the counts every `every`, for as long as the server runs.
pub async fn flush_every(state: AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = flush(&state).await {
            tracing::warn!("could not save counts of searches that found nothing: {e}");
        }
    }
}

/// The Monday a week starts.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// The words worth keeping from a search, or `None` if nothing is left.
pub fn normalise(q: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    for raw in q.split_whitespace() {
        let lower = raw.to_lowercase();
        if lower.contains('@') || lower.contains("://") || lower.starts_with("www.") {
            continue;
        }
        for word in lower
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
            .map(|w| w.trim_matches(|c| c == '\'' || c == '’'))
            .filter(|w| !w.is_empty())
        {
            if word.chars().any(|c| c.is_ascii_digit()) && !is_age(word) {
                continue;
            }
            words.push(word.replace('’', "'"));
        }
    }
    words.truncate(MAX_WORDS);
    let out = words.join(" ");
    let out: String = out.chars().take(80).collect();
    (!out.trim().is_empty()).then(|| out.trim().to_string())
}

/// "60", "60s", "18": an age, not a number that points at someone.
fn is_age(word: &str) -> bool {
    let digits = word.strip_suffix('s').unwrap_or(word);
    (1..=3).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_could_point_at_someone_are_dropped() {
        assert_eq!(
            normalise("  Somewhere to SING!  ").as_deref(),
            Some("somewhere to sing")
        );
        assert_eq!(normalise("men’s shed").as_deref(), Some("men's shed"));
        assert_eq!(
            normalise("choir near M33 7XW call 07700 900123 jo@example.org www.x.org").as_deref(),
            Some("choir near call")
        );
        assert_eq!(
            normalise("over 60s walking 12").as_deref(),
            Some("over 60s walking 12")
        );
        assert_eq!(normalise("flat 12b 2024").as_deref(), Some("flat"));
        assert_eq!(
            normalise("<script>alert(1)</script>").as_deref(),
            Some("script alert 1 script")
        );
        assert_eq!(normalise("M33 7XW"), None);
        assert_eq!(normalise(""), None);
        let long = normalise(&"word ".repeat(50)).unwrap();
        assert_eq!(long.split(' ').count(), MAX_WORDS);
    }

    #[test]
    fn weeks_start_on_monday() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(week_of(d("2026-12-01")), d("2026-11-30"));
        assert_eq!(week_of(d("2026-11-30")), d("2026-11-30"));
        assert_eq!(week_of(d("2026-12-06")), d("2026-11-30"));
    }
}
