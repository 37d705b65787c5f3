//! Signpost's OpenActive open data: an RPDE feed of `SessionSeries` and the dataset
//! site that describes it (<https://openactive.io/realtime-paged-data-exchange/>).
//!
//! The feed uses RPDE's "modified + id" ordering with the store's change number
//! (`seq`) as `modified` (see `store::republish`): every edit, withdrawal or change of
//! what may be republished gives a listing a new number, so it comes round again at
//! the end of the feed. A listing that is withdrawn, archived, no longer fits
//! OpenActive, or whose source stops allowing republishing is sent as a tombstone
//! (`"state": "deleted"`), and tombstones are kept, so a consumer that follows the
//! feed removes it too.

mod map;

use std::collections::BTreeSet;

use serde_json::{Value, json};

pub use map::{
    ACCESSIBILITY_SUPPORT, ACTIVITY_LIST, Attribution, Unpublishable, series_id, session_series,
};

use crate::listing::Taxonomy;
use crate::store::{Republished, SUBMISSIONS_SOURCE, Store, StoreError};

/// Items on a full feed page: RPDE recommends at least 500.
pub const PAGE_SIZE: usize = 500;
/// The licence of what groups submit here, and of the feed as a whole.
pub const SITE_LICENCE: &str = "https://creativecommons.org/licenses/by/4.0/";
/// The feed's path on the site.
pub const FEED_PATH: &str = "/openactive/rpde/session-series";
/// Where the `signpost:` extension properties are defined.
pub const CONTEXT_PATH: &str = "/openactive/context.jsonld";
/// Kept in the store's meta table: the sources republished now and ever (JSON).
const META_KEY: &str = "openactive_sources";

/// The extension context's address on a site.
pub fn context_url(base: &str) -> String {
    format!("{base}{CONTEXT_PATH}")
}

/// One source Signpost may republish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Republisher {
    /// The source name listings are recorded under.
    pub source: String,
    pub attribution: Attribution,
}

/// Which sources' listings go into the open data, and with which credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Republish {
    pub sources: Vec<Republisher>,
}

impl Default for Republish {
    /// What groups submitted here, under [`SITE_LICENCE`].
    fn default() -> Republish {
        Republish {
            sources: vec![Republisher {
                source: SUBMISSIONS_SOURCE.to_string(),
                attribution: Attribution {
                    name: "Groups who added their activity to Signpost".into(),
                    licence: SITE_LICENCE.into(),
                },
            }],
        }
    }
}

impl Republish {
    /// Adds a source (replacing one of the same name).
    pub fn with(mut self, source: &str, name: &str, licence: &str) -> Republish {
        self.sources.retain(|s| s.source != source);
        self.sources.push(Republisher {
            source: source.to_string(),
            attribution: Attribution {
                name: name.to_string(),
                licence: licence.to_string(),
            },
        });
        self
    }

    pub fn get(&self, source: &str) -> Option<&Republisher> {
        self.sources.iter().find(|s| s.source == source)
    }

