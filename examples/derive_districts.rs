//! Derives the postcode tables Signpost ships in `content/` from a full postcode table
//! (read with the same reader as `signpost import-postcodes`):
//!
//! - `postcode-districts.csv`: the centre (mean position of its units) of every
//!   postcode district;
//! - `local-authority-districts.csv`: each local authority's postcode districts, from
//!   the table's local-authority column (Code-Point Open's `admin_district_code`,
//!   ONSPD's `oslaua`). A district belongs to an authority when at least 1 in 20 of its
//!   postcode units lie in it (and an authority always has the district where most of
//!   its units are), so a handful of units over a boundary do not stretch an area.
//!   Names are added from an optional list of codes and names: the ONS lookup of local
//!   authorities as CSV (`LAD21CD,LAD21NM` or `LTLA21CD,LTLA21NM` columns, or any
//!   `code,name`) or as the JSON array of records the ONS publishes.
//!
//! ```text
//! cargo run --release --example derive_districts -- \
//!     ../shared/data/postcodes/codepoint-open-2014/codepoint_open_2014-08_postcodes_wgs84.csv.gz \
//!     content [--names LOCAL_AUTHORITY_NAMES]
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use signpost::geo::{districts, table};

/// Share of a district's units an authority needs for the district to count as its.
const MIN_SHARE: f64 = 0.05;

fn main() {
    if let Err(e) = run() {
        eprintln!("derive_districts: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: derive_districts POSTCODE_TABLE OUTPUT_DIR [--names NAMES_FILE]";
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err(usage.into());
    };
    let names = match (args.next().as_deref(), args.next()) {
        (None, _) => HashMap::new(),
        (Some("--names"), Some(file)) => read_names(Path::new(&file))?,
        _ => return Err(usage.into()),
    };
    let reader = table::open_table(&PathBuf::from(&input)).map_err(|e| e.to_string())?;
    let layout = reader.layout();
    let mut skipped = 0u64;
    let mut units = Vec::new();
    // Units per (authority, district).
    let mut shares: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for row in reader {
        match row {
            Ok(row) => {
                let outward = row.postcode.outward().to_string();
                if let Some(la) = row.local_authority {
                    *shares
                        .entry(la)
                        .or_default()
                        .entry(outward.clone())
                        .or_default() += 1;
                }
                units.push((outward, row.lat, row.lon));
            }
            Err(_) => skipped += 1,
        }
    }
    let rows = districts::derive_from_units(units.into_iter());
    let out = Path::new(&output);
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text)
            .map_err(|e| format!("{}: {e}", out.join(name).display()))
    };
    write("postcode-districts.csv", districts::to_csv(&rows))?;
    let total: u64 = rows.iter().map(|r| r.3 as u64).sum();
    println!(
        "{} districts from {total} postcode units ({layout:?}); {skipped} rows without a position skipped",
        rows.len()
    );
    if shares.is_empty() {
        println!(
            "the table has no local-authority column; local-authority-districts.csv not written"
        );
        return Ok(());
    }
    let district_units: HashMap<&str, u32> = rows.iter().map(|r| (r.0.as_str(), r.3)).collect();
    let mut csv = String::from("code,name,outcode,postcode_count\n");
    let mut named = 0;
    for (code, per_district) in &shares {
        let name = names.get(code).map(String::as_str).unwrap_or("");
        named += usize::from(!name.is_empty());
        let biggest = per_district
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(d, _)| d.clone());
        let mut kept: Vec<(&String, &u32)> = per_district
            .iter()
            .filter(|(d, n)| {
                let all = district_units
                    .get(d.as_str())
                    .copied()
                    .unwrap_or(**n)
                    .max(1);
                f64::from(**n) / f64::from(all) >= MIN_SHARE || Some(*d) == biggest.as_ref()
            })
            .collect();
        kept.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (d, n) in kept {
            csv.push_str(&format!("{code},{},{d},{n}\n", quote(name)));
        }
    }
    write("local-authority-districts.csv", csv)?;
    println!(
        "{} local authorities ({named} with names) written to local-authority-districts.csv",
        shares.len()
    );
    Ok(())
}

fn quote(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Codes and names of local authorities, from a CSV or a JSON array of records.
fn read_names(path: &Path) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let is_code = |k: &str| {
        let k = k.to_ascii_uppercase();
        k == "CODE" || (k.ends_with("CD") && (k.starts_with("LAD") || k.starts_with("LTLA")))
    };
    let is_name = |k: &str| {
        let k = k.to_ascii_uppercase();
        k == "NAME" || (k.ends_with("NM") && (k.starts_with("LAD") || k.starts_with("LTLA")))
    };
    let mut out = HashMap::new();
    if text.trim_start().starts_with('[') {
        let records: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for r in records {
            let field = |f: &dyn Fn(&str) -> bool| {
                r.iter()
                    .find(|(k, _)| f(k))
                    .and_then(|(_, v)| v.as_str())
                    .map(str::trim)
                    .map(String::from)
            };
            if let (Some(c), Some(n)) = (field(&is_code), field(&is_name)) {
                out.insert(c, n);
            }
        }
    } else {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
        let (Some(c), Some(n)) = (
            headers.iter().position(is_code),
            headers.iter().position(is_name),
        ) else {
            return Err(format!(
                "{}: no code and name columns (LAD21CD,LAD21NM or code,name)",
                path.display()
            ));
        };
        for r in rdr.records().flatten() {
            if let (Some(code), Some(name)) = (r.get(c), r.get(n)) {
                out.insert(code.trim().to_string(), name.trim().to_string());
            }
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no local authority names found",
            path.display()
        ));
    }
    Ok(out)
}
