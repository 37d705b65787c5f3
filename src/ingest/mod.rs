//! Getting listings in: one path for every source.
//!
//! A source's bytes are decoded by a format module into candidate listings (each one
//! may fail on its own), then every candidate goes through the same steps: tag with
//! its source, tidy and check, geocode its venue postcode, and upsert in batches. One
//! bad item is reported with its position and reasons and skipped; the rest import.
//! The demo content shipped in `content/demo/` goes through exactly this path.

pub mod dataset_site;
pub mod fetch;
pub mod http;
pub mod jsonld;
pub mod native;
pub mod openactive;
pub mod openreferral;
pub mod place;
pub mod source;
pub mod table;
pub mod text;
pub mod webpage;

use serde::Serialize;

pub use source::{Outcome, Report, Source, Sources, run};

use crate::geo::area::Area;
use crate::geo::locate::Geocoder;
use crate::geo::postcode::Postcode;
use crate::listing::validate::tidy_and_check_imported;
use crate::listing::{GeoPrecision, Listing, Status, Taxonomy};
use crate::store::{Store, StoreError, Upserted};
use place::Placed;

/// Listings per store transaction: big enough to be fast, small enough that a crash
/// loses little work (and nothing that was reported as imported).
const BATCH: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Signpost's own JSON: an array of listings as `GET /api/listings/{id}` returns.
    Signpost,
    /// An OpenActive RPDE feed: pages of `items` linked by `next`.
    Rpde,
    /// A group's web page (or a file listing such pages' URLs, one a line) with
    /// schema.org JSON-LD.
    Webpage,
    /// An OpenActive dataset site or data catalog: its RPDE feeds are found and harvested.
    DatasetSite,
    /// Open Referral (HSDS 3.0, ORUK 3.0 or 1.0): a service, a list or page of
    /// services, or a directory API.
    OpenReferral,
    /// A CSV spreadsheet, read through a column mapping.
    Csv,
}

impl Format {
    /// The format names people give (`--format`, `kind` in a sources file), in the
    /// one message that lists them.
    pub const KNOWN: &'static str = "signpost, rpde (or openactive), openreferral, csv, webpage (or webpages), dataset-site (or openactive-dataset)";

