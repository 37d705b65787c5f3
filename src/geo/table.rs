//! Reading full postcode tables for `signpost import-postcodes`.
//!
//! Three layouts are recognised from the first line: the ONS Postcode Directory
//! (header with `pcds`, `lat`, `long`, `doterm`), the WGS84 conversion of Code-Point Open
//! (header `postcode,latitude,longitude,...`), and the raw Code-Point Open release (no
//! header; postcode, quality, easting, northing), converted from the National Grid.
//! Files may be gzipped. Rows stream one at a time, so the 1.7 million-row national
//! file never sits in memory; rows without a position are reported, not guessed.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::osgb::osgb36_to_wgs84;
use super::postcode::Postcode;

#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeRow {
    pub postcode: Postcode,
    pub lat: f64,
    pub lon: f64,
    /// The postcode is no longer in use (ONSPD `doterm`); kept, because an old
    /// postcode still says where a place is.
    pub terminated: bool,
    /// The local authority (GSS code, e.g. `E06000013`) the postcode is in, when the
    /// table says: Code-Point Open's `admin_district_code`, ONSPD's `oslaua`.
    pub local_authority: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Onspd,
    CodePointWgs84,
    CodePointOsgb,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("could not read {0}: {1}")]
    Io(String, std::io::Error),
    #[error(
        "{0} is not a postcode table we know. Expected an ONS Postcode Directory CSV (columns pcds, lat, long, doterm), \
         a Code-Point Open CSV converted to WGS84 (postcode,latitude,longitude,...), \
         or the raw Code-Point Open CSV (\"AB1 0AA\",10,385386,801193,...)"
    )]
    UnknownLayout(String),
    #[error("{0} is empty")]
    Empty(String),
}

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

pub struct TableReader {
    records: csv::StringRecordsIntoIter<Box<dyn Read>>,
    layout: Layout,
    columns: Columns,
    /// A first record read while sniffing that is data, not a header.
    pending: Option<csv::StringRecord>,
    line: u64,
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    postcode: usize,
    lat: usize,
    lon: usize,
    doterm: Option<usize>,
    local_authority: Option<usize>,
}

/// Opens a table, gunzipping if the file starts with the gzip magic bytes.
pub fn open_table(path: &Path) -> Result<TableReader, TableError> {
    let name = path.display().to_string();
    let io = |e| TableError::Io(name.clone(), e);
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(io)?;
    let file = BufReader::new(File::open(path).map_err(io)?);
    let input: Box<dyn Read> = if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    from_reader(input, &name)
}

/// Reads a table from any reader (already decompressed).
pub fn from_reader(input: Box<dyn Read>, name: &str) -> Result<TableReader, TableError> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input)
        .into_records();
    let first = match records.next() {
        None => return Err(TableError::Empty(name.into())),
        Some(Err(e)) => {
            return Err(TableError::Io(
                name.into(),
                std::io::Error::other(e.to_string()),
            ));
        }
        Some(Ok(r)) => r,
    };
    let header: Vec<String> = first
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let (layout, columns, pending) = if let (Some(pc), Some(lat), Some(lon)) =
        (find("pcds").or(find("pcd")), find("lat"), find("long"))
    {
        let cols = Columns {
            postcode: pc,
            lat,
            lon,
            doterm: find("doterm"),
            local_authority: find("oslaua"),
        };
        (Layout::Onspd, cols, None)
    } else if let (Some(pc), Some(lat), Some(lon)) =
        (find("postcode"), find("latitude"), find("longitude"))
    {
        let cols = Columns {
            postcode: pc,
            lat,
            lon,
            doterm: None,
            local_authority: find("admin_district_code"),
        };
        (Layout::CodePointWgs84, cols, None)
    } else if first.len() >= 4
        && Postcode::parse(&first[0]).is_ok_and(|p| p.is_full())
        && first[2].trim().parse::<f64>().is_ok()
        && first[3].trim().parse::<f64>().is_ok()
    {
        let cols = Columns {
            postcode: 0,
            lat: 2,
            lon: 3,
            doterm: None,
            // Code-Point Open's 10 columns: PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC.
            local_authority: (first.len() >= 9).then_some(8),
        };
        (Layout::CodePointOsgb, cols, Some(first))
    } else {
        return Err(TableError::UnknownLayout(name.into()));
    };
    Ok(TableReader {
        records,
        layout,
        columns,
        line: if pending.is_some() { 0 } else { 1 },
        pending,
    })
}

impl TableReader {
    pub fn layout(&self) -> Layout {
        self.layout
    }

