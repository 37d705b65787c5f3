//! One description of a source and one way to run it.
//!
//! `signpost import`, `signpost crawl` and `serve --harvest-every` all describe what to
//! read as a [`Source`] (from command-line flags or a `[[source]]` table in the sources
//! file) and hand it to [`run`]. `run` works out the format once (from what the person
//! said, a feed cursor already kept for the source, or the first bytes it reads), reads
//! the source once (the bytes read to detect the format are the ones imported or
//! harvested), and returns a [`Report`] that says what happened and whether it
//! succeeded. Adding a format means a [`Format`] variant, its detection in
//! [`Format::detect`] and its arm in [`run`]: nothing in the command line changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::dataset_site::{self, DatasetReport};
use super::http::{Body, Fetched, Http};
use super::openactive::{self, HarvestOptions, HarvestReport};
use super::openreferral::{self, ApiOptions, DirectoryReport};
use super::webpage::{self, PageResult, WebReport};
use super::{Format, ImportOptions, ImportReport, IngestError, blocking, fetch, table};
use crate::geo::area::Area;
use crate::listing::Taxonomy;
use crate::store::Store;

/// Where listings come from and how to read them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short name recorded as each listing's source; unique in a sources file.
    pub name: String,
    /// The format; worked out from the content when left out.
    #[serde(default, rename = "kind")]
    pub format: Option<Format>,
    /// A file path or an http(s) address: a feed's first page, a directory API's base, a
    /// file, a web page, or (for web pages) a file of page addresses.
    #[serde(default)]
    pub url: String,
    /// More page addresses, for group web pages.
    #[serde(default)]
    pub urls: Vec<String>,
    /// For a spreadsheet: the column mapping file (TOML).
    #[serde(default)]
    pub mapping: Option<PathBuf>,
    /// The area the source's services cover when a record says nothing of where it is:
    /// postcode areas or districts (`DN`, `DN15 DN16`) or local-authority codes
    /// (`E06000013`).
    #[serde(default)]
    pub area: Option<String>,
    /// Pause between pages, in milliseconds (default 200 in a sources file, none for a
    /// one-off import).
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
    /// The source is complete: its listings it no longer has are withdrawn. Feeds, web
    /// pages and directory APIs say so themselves; this is for files (default true in a
    /// sources file).
    #[serde(default = "yes")]
    pub full: bool,
    /// For a feed or directory: stop after this many pages (the next run carries on).
    #[serde(default)]
    pub max_pages: Option<usize>,
    /// Switch a source off without deleting it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Signpost may republish this source's listings in its own open data (the
    /// OpenActive feeds at `/openactive`). Off unless the source's licence allows it.
    #[serde(default)]
    pub republish: bool,
    /// The address of the licence the source's data is published under, carried with
    /// each republished listing (for example the Open Government Licence or CC BY 4.0).
    #[serde(default)]
    pub licence: Option<String>,
    /// Who to credit for republished listings, when not the source's `name`
    /// ("Trafford Data Lab").
    #[serde(default)]
    pub attribution: Option<String>,
}

fn default_delay() -> u64 {
    200
}
fn yes() -> bool {
    true
}

