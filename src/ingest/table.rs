//! Spreadsheets (CSV) into listings, through a column mapping.
//!
//! Community directories often live in a spreadsheet someone exports now and then, with
//! its own column names, "Y"/"N" for yes and no, "NA" for blanks, a byte-order mark,
//! Windows line ends and, from older Excel, Windows-1252 bytes. A mapping file (TOML,
//! documented in docs/import-format.md) says which column holds which listing field, so
//! no code changes per spreadsheet. Every problem names the row as the spreadsheet shows
//! it (the header is row 1), one bad row never stops the file, and a mapping that names
//! a column the file lacks stops before anything is imported, naming the column.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use super::text::{access_features_in, phone_number, strip_html, summary_of, truncate};
use super::{Candidate, IngestError, ItemProblem};
use crate::listing::parse::{self, email_as_written, web_address_as_written};
use crate::listing::schedule::{OneOff, Repeat, SessionRule};
use crate::listing::{
    Contact, Cost, Day, Join, JoinMethod, Listing, Mode, Organisation, Provenance, Schedule,
    Taxonomy, Venue,
};

/// A column, a list of columns (joined with ", "), or a template like
/// `"{facility_type} at {site_name}"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    One(String),
    Many(Vec<String>),
}

impl ColumnRef {
    fn columns(&self) -> Vec<String> {
        match self {
            ColumnRef::One(s) if s.contains('{') => s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(c, _)| c.to_string()))
                .collect(),
            ColumnRef::One(s) => vec![s.clone()],
            ColumnRef::Many(v) => v.clone(),
        }
    }
}

/// Which column holds which field. Every entry is optional except `title`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub source_id: Option<ColumnRef>,
    pub title: Option<ColumnRef>,
    pub summary: Option<ColumnRef>,
    pub description: Option<ColumnRef>,
    pub organisation: Option<ColumnRef>,
    pub email: Option<ColumnRef>,
    pub phone: Option<ColumnRef>,
    pub website: Option<ColumnRef>,
    pub venue_name: Option<ColumnRef>,
    pub address: Option<ColumnRef>,
    pub postcode: Option<ColumnRef>,
    pub lat: Option<ColumnRef>,
    pub lon: Option<ColumnRef>,
    /// Day or days: "Monday", "Mon, Wed", "Tuesdays".
    pub days: Option<ColumnRef>,
    pub start: Option<ColumnRef>,
    pub end: Option<ColumnRef>,
    /// weekly (default), fortnightly, monthly.
    pub frequency: Option<ColumnRef>,
    /// For monthly: 1-4, first..fourth, last.
    pub week_of_month: Option<ColumnRef>,
    /// First date (fortnightly sessions need it to know which weeks).
    pub starting: Option<ColumnRef>,
    /// A one-off date.
    pub date: Option<ColumnRef>,
    /// A price ("£3", "3.50", "Free") or words.
    pub cost: Option<ColumnRef>,
    /// A yes/no column: is it free?
    pub free: Option<ColumnRef>,
    pub concessions: Option<ColumnRef>,
    /// "18+", "5-11", "over 50s".
    pub ages: Option<ColumnRef>,
    pub age_min: Option<ColumnRef>,
    pub age_max: Option<ColumnRef>,
    /// Activity types: taxonomy slugs, words the taxonomy knows, or `[types]` keys.
    pub types: Option<ColumnRef>,
    /// Free-text accessibility notes (also matched for features).
    pub access_notes: Option<ColumnRef>,
    pub join_details: Option<ColumnRef>,
    pub schedule_note: Option<ColumnRef>,
    /// Where to go on a first visit.
    pub meeting_point: Option<ColumnRef>,
    /// Who leads it.
    pub leader: Option<ColumnRef>,
    /// The most people a session takes: a number.
    pub places: Option<ColumnRef>,
    /// Experience needed, in words: "Beginners", "All levels", "Advanced".
    pub level: Option<ColumnRef>,
    /// How to get there (buses, parking), in words.
    pub getting_there: Option<ColumnRef>,
}

/// Values every row gets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixed {
    /// Types for rows whose types column is missing or names nothing we know.
    #[serde(default)]
    pub types: Vec<String>,
    /// How people take part (default: in-person).
    #[serde(default)]
    pub modes: Vec<Mode>,
    pub organisation: Option<String>,
    pub join: Option<JoinMethod>,
}