    fn names(&self) -> BTreeSet<String> {
        self.sources.iter().map(|s| s.source.clone()).collect()
    }
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Remembered {
    now: BTreeSet<String>,
    ever: BTreeSet<String>,
}

fn remembered(store: &Store) -> Result<Remembered, StoreError> {
    Ok(store
        .meta(META_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// Records which sources are republished now. A source switched on or off since the
/// last time has its listings given new change numbers, so the feed sends them again
/// (as items or as tombstones). Returns how many listings that touched. `serve` calls
/// this once at start.
pub fn remember(store: &Store, republish: &Republish) -> Result<usize, StoreError> {
    let before = remembered(store)?;
    let now = republish.names();
    let changed: Vec<String> = before.now.symmetric_difference(&now).cloned().collect();
    // Sources never republished before that are new now have nothing to withdraw, but
    // their listings may be older than a consumer's cursor: they are touched as well.
    let touched = store.touch_sources(&changed)?;
    let mut ever = before.ever;
    ever.extend(now.iter().cloned());
    let state = Remembered { now, ever };
    store.set_meta(
        META_KEY,
        &serde_json::to_string(&state).unwrap_or_else(|_| "{}".into()),
    )?;
    Ok(touched)
}

/// A bad `afterTimestamp` / `afterId`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CursorError {
    #[error("afterTimestamp must be a whole number (the `modified` of the last item read)")]
    Timestamp,
    #[error("afterId must be the `id` of the last item read")]
    Id,
    #[error("afterTimestamp and afterId go together: give both or neither")]
    Pair,
}

/// Where a page starts: after `(modified, id)`.
pub fn parse_cursor(
    after_timestamp: Option<&str>,
    after_id: Option<&str>,
) -> Result<(i64, i64), CursorError> {
    match (after_timestamp, after_id) {
        (None, None) => Ok((0, 0)),
        (Some(t), Some(i)) => {
            let whole = |s: &str| s.trim().parse::<i64>().ok().filter(|n| *n >= 0);
            let t = whole(t).ok_or(CursorError::Timestamp)?;
            let i = whole(i).ok_or(CursorError::Id)?;
            Ok((t, i))
        }
        _ => Err(CursorError::Pair),
    }
}

/// One RPDE page and whether it is the last (empty) one.
#[derive(Debug)]
pub struct FeedPage {
    pub body: Value,
    pub last: bool,
}

fn item(row: &Republished, base: &str, taxonomy: &Taxonomy, republish: &Republish) -> Value {
    let data = match (&row.listing, republish.get(&row.source)) {
        (Some(l), Some(r)) => session_series(l, base, taxonomy, &r.attribution).ok(),
        _ => None,
    };
    match data {
        Some(data) => json!({
            "state": "updated",
            "kind": "SessionSeries",
            "id": row.id.to_string(),
            "modified": row.seq,
            "data": data,
        }),
        None => json!({
            "state": "deleted",
            "kind": "SessionSeries",
            "id": row.id.to_string(),
            "modified": row.seq,
        }),
    }
}

/// The feed page after `cursor` (from [`parse_cursor`]), with absolute links on
/// `base`. `requested` is the page's own address, which an empty last page names as
/// its `next`.
pub fn feed_page(
    store: &Store,
    taxonomy: &Taxonomy,
    republish: &Republish,
    base: &str,
    cursor: (i64, i64),
    requested: &str,
) -> Result<FeedPage, StoreError> {
    let mut sources = remembered(store)?.ever;
    sources.extend(republish.names());
    let sources: Vec<String> = sources.into_iter().collect();
    let rows = store.republished_after(&sources, cursor, PAGE_SIZE)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| item(r, base, taxonomy, republish))
        .collect();
    let (next, last) = match rows.last() {
        Some(r) => (
            format!(
                "{base}{FEED_PATH}?afterTimestamp={}&afterId={}",
                r.seq, r.id
            ),
            false,
        ),
        None => (requested.to_string(), true),
    };
    Ok(FeedPage {
        body: json!({ "next": next, "items": items, "license": SITE_LICENCE }),
        last,
    })
}

/// The JSON-LD context defining Signpost's extension properties: who to credit for a
/// listing, the licence its source published it under, and what OpenActive does not
/// define yet.
pub fn context(base: &str) -> Value {
    let ns = format!("{base}{CONTEXT_PATH}#");
    let property = |name: &str, comment: &str, domains: &[&str], range: &str| {
        let domains: Vec<Value> = domains.iter().map(|d| json!({"@id": d})).collect();
        json!({
            "@id": format!("signpost:{name}"),
            "@type": "rdf:Property",
            "rdfs:label": name,
            "rdfs:comment": comment,
            "schema:domainIncludes": domains,
            "schema:rangeIncludes": [{"@id": range}]
        })
    };
    json!({
        "@context": {
            "signpost": ns,
            "schema": "https://schema.org/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        },
        "@graph": [
            property(
                "attribution",
                "Who to credit for this listing: the source Signpost republishes it from.",
                &["schema:Event"],
                "schema:Organization",
            ),
            property(
                "byMonthWeek",
                "Which week of the month a monthly schedule runs: 1 to 4, or -1 for the last (as schema:byMonthWeek, which OpenActive does not yet include).",
                &["schema:Schedule", "https://openactive.io/PartialSchedule"],
                "schema:Integer",
            ),
            property(
                "license",
                "The licence the listing's source published it under, which applies to this listing.",
                &["schema:Event"],
                "schema:URL",
            ),
            property(
                "transportNote",
                "How to get to the activity, one TransportNote (transportMode, description) a way of travelling: the OpenActive accessibility profile's transportNote, which the OpenActive specification does not yet include.",
                &["schema:Event"],
                "https://openactive.io/TransportNote",
            ),
        ]
    })
}

/// The dataset site's JSON-LD `Dataset`, as OpenActive dataset sites publish it.
pub fn dataset(base: &str, republish: &Republish, modified: Option<&str>) -> Value {
    let credits: Vec<Value> = republish
        .sources
        .iter()
        .map(|s| json!({"@type": "Organization", "name": s.attribution.name}))
        .collect();
    let mut d = json!({
        "@context": ["https://schema.org/", "https://openactive.io/"],
        "@type": "Dataset",
        "@id": format!("{base}/openactive"),
        "url": format!("{base}/openactive"),
        "name": "Signpost community activities",
        "description": "Local activities and groups that people can be signposted to: \
            those groups added to Signpost, and those of sources that allow republishing, \
            as OpenActive session series.",
        "keywords": ["Social prescribing", "Community activities", "Sessions", "Activities"],
        "license": SITE_LICENCE,
        "inLanguage": ["en-GB"],
        "schemaVersion": "https://openactive.io/modelling-opportunity-data/2.0/",
        "documentation": "https://permalink.openactive.io/dataset-site/open-data-documentation",
        "publisher": {"@type": "Organization", "name": "Signpost", "url": base},
        "contributor": credits,
        "distribution": [{
            "@type": "DataDownload",
            "name": "SessionSeries",
            "identifier": "SessionSeries",
            "additionalType": "https://openactive.io/SessionSeries",
            "encodingFormat": "application/vnd.openactive.rpde+json; version=1",
            "contentUrl": format!("{base}{FEED_PATH}"),
        }],
    });
    if let Some(m) = modified {
        d["dateModified"] = json!(m);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_in_pairs_of_whole_numbers() {
        assert_eq!(parse_cursor(None, None), Ok((0, 0)));
        assert_eq!(parse_cursor(Some("12"), Some(" 7")), Ok((12, 7)));
        assert_eq!(parse_cursor(Some("12"), None), Err(CursorError::Pair));
        assert_eq!(parse_cursor(None, Some("7")), Err(CursorError::Pair));
        assert_eq!(
            parse_cursor(Some("x"), Some("7")),
            Err(CursorError::Timestamp)
        );
        assert_eq!(
            parse_cursor(Some("-1"), Some("7")),
            Err(CursorError::Timestamp)
        );
        assert_eq!(parse_cursor(Some("1"), Some("a7")), Err(CursorError::Id));
    }
}
