//! Derives `content/postcode-districts.csv` (postcode-district centres) from a full
//! postcode table, using the same reader as `signpost import-postcodes`.
//!
//! cargo run --release --example derive_districts -- \
//!     ../shared/data/postcodes/codepoint-open-2014/codepoint_open_2014-08_postcodes_wgs84.csv.gz \
//!     content/postcode-districts.csv

use std::path::PathBuf;

use signpost::geo::{districts, table};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        eprintln!("usage: derive_districts POSTCODE_TABLE OUTPUT_CSV");
        std::process::exit(2);
    };
    let reader = table::open_table(&PathBuf::from(&input))?;
    let layout = reader.layout();
    let mut skipped = 0u64;
    let units = reader.filter_map(|r| match r {
        Ok(row) => Some((row.postcode.outward().to_string(), row.lat, row.lon)),
        Err(_) => {
            skipped += 1;
            None
        }
    });
    let rows = districts::derive_from_units(units);
    std::fs::write(&output, districts::to_csv(&rows))?;
    let units: u64 = rows.iter().map(|r| r.3 as u64).sum();
    println!(
        "{} districts from {units} postcode units ({layout:?}); {skipped} rows without a position skipped; wrote {output}",
        rows.len()
    );
    Ok(())
}