    fn row(&self, r: &csv::StringRecord) -> Result<PostcodeRow, String> {
        let c = self.columns;
        let field = |i: usize| r.get(i).map(str::trim).unwrap_or("");
        let postcode = Postcode::parse(field(c.postcode))
            .ok()
            .filter(Postcode::is_full)
            .ok_or_else(|| format!("'{}' is not a full postcode", field(c.postcode)))?;
        let num = |i: usize| field(i).parse::<f64>().ok();
        let (lat, lon) = match self.layout {
            Layout::CodePointOsgb => match (num(c.lat), num(c.lon)) {
                (Some(e), Some(n)) if e > 0.0 && n > 0.0 => osgb36_to_wgs84(e, n),
                _ => return Err(format!("{postcode} has no grid reference")),
            },
            _ => match (num(c.lat), num(c.lon)) {
                // ONSPD writes 99.999999 / 0 for "no position".
                (Some(lat), Some(lon)) if lat < 90.0 && (lat, lon) != (0.0, 0.0) => (lat, lon),
                _ => return Err(format!("{postcode} has no position")),
            },
        };
        if !(49.0..=61.5).contains(&lat) || !(-9.0..=2.5).contains(&lon) {
            return Err(format!(
                "{postcode} is placed outside the UK ({lat}, {lon})"
            ));
        }
        let terminated = c.doterm.is_some_and(|i| !field(i).is_empty());
        // Placeholder codes (`E99999999`, `S99999999`) mean "none".
        let local_authority = c
            .local_authority
            .map(field)
            .filter(|code| is_gss_code(code) && !code.ends_with("99999999"))
            .map(String::from);
        Ok(PostcodeRow {
            postcode,
            lat,
            lon,
            terminated,
            local_authority,
        })
    }
}

/// A GSS statistical code such as `E06000013`: a country letter and eight digits.
pub fn is_gss_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 9
        && matches!(
            b[0].to_ascii_uppercase(),
            b'E' | b'W' | b'S' | b'N' | b'K' | b'L' | b'M'
        )
        && b[1..].iter().all(u8::is_ascii_digit)
}

impl Iterator for TableReader {
    type Item = Result<PostcodeRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = match self.pending.take() {
            Some(r) => Ok(r),
            None => self.records.next()?,
        };
        self.line += 1;
        let line = self.line;
        Some(match record {
            Ok(r) => self.row(&r).map_err(|message| RowError { line, message }),
            Err(e) => Err(RowError {
                line,
                message: format!("unreadable row: {e}"),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(p: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/postcodes/"
        ))
        .join(p)
    }

    #[test]
    fn onspd_subset() {
        let t = open_table(&shared("postcodes-io_onspd_seed_subset.csv")).unwrap();
        assert_eq!(t.layout(), Layout::Onspd);
        let (mut ok, mut skipped, mut terminated) = (0, 0, 0);
        for r in t {
            match r {
                Ok(row) => {
                    ok += 1;
                    terminated += row.terminated as u32;
                }
                Err(e) => {
                    assert!(
                        e.message.contains("no position")
                            || e.message.contains("outside")
                            || e.message.contains("not a full"),
                        "{e}"
                    );
                    skipped += 1;
                }
            }
        }
        assert!(ok > 7_000, "{ok}");
        assert!(skipped > 0, "rows with lat 99.999999 are skipped");
        assert!(terminated > 0);
    }

    #[test]
    fn codepoint_wgs84_gz() {
        let t = open_table(&shared(
            "codepoint-open-2014/codepoint_open_2014-08_postcodes_wgs84.csv.gz",
        ))
        .unwrap();
        assert_eq!(t.layout(), Layout::CodePointWgs84);
        let rows: Vec<_> = t.take(5_000).collect();
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.postcode.to_string(), "AB10 1AA");
        assert!((first.lat - 57.148232).abs() < 1e-9);
        assert_eq!(first.local_authority.as_deref(), Some("S12000033"));
        assert!(rows.iter().filter(|r| r.is_ok()).count() > 4_900);
    }

    #[test]
    fn codepoint_raw_grid() {
        let t = open_table(&shared("codepoint-open-2014/raw_sample_bs.csv")).unwrap();
        assert_eq!(t.layout(), Layout::CodePointOsgb);
        let rows: Vec<_> = t.collect();
        assert!(rows.len() > 26_000);
        let bs1 = rows
            .iter()
            .flatten()
            .find(|r| r.postcode.to_string() == "BS1 1AD")
            .unwrap();
        // The WGS84 conversion of the same release: 51.458430,-2.574179.
        assert!((bs1.lat - 51.458430).abs() < 1e-4 && (bs1.lon + 2.574179).abs() < 1e-4);
    }

    #[test]
    fn unknown_and_broken_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "name,colour\nfoo,blue\n").unwrap();
        assert!(matches!(open_table(&p), Err(TableError::UnknownLayout(_))));
        std::fs::write(&p, "").unwrap();
        assert!(matches!(open_table(&p), Err(TableError::Empty(_))));
        // A truncated gzip: the first bytes of the real file only.
        let gz = std::fs::read(shared(
            "codepoint-open-2014/codepoint_open_2014-08_postcodes_wgs84.csv.gz",
        ))
        .unwrap();
        std::fs::write(&p, &gz[..4096]).unwrap();
        let t = open_table(&p).unwrap();
        let results: Vec<_> = t.collect();
        assert!(results.iter().any(|r| r.is_err()), "truncation is reported");
    }
}