/// What counts as yes, no and blank.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    #[serde(default = "yes_words")]
    pub yes: Vec<String>,
    #[serde(default = "no_words")]
    pub no: Vec<String>,
    #[serde(default = "missing_words")]
    pub missing: Vec<String>,
}

fn yes_words() -> Vec<String> {
    ["yes", "y", "1", "true", "x"].map(String::from).to_vec()
}
fn no_words() -> Vec<String> {
    ["no", "n", "0", "false"].map(String::from).to_vec()
}
fn missing_words() -> Vec<String> {
    ["na", "n/a", "-", "none", "null"]
        .map(String::from)
        .to_vec()
}

impl Default for Values {
    fn default() -> Values {
        Values {
            yes: yes_words(),
            no: no_words(),
            missing: missing_words(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub columns: Columns,
    #[serde(default)]
    pub fixed: Fixed,
    /// Accessibility feature slug = the yes/no column (or columns, all yes) saying so.
    #[serde(default)]
    pub access: BTreeMap<String, ColumnRef>,
    #[serde(default)]
    pub values: Values,
    /// Value of the types column = taxonomy slug ("Martial Arts" = "sport-fitness").
    #[serde(default)]
    pub types: BTreeMap<String, String>,
    /// Column = values: rows with one of these values are left out (reported).
    #[serde(default)]
    pub skip: BTreeMap<String, Vec<String>>,
    /// Column = values: rows with one of these values are free.
    #[serde(default)]
    pub free_when: BTreeMap<String, Vec<String>>,
    /// Field delimiter (default ",").
    pub delimiter: Option<char>,
}

impl Mapping {
    pub fn parse(text: &str, taxonomy: &Taxonomy) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        if m.columns.title.is_none() {
            return Err(
                "the mapping must name the title column ([columns] title = \"...\")".into(),
            );
        }
        for slug in m.access.keys() {
            if taxonomy.access_feature(slug).is_none() {
                return Err(format!(
                    "[access] '{slug}' is not a known accessibility feature"
                ));
            }
        }
        for slug in m.types.values().chain(&m.fixed.types) {
            if taxonomy.activity_type(slug).is_none() {
                return Err(format!("'{slug}' is not a known activity type"));
            }
        }
        if m.delimiter.is_some_and(|d| !d.is_ascii()) {
            return Err("the delimiter must be a single ASCII character".into());
        }
        Ok(m)
    }

    pub fn load(path: &std::path::Path, taxonomy: &Taxonomy) -> Result<Mapping, IngestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| IngestError::Read(path.display().to_string(), e))?;
        Mapping::parse(&text, taxonomy).map_err(|e| {
            IngestError::Mapping(format!("the mapping {} is not valid: {e}", path.display()))
        })
    }

    /// Every (field, column ref) the mapping names, for checking against the header.
    fn named(&self) -> Vec<(String, &ColumnRef)> {
        let c = &self.columns;
        let mut out: Vec<(String, &ColumnRef)> = [
            ("source_id", &c.source_id),
            ("title", &c.title),
            ("summary", &c.summary),
            ("description", &c.description),
            ("organisation", &c.organisation),
            ("email", &c.email),
            ("phone", &c.phone),
            ("website", &c.website),
            ("venue_name", &c.venue_name),
            ("address", &c.address),
            ("postcode", &c.postcode),
            ("lat", &c.lat),
            ("lon", &c.lon),
            ("days", &c.days),
            ("start", &c.start),
            ("end", &c.end),
            ("frequency", &c.frequency),
            ("week_of_month", &c.week_of_month),
            ("starting", &c.starting),
            ("date", &c.date),
            ("cost", &c.cost),
            ("free", &c.free),
            ("concessions", &c.concessions),
            ("ages", &c.ages),
            ("age_min", &c.age_min),
            ("age_max", &c.age_max),
            ("types", &c.types),
            ("access_notes", &c.access_notes),
            ("join_details", &c.join_details),
            ("schedule_note", &c.schedule_note),
            ("meeting_point", &c.meeting_point),
            ("leader", &c.leader),
            ("places", &c.places),
            ("level", &c.level),
            ("getting_there", &c.getting_there),
        ]
        .into_iter()
        .filter_map(|(f, r)| r.as_ref().map(|r| (f.to_string(), r)))
        .collect();
        for (slug, r) in &self.access {
            out.push((format!("access.{slug}"), r));
        }
        out
    }
}