    /// A format by any of its names; the error lists the known ones.
    pub fn parse(name: &str) -> Result<Format, IngestError> {
        Format::from_name(name.trim())
            .ok_or_else(|| IngestError::UnknownFormatName(name.to_string()))
    }

    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "signpost" | "json" => Some(Format::Signpost),
            "rpde" | "openactive" => Some(Format::Rpde),
            "webpage" | "webpages" | "jsonld" => Some(Format::Webpage),
            "dataset-site" | "openactive-dataset" | "data-catalog" => Some(Format::DatasetSite),
            "openreferral" | "open-referral" | "hsds" | "oruk" => Some(Format::OpenReferral),
            "csv" | "spreadsheet" => Some(Format::Csv),
            _ => None,
        }
    }

    /// Works out the format from the first bytes of the content.
    pub fn detect(bytes: &[u8]) -> Result<Format, IngestError> {
        let start = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
        match start {
            Some(b'[') => {
                let v: serde_json::Value = serde_json::from_slice(native_bytes(bytes))?;
                if openreferral::looks_like(&v) {
                    Ok(Format::OpenReferral)
                } else {
                    Ok(Format::Signpost)
                }
            }
            Some(b'{') => {
                let v: serde_json::Value = serde_json::from_slice(native_bytes(bytes))?;
                if v.get("items").is_some_and(|i| i.is_array()) {
                    Ok(Format::Rpde)
                } else if openreferral::looks_like(&v) {
                    Ok(Format::OpenReferral)
                } else {
                    Err(IngestError::UnknownFormat(
                        "a JSON object that is neither an OpenActive RPDE page (no 'items' list) \
                         nor an Open Referral service or page of services"
                            .into(),
                    ))
                }
            }
            Some(b'<') if looks_like_html(bytes) => Err(IngestError::UnknownFormat(
                "a web page (HTML), not a data file. To import the activities a group's page \
                 describes (schema.org JSON-LD), give the page's web address; for a saved copy, \
                 put it on the web or list its address in a file and use --format webpage"
                    .into(),
            )),
            Some(_) if table::looks_like_csv(bytes) => Ok(Format::Csv),
            Some(_) => Err(IngestError::UnknownFormat(
                "not JSON (Signpost's own format is a JSON array of listings) and not CSV".into(),
            )),
            None => Err(IngestError::UnknownFormat("an empty file".into())),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Format, D::Error> {
        let name = String::deserialize(d)?;
        Format::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Runs store work from async code: on a multi-threaded runtime, tells tokio the
/// thread will block, so other tasks move off it.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Whether the content is an HTML page (its start names an HTML element).
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    head.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .starts_with('<')
        && [
            "<!doctype html",
            "<html",
            "<head",
            "<body",
            "<meta",
            "<title",
        ]
        .iter()
        .any(|tag| head.contains(tag))
}

fn native_bytes(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("could not tell what format this is: {0}. Use --format to say")]
    UnknownFormat(String),
    #[error("unknown format '{0}'; known formats: {known}", known = Format::KNOWN)]
    UnknownFormatName(String),
    #[error("the file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("could not read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("could not fetch {0}: {1}")]
    Fetch(String, String),
    #[error("{0}")]
    Mapping(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One item that was not imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct ItemProblem {
    /// 1-based position in the source.
    pub position: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub source: String,
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub withdrawn: usize,
    /// Venues placed only at their postcode district's centre.
    pub approximate: usize,
    /// What the listings imported leave unsaid (placed by area, no place, general
    /// type, no times).
    #[serde(flatten)]
    pub gaps: Gaps,
    pub failed: Vec<ItemProblem>,
    /// Items imported with something left out or guessed, and what.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ItemProblem>,
    /// What a position counts: "item" (default) or "row" for spreadsheets, where the
    /// header is row 1.
    #[serde(skip)]
    pub unit: &'static str,
}

/// What the listings a source gave leave unsaid, counted for its summary: placed
/// only by the source's area (no place of their own), with no place at all ("Area not
/// stated"), given the general type because they fit no other, and with no times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Gaps {
    pub placed_by_area: usize,
    pub area_not_stated: usize,
    pub general_type: usize,
    pub no_times: usize,
}

impl Gaps {
    /// Counts one listing written, placed as `placed` says.
    pub(crate) fn count(&mut self, l: &Listing, placed: Placed) {
        match placed {
            Placed::SourceArea => self.placed_by_area += 1,
            Placed::NotStated => self.area_not_stated += 1,
            Placed::Own => {}
        }
        if l.types.len() == 1 && l.types[0] == crate::listing::taxonomy::GENERAL_TYPE {
            self.general_type += 1;
        }
        if l.schedule.sessions.is_empty() && l.schedule.dates.is_empty() {
            self.no_times += 1;
        }
    }

    pub fn add(&mut self, other: Gaps) {
        self.placed_by_area += other.placed_by_area;
        self.area_not_stated += other.area_not_stated;
        self.general_type += other.general_type;
        self.no_times += other.no_times;
    }

    /// The summary lines: of `imported`, what they leave unsaid, and how to place the
    /// ones that say nowhere. Nothing when nothing is missing.
    pub fn describe(&self, f: &mut std::fmt::Formatter<'_>, imported: usize) -> std::fmt::Result {
        if self.placed_by_area + self.area_not_stated + self.general_type + self.no_times > 0 {
            write!(
                f,
                "\nimported {imported}: {} placed by the source's area, {} with no area stated, \
             {} given the general type, {} with no times",
                self.placed_by_area, self.area_not_stated, self.general_type, self.no_times
            )?;
        }
        if self.area_not_stated > 0 {
            write!(
                f,
                "\n{} say{} nowhere where {}, so location searches leave {} out: \
             set the source's area (--area, or area = \"...\" in sources.toml) to postcode \
             areas or districts (DN15 DN16) or a local authority code (E06000013)",
                if self.area_not_stated == 1 {
                    "1 listing".to_string()
                } else {
                    format!("{} listings", self.area_not_stated)
                },
                if self.area_not_stated == 1 { "s" } else { "" },
                if self.area_not_stated == 1 {
                    "it is"
                } else {
                    "they are"
                },
                if self.area_not_stated == 1 {
                    "it"
                } else {
                    "them"
                },
            )?;
        }
        Ok(())
    }
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: read {}, new {}, updated {}, unchanged {}, withdrawn {}, failed {}",
            self.source,
            self.read,
            self.created,
            self.updated,
            self.unchanged,
            self.withdrawn,
            self.failed.len()
        )?;
        if self.approximate > 0 {
            write!(
                f,
                " ({} placed at their postcode district)",
                self.approximate
            )?;
        }
        let imported = self.created + self.updated + self.unchanged;
        self.gaps.describe(f, imported)?;
        let unit = if self.unit.is_empty() {
            "item"
        } else {
            self.unit
        };
        for p in &self.failed {
            write!(f, "\n  {unit} {}", p.position)?;
            if let Some(id) = &p.source_id {
                write!(f, " ({id})")?;
            }
            write!(f, ": {}", p.reasons.join("; "))?;
        }
        if !self.warnings.is_empty() {
            write!(f, "\nwarnings ({}):", self.warnings.len())?;
            for p in self.warnings.iter().take(100) {
                write!(f, "\n  {unit} {}", p.position)?;
                if let Some(id) = &p.source_id {
                    write!(f, " ({id})")?;
                }
                write!(f, ": {}", p.reasons.join("; "))?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Name recorded as each listing's source.
    pub source: String,
    /// The source is complete: archive this source's listings that it no longer has.
    pub withdraw_missing: bool,
    /// The area the source covers: where records that say nowhere are placed.
    pub area: Option<Area>,
}

/// A decoded item: a listing, or why it could not be read.
pub type Candidate = Result<Listing, ItemProblem>;

/// Decodes `bytes` in `format` into candidates.
pub fn decode(bytes: &[u8], format: Format) -> Result<Vec<Candidate>, IngestError> {
    match format {
        Format::Signpost => native::decode(bytes),
        Format::Rpde => Err(IngestError::UnknownFormat(
            "an RPDE feed, which is harvested page by page rather than decoded at once".into(),
        )),
        Format::Webpage | Format::DatasetSite => Err(IngestError::UnknownFormat(
            "web pages and dataset sites are fetched and harvested, not decoded from bytes".into(),
        )),
        Format::OpenReferral => {
            Ok(
                openreferral::decode(bytes, Taxonomy::embedded(), crate::clock::uk_now().date())?
                    .candidates,
            )
        }
        Format::Csv => Err(IngestError::Mapping(
            "a CSV file needs a column mapping (--mapping FILE); see docs/import-format.md".into(),
        )),
    }
}

/// Checks, geocodes and stores candidates. Store errors abort (nothing after the last
/// committed batch is reported as imported); item problems are collected.
pub fn import(
    store: &Store,
    taxonomy: &Taxonomy,
    candidates: Vec<Candidate>,
    opts: &ImportOptions,
) -> Result<ImportReport, IngestError> {
    import_keeping(store, taxonomy, candidates, opts, &Default::default())
}

/// [`import`], but a full import leaves the listings whose source ids are in `keep`
/// alone: items the source still has but that could not be read this time.
pub fn import_keeping(
    store: &Store,
    taxonomy: &Taxonomy,
    candidates: Vec<Candidate>,
    opts: &ImportOptions,
    keep: &std::collections::HashSet<String>,
) -> Result<ImportReport, IngestError> {
    let mut report = ImportReport {
        source: opts.source.clone(),
        read: candidates.len(),
        ..Default::default()
    };
    let geocoder = Geocoder::new(store);
    let mut batch: Vec<Listing> = Vec::with_capacity(BATCH);
    let mut seen = std::collections::HashSet::new();
    for (i, c) in candidates.into_iter().enumerate() {
        let listing = match c {
            Ok(l) => l,
            Err(p) => {
                report.failed.push(p);
                continue;
            }
        };
        let problem = |source_id: &str, reasons: Vec<String>| ItemProblem {
            position: i + 1,
            source_id: Some(source_id.to_string()).filter(|s| !s.is_empty()),
            reasons,
        };
        let (listing, warnings) = match prepare(listing, &geocoder, taxonomy, opts, &mut seen) {
            Ok(ready) => ready,
            Err((source_id, reasons)) => {
                report.failed.push(problem(&source_id, reasons));
                continue;
            }
        };
        count(&mut report, &listing, &warnings);
        if !warnings.reasons.is_empty() {
            report
                .warnings
                .push(problem(&listing.provenance.source_id, warnings.reasons));
        }
        batch.push(listing);
        if batch.len() == BATCH {
            tally(&mut report, &store.upsert_batch(&batch)?);
            batch.clear();
        }
    }
    if !batch.is_empty() {
        tally(&mut report, &store.upsert_batch(&batch)?);
    }
    if opts.withdraw_missing {
        for (id, source_id) in store.ids_for_source(&opts.source)? {
            if !seen.contains(&source_id)
                && !keep.contains(&source_id)
                && let Some(l) = store.get(id)?
                && l.status == Status::Published
            {
                store.set_status(id, Status::Archived)?;
                report.withdrawn += 1;
            }
        }
    }
    Ok(report)
}

/// What settling one listing found beyond problems: how it was placed, and what was
/// guessed or left out.
pub(crate) struct Notes {
    pub placed: Placed,
    pub approximate: bool,
    pub reasons: Vec<String>,
}

/// Types, checks, geocodes and places one mapped listing: the steps every source's
/// listings go through. A listing that fits no type gets one from its words or the
/// general type; one with no place of its own is placed by `area` (see [`place`]).
/// The error is the reasons it cannot be stored.
pub(crate) fn settle(
    listing: &mut Listing,
    geocoder: &Geocoder<'_>,
    taxonomy: &Taxonomy,
    area: Option<&Area>,
) -> Result<Notes, Vec<String>> {
    let mut notes = Notes {
        placed: Placed::Own,
        approximate: false,
        reasons: Vec::new(),
    };
    if listing.types.is_empty() {
        listing.types = place::types_from_words(listing, taxonomy);
    }
    place::unplaceable_venue(listing, &mut notes.reasons);
    let reasons: Vec<String> = tidy_and_check_imported(listing, taxonomy)
        .into_iter()
        .map(|p| p.to_string())
        .collect();
    if !reasons.is_empty() {
        return Err(reasons);
    }
    match geocode(geocoder, listing) {
        Ok(Some(GeoPrecision::District)) => notes.approximate = true,
        Ok(_) => {}
        Err(reason) => {
            // A postcode we cannot find (newer than our table, or mistyped) does not
            // lose the record: it is placed like one that gave none.
            notes
                .reasons
                .push(format!("{reason}, so it is placed by area"));
            place::drop_venue_point(listing);
        }
    }
    notes.placed = place::place(listing, area);
    Ok(notes)
}

/// Tags one listing with its source, settles it, and checks its id is new in this
/// run. The error is its source id and the reasons it cannot be stored.
fn prepare(
    mut listing: Listing,
    geocoder: &Geocoder<'_>,
    taxonomy: &Taxonomy,
    opts: &ImportOptions,
    seen: &mut std::collections::HashSet<String>,
) -> Result<(Listing, Notes), (String, Vec<String>)> {
    listing.id = 0;
    listing.provenance.source = opts.source.clone();
    let notes = match settle(&mut listing, geocoder, taxonomy, opts.area.as_ref()) {
        Ok(n) => n,
        Err(reasons) => return Err((listing.provenance.source_id, reasons)),
    };
    if !seen.insert(listing.provenance.source_id.clone()) {
        let reason = format!(
            "provenance.source_id: '{}' appears more than once in this source",
            listing.provenance.source_id
        );
        return Err((listing.provenance.source_id, vec![reason]));
    }
    Ok((listing, notes))
}

fn count(report: &mut ImportReport, l: &Listing, notes: &Notes) {
    report.approximate += usize::from(notes.approximate);
    report.gaps.count(l, notes.placed);
}

fn tally(report: &mut ImportReport, results: &[Upserted]) {
    for r in results {
        match r {
            Upserted::Created(_) => report.created += 1,
            Upserted::Updated(_) => report.updated += 1,
            Upserted::Unchanged(_) => report.unchanged += 1,
        }
    }
}

/// Normalises the venue postcode and fills in a position when the source gave none.
pub(crate) fn geocode(
    geocoder: &Geocoder<'_>,
    l: &mut Listing,
) -> Result<Option<GeoPrecision>, String> {
    let Some(venue) = l.venue.as_mut() else {
        return Ok(None);
    };
    let parsed = match venue.postcode.as_deref() {
        Some(raw) => Some(Postcode::parse(raw).map_err(|e| format!("venue.postcode: {e}"))?),
        None => None,
    };
    if let Some(pc) = &parsed {
        venue.postcode = Some(pc.to_string());
    }
    if venue.lat.is_some() && venue.lon.is_some() {
        venue.geo_precision.get_or_insert(GeoPrecision::Source);
        return Ok(venue.geo_precision);
    }
    let Some(pc) = parsed else {
        return Ok(None);
    };
    match geocoder.position(&pc).map_err(|e| e.to_string())? {
        Some((lat, lon, precision)) => {
            venue.lat = Some(lat);
            venue.lon = Some(lon);
            venue.geo_precision = Some(precision);
            Ok(Some(precision))
        }
        None => Err(format!("venue.postcode: we could not find where {pc} is")),
    }
}