impl Source {
    /// A one-off source: `location` is a file path or an address; nothing else is set.
    pub fn new(name: impl Into<String>, location: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            format: None,
            url: location.into(),
            urls: Vec::new(),
            mapping: None,
            area: None,
            delay_ms: 0,
            full: false,
            max_pages: None,
            enabled: true,
            republish: false,
            licence: None,
            attribution: None,
        }
    }

    /// The name a source is recorded under when none is given: its file name without
    /// the extension (`feeds/walks.json` → `walks`).
    pub fn default_name(location: &str) -> String {
        let last = location
            .trim_end_matches('/')
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(location);
        let stem = last.split('.').next().unwrap_or(last);
        if stem.is_empty() {
            "import".into()
        } else {
            stem.to_string()
        }
    }

    fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }

    fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a source has an empty name".into());
        }
        let has_url = !self.url.trim().is_empty();
        if self.format == Some(Format::Webpage) {
            if !has_url && self.urls.is_empty() {
                return Err(format!(
                    "the source '{}' needs urls = [...] (or url = a file of page URLs)",
                    self.name
                ));
            }
        } else if !has_url {
            return Err(format!("the source '{}' has no url", self.name));
        }
        self.area_parsed()?;
        if self.republish {
            match self.licence.as_deref().map(str::trim) {
                Some(l) if l.starts_with("https://") || l.starts_with("http://") => {}
                _ => {
                    return Err(format!(
                        "the source '{}' has republish = true but no licence = \"https://...\" \
                         (the address of the licence its data is published under)",
                        self.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The source's area, read (see [`Area::parse`]); a clear message when it cannot be.
    pub fn area_parsed(&self) -> Result<Option<Area>, String> {
        self.area
            .as_deref()
            .map(|a| {
                Area::parse(a)
                    .map_err(|e| format!("the source '{}' has area = \"{a}\": {e}", self.name))
            })
            .transpose()
    }

    /// The area for the importers (already checked by [`Source::check`]).
    fn area_or_none(&self) -> Option<Area> {
        self.area_parsed().ok().flatten()
    }
}

/// A sources file (`content/sources.toml`): `[[source]]` tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
}

impl Sources {
    pub fn parse(text: &str) -> Result<Sources, String> {
        let s: Sources = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut names = std::collections::HashSet::new();
        for src in &s.sources {
            src.check()?;
            if !names.insert(src.name.as_str()) {
                return Err(format!("the source name '{}' is used twice", src.name));
            }
        }
        Ok(s)
    }

    pub fn load(path: &Path) -> Result<Sources, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("could not read {}: {e}", path.display()))?;
        Sources::parse(&text).map_err(|e| format!("{} is not valid: {e}", path.display()))
    }

    /// The enabled sources, or only the one called `only`.
    pub fn chosen<'a>(&'a self, only: Option<&'a str>) -> impl Iterator<Item = &'a Source> {
        self.sources
            .iter()
            .filter(move |s| s.enabled && only.is_none_or(|o| o == s.name))
    }

    /// The source called `name`, enabled or not.
    pub fn named(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// What one run of a source did, by the kind of reading it took.
#[derive(Debug)]
pub enum Outcome {
    /// A file (or a file's worth fetched from an address) imported whole.
    Listings(ImportReport),
    /// An OpenActive RPDE feed followed page by page.
    Feed(HarvestReport),
    /// An Open Referral directory read through its API.
    Directory(DirectoryReport),
    /// Group web pages.
    Pages(WebReport),
    /// An OpenActive dataset site or data catalog and the feeds it names.
    Dataset(DatasetReport),
}

/// What [`run`] did: the format it read, notes on how it decided, and the outcome.
#[derive(Debug)]
pub struct Report {
    pub source: String,
    pub format: Format,
    /// How the format was decided, when that is worth saying.
    pub notes: Vec<String>,
    pub outcome: Outcome,
    /// Of the source's listings, how many are merged with the same activity from
    /// another source.
    pub merged: i64,
}

impl Report {
    /// Whether the run got anything in: false when every item failed, no page could be
    /// read, or a dataset site named no feed that could be harvested.
    pub fn succeeded(&self) -> bool {
        let imported =
            |r: &ImportReport| r.created + r.updated + r.unchanged > 0 || r.failed.is_empty();
        match &self.outcome {
            Outcome::Listings(r) => imported(r),
            Outcome::Directory(r) => imported(&r.import),
            Outcome::Feed(_) => true,
            Outcome::Pages(r) => r.pages.iter().any(|p| {
                !matches!(
                    p.result,
                    PageResult::Failed(_) | PageResult::NoActivities(_)
                )
            }),
            Outcome::Dataset(r) => !r.feeds.is_empty() && r.failed_feeds() < r.feeds.len(),
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for n in &self.notes {
            writeln!(f, "{n}")?;
        }
        match &self.outcome {
            Outcome::Listings(r) => write!(f, "{r}")?,
            Outcome::Feed(r) => write!(f, "{r}")?,
            Outcome::Directory(r) => write!(f, "{}: {r}", self.source)?,
            Outcome::Pages(r) => write!(f, "{r}")?,
            Outcome::Dataset(r) => write!(f, "{r}")?,
        }
        if self.merged > 0 {
            write!(
                f,
                "\n  {} of its listings are merged with the same activity from another source",
                self.merged
            )?;
        }
        Ok(())
    }
}

/// What was read while working out the format, so it is not read again.
enum Read {
    Nothing,
    File(Vec<u8>),
    Fetched(Body),
}

impl Read {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Read::Nothing => None,
            Read::File(b) => Some(b),
            Read::Fetched(b) => Some(&b.bytes),
        }
    }
}

/// Runs one source: works out its format, reads it once, and imports or harvests it
/// into the store. `progress` hears a line of progress now and then (for a spinner).
/// The caller brings the index up to date afterwards.
pub async fn run(
    store: &Store,
    taxonomy: &'static Taxonomy,
    source: &Source,
    now: NaiveDateTime,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Report, IngestError> {
    source.check().map_err(IngestError::Mapping)?;
    let mut notes = Vec::new();
    let (format, read) = match source.format {
        Some(f) => (f, Read::Nothing),
        None => detect(store, source, &mut notes).await?,
    };
    let outcome = match format {
        Format::Signpost => {
            let bytes = bytes_of(source, read).await?;
            let candidates = super::decode(&bytes, Format::Signpost)?;
            Outcome::Listings(import(store, taxonomy, source, candidates, Vec::new())?)
        }
        Format::Rpde => Outcome::Feed(feed(store, taxonomy, source, read, now, progress).await?),
        Format::OpenReferral => directory(store, taxonomy, source, read, now).await?,
        Format::Csv => {
            let Some(mapping) = &source.mapping else {
                return Err(IngestError::Mapping(
                    "a CSV file needs a column mapping: add --mapping FILE (or mapping = \"…\" \
                     in the sources file; see docs/import-format.md)"
                        .into(),
                ));
            };
            let mapping = table::Mapping::load(mapping, taxonomy)?;
            let bytes = bytes_of(source, read).await?;
            let d = table::decode(&bytes, &mapping, taxonomy)?;
            Outcome::Listings(blocking(|| d.import(store, taxonomy, &options(source)))?)
        }
        Format::Webpage => {
            let urls = webpage::page_list(&source.urls, &source.url)?;
            let first = match read {
                Read::Fetched(b) => Some((source.url.trim().to_string(), b)),
                _ => None,
            };
            let area = source.area_or_none();
            Outcome::Pages(
                webpage::harvest_pages_from(
                    store,
                    taxonomy,
                    Http::global(),
                    (&source.name, area.as_ref()),
                    &urls,
                    now,
                    source.delay(),
                    first,
                )
                .await?,
            )
        }
        Format::DatasetSite => Outcome::Dataset(
            dataset_site::harvest_dataset(
                store,
                taxonomy,
                Http::global(),
                &source.name,
                &source.url,
                source.max_pages,
                now,
            )
            .await,
        ),
    };
    let merged = store.merged_count(&source.name)?;
    Ok(Report {
        source: source.name.clone(),
        format,
        notes,
        outcome,
        merged,
    })
}

/// Works out a source's format without being told: a feed already being followed
/// under this name needs no reading; otherwise the first bytes decide.
async fn detect(
    store: &Store,
    source: &Source,
    notes: &mut Vec<String>,
) -> Result<(Format, Read), IngestError> {
    let location = source.url.trim();
    if location.is_empty() && !source.urls.is_empty() {
        return Ok((Format::Webpage, Read::Nothing));
    }
    if !fetch::is_url(location) {
        let bytes = fetch::read_file(location)?;
        return Ok((Format::detect(&bytes)?, Read::File(bytes)));
    }
    if store.cursor(&source.name, location)?.is_some() {
        return Ok((Format::Rpde, Read::Nothing));
    }
    let body = fetch_body(location).await?;
    if super::looks_like_html(&body.bytes) {
        notes.push(format!(
            "{location} is a web page: reading the activities it describes (--format webpage)"
        ));
        return Ok((Format::Webpage, Read::Fetched(body)));
    }
    Ok((Format::detect(&body.bytes)?, Read::Fetched(body)))
}

/// Fetches an address through the polite client, with retries.
async fn fetch_body(url: &str) -> Result<Body, IngestError> {
    let http = Http::global();
    match http.get(url, None).await {
        Ok(Fetched::Body(b)) => Ok(b),
        Ok(Fetched::NotModified) => Err(IngestError::Fetch(
            url.to_string(),
            "the server answered 304 Not Modified to a request that was not conditional".into(),
        )),
        Err(e) => Err(fetch::fetch_error(url, &e, http.policy().attempts)),
    }
}

/// The source's whole content: what detection read, or a read now.
async fn bytes_of(source: &Source, read: Read) -> Result<Vec<u8>, IngestError> {
    match read {
        Read::File(b) => Ok(b),
        Read::Fetched(b) => Ok(b.bytes),
        Read::Nothing if fetch::is_url(&source.url) => Ok(fetch_body(&source.url).await?.bytes),
        Read::Nothing => fetch::read_file(&source.url),
    }
}

fn options(source: &Source) -> ImportOptions {
    ImportOptions {
        source: source.name.clone(),
        withdraw_missing: source.full,
        area: source.area_or_none(),
    }
}

fn import(
    store: &Store,
    taxonomy: &'static Taxonomy,
    source: &Source,
    candidates: Vec<super::Candidate>,
    warnings: Vec<super::ItemProblem>,
) -> Result<ImportReport, IngestError> {
    let mut report = blocking(|| super::import(store, taxonomy, candidates, &options(source)))?;
    report.warnings.extend(warnings);
    Ok(report)
}

async fn feed(
    store: &Store,
    taxonomy: &'static Taxonomy,
    source: &Source,
    read: Read,
    now: NaiveDateTime,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<HarvestReport, IngestError> {
    let first = match read {
        Read::Fetched(b) => Some(b),
        _ => None,
    };
    let opts = HarvestOptions {
        source: source.name.clone(),
        max_pages: source.max_pages,
        delay: source.delay(),
        area: source.area_or_none(),
    };
    openactive::harvest_from(store, taxonomy, &source.url, &opts, now, first, |r| {
        progress(&format!(
            "{} pages, {} items, {} new, {} updated, {} withdrawn, {} failed",
            r.pages,
            r.items,
            r.created,
            r.changed,
            r.withdrawn,
            r.failed.len()
        ))
    })
    .await
}

/// An Open Referral source: a directory's API (read page by page, each service in
/// full) or a file of services.
async fn directory(
    store: &Store,
    taxonomy: &'static Taxonomy,
    source: &Source,
    read: Read,
    now: NaiveDateTime,
) -> Result<Outcome, IngestError> {
    let today = now.date();
    let address = source.url.trim();
    let is_file_address = address.split('?').next().unwrap_or("").ends_with(".json");
    let is_api = fetch::is_url(address)
        && !is_file_address
        && read.bytes().is_none_or(|b| {
            let v: serde_json::Value = serde_json::from_slice(b).unwrap_or_default();
            openreferral::is_api_details(&v) || openreferral::page_contents(&v).is_some()
        });
    if is_api {
        let first = match read {
            Read::Fetched(b) => Some(b),
            _ => None,
        };
        let opts = ApiOptions {
            source: source.name.clone(),
            delay: source.delay(),
            max_pages: source.max_pages,
            area: source.area_or_none(),
        };
        let r =
            openreferral::harvest_api_from(store, taxonomy, address, &opts, today, first).await?;
        return Ok(Outcome::Directory(r));
    }
    let bytes = bytes_of(source, read).await?;
    let d = openreferral::decode(&bytes, taxonomy, today)?;
    Ok(Outcome::Listings(import(
        store,
        taxonomy,
        source,
        d.candidates,
        d.warnings,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_sources_file_parses() {
        Sources::parse(include_str!("../../content/sources.toml")).unwrap();
        let s = Sources::parse(
            "[[source]]\nname = \"a\"\nkind = \"openactive\"\nurl = \"https://x/feed\"\n",
        )
        .unwrap();
        assert_eq!(s.sources[0].delay_ms, 200);
        assert_eq!(s.sources[0].format, Some(Format::Rpde));
        assert!(s.sources[0].full);
        let s = Sources::parse(
            "[[source]]\nname = \"c\"\nkind = \"csv\"\nurl = \"x.csv\"\nmapping = \"m.toml\"\narea = \"DN15 DN16\"\n\n[[source]]\nname = \"d\"\nkind = \"openreferral\"\nurl = \"https://x/api\"\n",
        )
        .unwrap();
        assert_eq!(s.sources[0].format, Some(Format::Csv));
        assert_eq!(s.sources[0].mapping.as_deref(), Some(Path::new("m.toml")));
        assert_eq!(s.sources[0].area.as_deref(), Some("DN15 DN16"));
        assert_eq!(s.sources[1].format, Some(Format::OpenReferral));
        let e =
            Sources::parse("[[source]]\nname = \"a\"\nkind = \"ftp\"\nurl = \"x\"\n").unwrap_err();
        assert!(e.contains(Format::KNOWN), "{e}");
        assert!(
            Sources::parse(
                "[[source]]\nname = \"a\"\nkind = \"signpost\"\nurl = \"x\"\n[[source]]\nname = \"a\"\nkind = \"signpost\"\nurl = \"y\"\n"
            )
            .is_err()
        );
        // A source with no kind is detected when it runs.
        let s = Sources::parse("[[source]]\nname = \"a\"\nurl = \"x.json\"\n").unwrap();
        assert_eq!(s.sources[0].format, None);
    }

    #[test]
    fn republishing_is_off_unless_asked_and_needs_a_licence() {
        let s = Sources::parse("[[source]]\nname = \"a\"\nurl = \"x.json\"\n").unwrap();
        assert!(!s.sources[0].republish);
        let s = Sources::parse(
            "[[source]]\nname = \"a\"\nurl = \"x.json\"\nrepublish = true\n\
             licence = \"https://creativecommons.org/licenses/by/4.0/\"\nattribution = \"A Council\"\n",
        )
        .unwrap();
        assert!(s.sources[0].republish);
        assert_eq!(s.sources[0].attribution.as_deref(), Some("A Council"));
        for bad in ["", "licence = \"CC BY\"\n"] {
            let e = Sources::parse(&format!(
                "[[source]]\nname = \"a\"\nurl = \"x.json\"\nrepublish = true\n{bad}"
            ))
            .unwrap_err();
            assert!(e.contains("licence"), "{e}");
        }
    }

    #[test]
    fn default_names_are_file_stems() {
        assert_eq!(Source::default_name("feeds/walks.json"), "walks");
        assert_eq!(Source::default_name("https://x.org/api/"), "api");
        assert_eq!(Source::default_name(""), "import");
    }
}