/// Does this look like CSV: a first line with a separator and no JSON start?
pub fn looks_like_csv(bytes: &[u8]) -> bool {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    first.contains(&b',') || first.contains(&b';') || first.contains(&b'\t')
}

/// Decoded rows and warnings about the file or rows.
#[derive(Debug, Default)]
pub struct Decoded {
    /// One per data row; problems carry the candidate's 1-based index until
    /// [`Decoded::import`] turns them into row numbers.
    pub candidates: Vec<Candidate>,
    /// The spreadsheet row number of each candidate.
    pub rows: Vec<usize>,
    /// Warnings, already by row number.
    pub warnings: Vec<ItemProblem>,
}

impl Decoded {
    /// Imports the rows and reports every problem and warning by spreadsheet row.
    pub fn import(
        self,
        store: &crate::store::Store,
        taxonomy: &Taxonomy,
        opts: &super::ImportOptions,
    ) -> Result<super::ImportReport, IngestError> {
        let rows = self.rows;
        let mut report = super::import(store, taxonomy, self.candidates, opts)?;
        for p in report.failed.iter_mut().chain(report.warnings.iter_mut()) {
            if let Some(r) = p.position.checked_sub(1).and_then(|i| rows.get(i)) {
                p.position = *r;
            }
        }
        report.failed.sort_by_key(|p| p.position);
        report.warnings.extend(self.warnings);
        report.warnings.sort_by_key(|p| p.position);
        report.unit = "row";
        Ok(report)
    }
}

/// The file as text: UTF-8 (without a BOM), or Windows-1252 when it is not UTF-8.
pub fn to_text(bytes: &[u8]) -> (String, Option<String>) {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (
                text.into_owned(),
                Some(format!(
                    "the file is not UTF-8 (first bad byte at offset {}), so it was read as Windows-1252; check accented letters and £ signs",
                    e.valid_up_to()
                )),
            )
        }
    }
}

struct Row<'a> {
    cells: &'a csv::StringRecord,
    header: &'a BTreeMap<String, usize>,
    mapping: &'a Mapping,
}

impl Row<'_> {
    fn cell(&self, column: &str) -> Option<String> {
        let i = *self.header.get(&column.trim().to_lowercase())?;
        let v = self.cells.get(i)?.trim();
        let missing = v.is_empty()
            || self
                .mapping
                .values
                .missing
                .iter()
                .any(|m| m.eq_ignore_ascii_case(v));
        (!missing).then(|| v.to_string())
    }

    fn get(&self, r: &Option<ColumnRef>) -> Option<String> {
        let r = r.as_ref()?;
        let s = match r {
            ColumnRef::One(t) if t.contains('{') => {
                let mut out = String::new();
                let mut any = false;
                let mut rest = t.as_str();
                while let Some(i) = rest.find('{') {
                    out.push_str(&rest[..i]);
                    let Some(j) = rest[i..].find('}') else { break };
                    if let Some(v) = self.cell(&rest[i + 1..i + j]) {
                        out.push_str(&v);
                        any = true;
                    }
                    rest = &rest[i + j + 1..];
                }
                out.push_str(rest);
                if !any {
                    return None;
                }
                out
            }
            ColumnRef::One(c) => self.cell(c)?,
            ColumnRef::Many(cs) => {
                let parts: Vec<String> = cs.iter().filter_map(|c| self.cell(c)).collect();
                if parts.is_empty() {
                    return None;
                }
                parts.join(", ")
            }
        };
        let s = strip_html(&s);
        (!s.is_empty()).then_some(s)
    }

    /// Yes (true), no (false), or not given; anything else is an error.
    fn yes_no(&self, field: &str, v: &str) -> Result<bool, String> {
        let vals = &self.mapping.values;
        if vals.yes.iter().any(|y| y.eq_ignore_ascii_case(v)) {
            Ok(true)
        } else if vals.no.iter().any(|n| n.eq_ignore_ascii_case(v)) {
            Ok(false)
        } else {
            Err(format!("{field}: '{v}' is not a yes or no"))
        }
    }
}

/// "£3.50", "3", "Free" → (free, pence).
fn parse_price(s: &str) -> (bool, Option<u32>) {
    let t = s.trim().to_lowercase();
    if t == "free" || t.starts_with("free ") {
        return (true, None);
    }
    let num = t
        .trim_start_matches('£')
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit());
    match num.parse::<f64>() {
        Ok(0.0) => (true, None),
        Ok(v) if v.is_finite() && v > 0.0 => (false, Some((v * 100.0).round() as u32)),
        _ => (false, None),
    }
}

