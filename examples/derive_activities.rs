//! Derives `content/openactive-activities.csv` from the OpenActive Activity List (a
//! SKOS concept scheme in JSON-LD): for each concept, its id, the concepts it is
//! narrower than (`broader`), and its names (`prefLabel`, then each `altLabel`).
//!
//! Signpost maps a few hundred concepts to its own activity types in
//! `content/taxonomy.toml`; with this table an activity that is not mapped is placed by
//! walking `broader` to the nearest concept that is (`Rpm™ → Indoor Cycling`), and an
//! activity named only in words (legacy feeds) is found by its label.
//!
//! ```text
//! cargo run --release --example derive_activities -- \
//!     ../shared/data/openactive/activity-list/activity-list.jsonld \
//!     content/openactive-activities.csv
//! ```

use serde_json::Value;

fn main() {
    if let Err(e) = run() {
        eprintln!("derive_activities: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err("usage: derive_activities ACTIVITY_LIST_JSONLD OUTPUT_CSV".into());
    };
    let text = std::fs::read_to_string(&input).map_err(|e| format!("{input}: {e}"))?;
    let list: Value = serde_json::from_str(&text).map_err(|e| format!("{input}: {e}"))?;
    let concepts = list
        .get("concept")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{input}: no 'concept' list; is this the Activity List?"))?;
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.trim().to_string()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_string())
                .collect(),
            _ => Vec::new(),
        }
    };
    let short = |id: &str| id.rsplit('#').next().unwrap_or(id).to_string();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["id", "broader", "labels"])
        .map_err(|e| e.to_string())?;
    let mut written = 0;
    for c in concepts {
        let Some(id) = c.get("id").and_then(Value::as_str) else {
            continue;
        };
        let mut labels = strings(c.get("prefLabel"));
        labels.extend(strings(c.get("altLabel")));
        labels.retain(|l| !l.is_empty() && !l.contains('|'));
        let broader: Vec<String> = strings(c.get("broader")).iter().map(|b| short(b)).collect();
        out.write_record([short(id), broader.join(" "), labels.join("|")])
            .map_err(|e| e.to_string())?;
        written += 1;
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    std::fs::write(&output, bytes).map_err(|e| format!("{output}: {e}"))?;
    println!("{written} concepts written to {output}");
    Ok(())
}
