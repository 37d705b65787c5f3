//! `signpost import-postcodes`: a full postcode table for exact positions.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use signpost::App;
use signpost::config::Config;

pub fn run(config: &Config, file: &std::path::Path) -> Result<ExitCode> {
    use signpost::geo::table;
    let started = Instant::now();
    let app = App::open(&config.data_dir)?;
    let reader = table::open_table(file)?;
    let layout = reader.layout();
    let mut skipped = 0u64;
    let mut examples: Vec<String> = Vec::new();
    let rows = reader.filter_map(|r| match r {
        Ok(row) => Some((row.postcode.as_key(), row.lat, row.lon, row.terminated)),
        Err(e) => {
            skipped += 1;
            if examples.len() < 5 {
                examples.push(e.to_string());
            }
            None
        }
    });
    let loaded = app.store.import_postcodes(rows)?;
    println!(
        "loaded {loaded} postcodes ({layout:?} layout) in {:.1} s; skipped {skipped} rows without a position",
        started.elapsed().as_secs_f64()
    );
    for e in examples {
        println!("  skipped: {e}");
    }
    Ok(if loaded == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