/// "18+", "5-11", "5 to 11", "over 50s", "under 18".
fn parse_ages(s: &str) -> Option<(Option<u8>, Option<u8>)> {
    let t = s.trim().to_lowercase();
    let nums: Vec<u8> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u8>().ok())
        .collect();
    match nums.as_slice() {
        [a, b] => Some((Some(*a), Some(*b))),
        [a] if t.contains('+') || t.contains("over") || t.contains("plus") => {
            Some((Some(*a), None))
        }
        [a] if t.contains("under") => Some((None, Some(a.saturating_sub(1)))),
        [a] => Some((Some(*a), Some(*a))),
        _ => None,
    }
}

fn week_of_month(s: &str) -> Option<i8> {
    match s.trim().to_lowercase().as_str() {
        "1" | "first" | "1st" => Some(1),
        "2" | "second" | "2nd" => Some(2),
        "3" | "third" | "3rd" => Some(3),
        "4" | "fourth" | "4th" => Some(4),
        "-1" | "last" => Some(-1),
        _ => None,
    }
}

/// Reads a CSV file through `mapping`. Errors only for a file that can't be read at all
/// or a mapping that names columns the file lacks; row problems are per row.
pub fn decode(
    bytes: &[u8],
    mapping: &Mapping,
    taxonomy: &Taxonomy,
) -> Result<Decoded, IngestError> {
    let (text, encoding_warning) = to_text(bytes);
    let mut out = Decoded::default();
    if let Some(w) = encoding_warning {
        out.warnings.push(ItemProblem {
            position: 1,
            source_id: None,
            reasons: vec![w],
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(mapping.delimiter.map(|d| d as u8).unwrap_or(b','))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| IngestError::Mapping(format!("could not read the header row: {e}")))?
        .clone();
    // The first of two same-named columns wins.
    let mut header: BTreeMap<String, usize> = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        header.entry(h.trim().to_lowercase()).or_insert(i);
    }
    let mut missing = Vec::new();
    for (field, r) in mapping.named() {
        for c in r.columns() {
            if !header.contains_key(&c.trim().to_lowercase()) {
                missing.push(format!("'{c}' (for {field})"));
            }
        }
    }
    for c in mapping.skip.keys().chain(mapping.free_when.keys()) {
        if !header.contains_key(&c.trim().to_lowercase()) {
            missing.push(format!("'{c}'"));
        }
    }
    if !missing.is_empty() {
        return Err(IngestError::Mapping(format!(
            "the mapping names {} that the file does not have: {}. The file's columns are: {}",
            if missing.len() == 1 {
                "a column"
            } else {
                "columns"
            },
            missing.join(", "),
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    }
    for (i, rec) in reader.records().enumerate() {
        // The header is row 1, so the first record is row 2.
        let row_no = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.rows.push(row_no);
                out.candidates.push(Err(ItemProblem {
                    position: out.rows.len(),
                    source_id: None,
                    reasons: vec![format!("the row could not be read: {e}")],
                }));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut warnings = Vec::new();
        if rec.len() != headers.len() {
            warnings.push(format!(
                "the row has {} cells but the header has {}",
                rec.len(),
                headers.len()
            ));
        }
        let row = Row {
            cells: &rec,
            header: &header,
            mapping,
        };
        match row_to_listing(&row, taxonomy, &mut warnings) {
            Ok(l) => {
                if !warnings.is_empty() {
                    out.warnings.push(ItemProblem {
                        position: row_no,
                        source_id: Some(l.provenance.source_id.clone()),
                        reasons: warnings,
                    });
                }
                out.rows.push(row_no);
                out.candidates.push(Ok(l));
            }
            Err((id, mut reasons)) => {
                reasons.extend(warnings);
                out.rows.push(row_no);
                out.candidates.push(Err(ItemProblem {
                    position: out.rows.len(),
                    source_id: id,
                    reasons,
                }));
            }
        }
    }
    Ok(out)
}

type RowError = (Option<String>, Vec<String>);

/// The row's name and id (given, or made from its name and postcode), unless the
/// mapping's `skip` leaves it out.
fn identity(
    row: &Row<'_>,
    reasons: &mut Vec<String>,
) -> Result<(String, Option<String>), RowError> {
    let m = row.mapping;
    let c = &m.columns;
    let title = row.get(&c.title).unwrap_or_default();
    let id = row.get(&c.source_id).or_else(|| {
        (c.source_id.is_none() && !title.is_empty()).then(|| {
            let pc = row.get(&c.postcode).unwrap_or_default();
            format!(
                "{}|{}",
                title.to_lowercase(),
                pc.to_uppercase().replace(' ', "")
            )
        })
    });
    for (col, values) in &m.skip {
        if let Some(v) = row.cell(col)
            && values.iter().any(|x| x.eq_ignore_ascii_case(&v))
        {
            return Err((id, vec![format!("left out by the mapping: {col} is '{v}'")]));
        }
    }
    if title.is_empty() {
        reasons.push("title: the row has no name".to_string());
    }
    if id.is_none() {
        reasons.push("source_id: the row has no id".to_string());
    }
    Ok((title, id))
}

/// Types from the types column (the mapping's `[types]`, our slugs, our words, the
/// Activity List's names), else the mapping's fixed types. A value that fits nothing is
/// a warning: the importer then takes types from the row's words or the general type.
fn types_of_row(row: &Row<'_>, taxonomy: &Taxonomy, warnings: &mut Vec<String>) -> Vec<String> {
    let m = row.mapping;
    let mut types: Vec<String> = Vec::new();
    let raw_types = row.get(&m.columns.types);
    if let Some(raw) = &raw_types {
        for part in raw
            .split([',', ';', '/', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let t = m
                .types
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(part))
                .map(|(_, v)| v.as_str())
                .or_else(|| taxonomy.activity_type(part).map(|t| t.slug.as_str()))
                .or_else(|| taxonomy.type_for_activity(None, part));
            if let Some(t) = t
                && !types.iter().any(|x| x == t)
            {
                types.push(t.to_string());
            }
        }
    }
    if types.is_empty() {
        types = m.fixed.types.clone();
    }
    if types.is_empty()
        && let Some(raw) = &raw_types
    {
        warnings.push(format!(
            "types: '{raw}' is not one of Signpost's activity types (add it under [types] in the mapping), so its type comes from its words"
        ));
    }
    types
}

/// E-mail, website and phone: each left out, with a warning, when it is not what it
/// says.
fn contacts_of_row(
    row: &Row<'_>,
    warnings: &mut Vec<String>,
) -> (Option<String>, Option<String>, Option<String>) {
    let c = &row.mapping.columns;
    let email = row.get(&c.email).and_then(|e| {
        email_as_written(&e).or_else(|| {
            warnings.push(format!(
                "email: '{e}' is not an email address, so it was left out"
            ));
            None
        })
    });
    let website = row.get(&c.website).and_then(|w| {
        web_address_as_written(&w).or_else(|| {
            warnings.push(format!(
                "website: '{w}' is not a web address, so it was left out"
            ));
            None
        })
    });
    let phone = row.get(&c.phone).and_then(|p| {
        let n = phone_number(&p);
        if n.is_none() {
            warnings.push(format!(
                "phone: '{p}' is not a phone number, so it was left out"
            ));
        }
        n
    });
    (email, website, phone)
}

/// The venue from the postcode, position, address and name columns; none when the row
/// gives none of them (the importer then places it by the source's area).
fn venue_of_row(
    row: &Row<'_>,
    reasons: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<Venue> {
    let c = &row.mapping.columns;
    let num = |r: &Option<ColumnRef>, field: &str, reasons: &mut Vec<String>| -> Option<f64> {
        let v = row.get(r)?;
        match v.parse::<f64>() {
            Ok(f) if f.is_finite() => Some(f),
            _ => {
                reasons.push(format!("{field}: '{v}' is not a number"));
                None
            }
        }
    };
    let mut lat = num(&c.lat, "lat", reasons);
    let mut lon = num(&c.lon, "lon", reasons);
    if let (Some(a), Some(b)) = (lat, lon)
        && !((49.0..=61.5).contains(&a) && (-9.0..=2.5).contains(&b))
    {
        warnings.push(format!(
            "{a}, {b} is not a position in the UK, so it was left out"
        ));
        (lat, lon) = (None, None);
    }
    if lat.is_some() != lon.is_some() {
        (lat, lon) = (None, None);
    }
    let postcode = row.get(&c.postcode);
    let address = row.get(&c.address).unwrap_or_default();
    let venue_name = row.get(&c.venue_name).unwrap_or_default();
    (postcode.is_some() || lat.is_some() || !address.is_empty()).then_some(Venue {
        name: venue_name,
        address,
        postcode,
        lat,
        lon,
        geo_precision: None,
    })
}

fn time_cell(
    row: &Row<'_>,
    r: &Option<ColumnRef>,
    field: &str,
    example: &str,
    reasons: &mut Vec<String>,
) -> Option<NaiveTime> {
    let s = row.get(r)?;
    parse::time(&s).or_else(|| {
        reasons.push(format!("{field}: '{s}' is not a time (use {example})"));
        None
    })
}

/// A dated session, or weekly, fortnightly or monthly rules from the days columns.
fn schedule_of_row(row: &Row<'_>, reasons: &mut Vec<String>) -> Schedule {
    let c = &row.mapping.columns;
    let mut schedule = Schedule {
        note: row
            .get(&c.schedule_note)
            .map(|n| truncate(&n, 1_000))
            .unwrap_or_default(),
        ..Default::default()
    };
    let start = time_cell(row, &c.start, "start", "10:00 or 10am", reasons);
    let end = time_cell(row, &c.end, "end", "11:30 or 11:30am", reasons);
    let days = match row.get(&c.days) {
        Some(d) => parse::days(&d).unwrap_or_else(|bad| {
            reasons.push(format!("days: '{bad}' is not a day of the week"));
            Vec::new()
        }),
        None => Vec::new(),
    };
    let starting = match row.get(&c.starting) {
        Some(s) => parse::date(&s).or_else(|| {
            reasons.push(format!(
                "starting: '{s}' is not a date (use 2026-01-31 or 31/01/2026)"
            ));
            None
        }),
        None => None,
    };
    let frequency = row.get(&c.frequency).map(|f| f.to_lowercase());
    let repeat = match frequency.as_deref() {
        None | Some("weekly" | "every week" | "week") => Some(Repeat::Weekly),
        Some("fortnightly" | "every other week" | "every two weeks" | "biweekly") => {
            Some(Repeat::Fortnightly)
        }
        Some("monthly" | "every month" | "month") => Some(Repeat::Monthly),
        Some(other) => {
            reasons.push(format!(
                "frequency: '{other}' is not weekly, fortnightly or monthly"
            ));
            None
        }
    };
    if let Some(date) = row.get(&c.date) {
        match (parse::date(&date), start) {
            (Some(d), Some(s)) => schedule.dates.push(OneOff {
                date: d,
                start: s,
                end,
            }),
            (None, _) => reasons.push(format!(
                "date: '{date}' is not a date (use 2026-01-31 or 31/01/2026)"
            )),
            (_, None) => reasons.push("start: a dated session needs a start time".into()),
        }
    } else if !days.is_empty() {
        match (start, repeat) {
            (Some(s), Some(repeat)) => {
                let wom = row.get(&c.week_of_month);
                schedule.sessions =
                    rules_for(&days, repeat, s, end, starting, wom.as_deref(), reasons);
            }
            (None, _) if row.get(&c.start).is_none() => {
                reasons.push("start: the row gives days but no start time".into())
            }
            _ => {}
        }
    }
    schedule
}

/// One rule per day; the first problem stops (and is reported).
fn rules_for(
    days: &[Day],
    repeat: Repeat,
    start: NaiveTime,
    end: Option<NaiveTime>,
    starting: Option<NaiveDate>,
    wom: Option<&str>,
    reasons: &mut Vec<String>,
) -> Vec<SessionRule> {
    let mut rules = Vec::new();
    for &day in days {
        let week_of_month = match repeat {
            Repeat::Monthly => match wom.and_then(week_of_month) {
                Some(w) => Some(w),
                None => {
                    reasons.push(format!(
                        "week_of_month: a monthly session needs which week (1-4 or last), not '{}'",
                        wom.unwrap_or("")
                    ));
                    break;
                }
            },
            _ => None,
        };
        let rule = SessionRule {
            repeat,
            day,
            week_of_month,
            start,
            end,
            starting: match repeat {
                Repeat::Monthly => None,
                _ => starting.map(|st| {
                    let mut d = st;
                    while d.weekday_day() != day {
                        d = d.succ_opt().unwrap_or(d);
                    }
                    d
                }),
            },
            until: None,
        };
        if let Err(e) = rule.validate() {
            reasons.push(format!("schedule: {e}"));
            break;
        }
        rules.push(rule);
    }
    rules
}

/// The price, free flag and column values that mean free, and concessions.
fn cost_of_row(row: &Row<'_>, reasons: &mut Vec<String>) -> Cost {
    let m = row.mapping;
    let c = &m.columns;
    let mut cost = Cost::default();
    if let Some(p) = row.get(&c.cost) {
        let (free, pence) = parse_price(&p);
        cost.free = free;
        cost.amount_pence = pence;
        if !free {
            cost.price = Some(match pence {
                Some(p) if p.is_multiple_of(100) => format!("£{}", p / 100),
                Some(p) => format!("£{}.{:02}", p / 100, p % 100),
                None => truncate(&p, 300),
            });
            if pence.is_some() && p.chars().any(|ch| ch.is_alphabetic()) {
                cost.price = Some(truncate(&p, 300));
            }
        }
    }
    if let Some(f) = row.get(&c.free) {
        match row.yes_no("free", &f) {
            Ok(true) => {
                cost = Cost {
                    free: true,
                    ..Default::default()
                }
            }
            Ok(false) => cost.free = false,
            Err(e) => reasons.push(e),
        }
    }
    for (col, values) in &m.free_when {
        if row
            .cell(col)
            .is_some_and(|v| values.iter().any(|x| x.eq_ignore_ascii_case(&v)))
        {
            cost = Cost {
                free: true,
                ..Default::default()
            };
        }
    }
    cost.concessions = row.get(&c.concessions).map(|x| truncate(&x, 300));

    cost
}

/// Accessibility features from yes/no columns and the notes' words.
fn access_of_row(row: &Row<'_>, warnings: &mut Vec<String>) -> crate::listing::Access {
    let m = row.mapping;
    let c = &m.columns;
    let mut access = crate::listing::Access::default();
    for (slug, r) in &m.access {
        let mut all = true;
        let mut any = false;
        for col in r.columns() {
            match row.cell(&col) {
                Some(v) => match row.yes_no(&col, &v) {
                    Ok(yes) => {
                        any = true;
                        all &= yes;
                    }
                    Err(e) => {
                        warnings.push(format!("access.{slug}: {e}"));
                        all = false;
                    }
                },
                None => all = false,
            }
        }
        if any && all {
            access.features.push(slug.clone());
        }
    }
    if let Some(n) = row.get(&c.access_notes) {
        for f in access_features_in(&n) {
            if !access.features.iter().any(|x| x == f) {
                access.features.push(f.to_string());
            }
        }
        access.notes = truncate(&n, 2_000);
    }
    if let Some(n) = row.get(&row.mapping.columns.getting_there) {
        access.travel.push(crate::listing::Travel {
            by: crate::listing::TravelMode::Any,
            note: truncate(&n, crate::listing::validate::MAX_TRAVEL),
        });
    }

    access
}

/// Where to meet, who leads it and how many come: a value that cannot be read is a
/// warning, and the row is still imported without it.
fn joining_of_row(row: &Row<'_>, join: &mut Join, warnings: &mut Vec<String>) {
    let c = &row.mapping.columns;
    if let Some(at) = row.get(&c.meeting_point) {
        join.meeting_point = truncate(&at, crate::listing::validate::MAX_MEETING_POINT);
    }
    join.leader = row.get(&c.leader).map(|l| truncate(&l, 250));
    if let Some(n) = row.get(&c.places) {
        match n.trim().parse::<u32>() {
            Ok(n) if n > 0 => join.places = Some(n),
            _ => warnings.push(format!(
                "places: '{n}' is not a number of people, so it was left out"
            )),
        }
    }
}

/// Experience needed, from the level column's words.
fn level_of_row(row: &Row<'_>, warnings: &mut Vec<String>) -> Option<crate::listing::Level> {
    let words = row.get(&row.mapping.columns.level)?;
    let level = crate::listing::Level::from_words(words.split([',', ';', '/']));
    if level.is_none() {
        warnings.push(format!(
            "level: '{words}' is not a level Signpost knows (beginners, all levels, experienced), so it was left out"
        ));
    }
    level
}

/// Ages from an age-range column or minimum and maximum columns.
fn audience_of_row(row: &Row<'_>, reasons: &mut Vec<String>) -> crate::listing::Audience {
    let c = &row.mapping.columns;
    let mut audience = crate::listing::Audience::default();
    if let Some(a) = row.get(&c.ages) {
        match parse_ages(&a) {
            Some((min, max)) => {
                audience.age_min = min.filter(|x| *x > 0);
                audience.age_max = max;
            }
            None => reasons.push(format!(
                "ages: '{a}' is not an age range (use 18+, 5-11 or under 16)"
            )),
        }
    }
    for (r, field, slot) in [(&c.age_min, "age_min", 0), (&c.age_max, "age_max", 1)] {
        if let Some(v) = row.get(r) {
            match v.parse::<u8>() {
                Ok(n) if n <= 120 => {
                    if slot == 0 {
                        audience.age_min = Some(n).filter(|x| *x > 0)
                    } else {
                        audience.age_max = Some(n)
                    }
                }
                _ => reasons.push(format!("{field}: '{v}' is not an age from 0 to 120")),
            }
        }
    }

    audience
}

/// One row into a listing: each step reads its own columns; every problem with the
/// row is reported at once.
fn row_to_listing(
    row: &Row<'_>,
    taxonomy: &Taxonomy,
    warnings: &mut Vec<String>,
) -> Result<Listing, RowError> {
    let m = row.mapping;
    let c = &m.columns;
    let mut reasons = Vec::new();
    let (title, id) = identity(row, &mut reasons)?;
    let types = types_of_row(row, taxonomy, warnings);
    let description = row.get(&c.description).unwrap_or_default();
    let (email, website, phone) = contacts_of_row(row, warnings);
    let venue = venue_of_row(row, &mut reasons, warnings);
    let modes = if m.fixed.modes.is_empty() {
        vec![Mode::InPerson]
    } else {
        m.fixed.modes.clone()
    };
    let schedule = schedule_of_row(row, &mut reasons);
    let cost = cost_of_row(row, &mut reasons);
    let access = access_of_row(row, warnings);
    let mut audience = audience_of_row(row, &mut reasons);
    audience.level = level_of_row(row, warnings);
    let id = match id {
        Some(id) if reasons.is_empty() => id,
        id => return Err((id, reasons)),
    };
    let organisation = Organisation {
        name: row
            .get(&c.organisation)
            .or_else(|| m.fixed.organisation.clone())
            .unwrap_or_default(),
        website: website.clone(),
        email: email.clone(),
        phone: phone.clone(),
    };
    let summary = row
        .get(&c.summary)
        .unwrap_or_else(|| summary_of(&description));
    let mut join = Join {
        method: m.fixed.join.unwrap_or(JoinMethod::DropIn),
        details: row.get(&c.join_details).unwrap_or_default(),
        contact: Contact {
            name: None,
            phone,
            email,
            url: website,
        },
        ..Default::default()
    };
    joining_of_row(row, &mut join, warnings);
    Ok(Listing {
        id: 0,
        title,
        summary,
        description,
        organisation,
        types,
        modes,
        venue,
        area_served: Default::default(),
        schedule,
        cost,
        access,
        audience,
        join,
        provenance: Provenance {
            source: String::new(),
            source_id: id,
            source_url: None,
            updated_at: None,
            verified_at: None,
        },
        status: Default::default(),
    })
}

trait WeekdayDay {
    fn weekday_day(&self) -> Day;
}

impl WeekdayDay for NaiveDate {
    fn weekday_day(&self) -> Day {
        use chrono::Datelike;
        Day::from_chrono(self.weekday())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn small_parsers() {
        assert_eq!(parse::time("2pm"), NaiveTime::from_hms_opt(14, 0, 0));
        assert_eq!(parse::time("10.30"), NaiveTime::from_hms_opt(10, 30, 0));
        assert_eq!(parse::time("12am"), NaiveTime::from_hms_opt(0, 0, 0));
        assert_eq!(parse::time("noon"), NaiveTime::from_hms_opt(12, 0, 0));
        assert!(parse::time("soon").is_none());
        assert_eq!(
            parse::days("Mon, Wednesdays and fri").unwrap(),
            vec![Day::Mon, Day::Wed, Day::Fri]
        );
        assert!(parse::days("Funday").is_err());
        assert_eq!(parse_price("£3.50"), (false, Some(350)));
        assert_eq!(parse_price("Free"), (true, None));
        assert_eq!(parse_ages("18+"), Some((Some(18), None)));
        assert_eq!(parse_ages("5-11"), Some((Some(5), Some(11))));
        assert_eq!(to_text(b"caf\xe9 \x80").0, "café €");
        assert!(to_text(b"\xEF\xBB\xBFok").1.is_none());
    }
}
