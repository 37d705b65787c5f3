//! `signpost eval`: how well search ranks, against a judged set of queries, on the
//! listings in the data directory. The relevance bench (`cargo bench --bench
//! relevance`) runs the same measure on a fresh import of the development directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use signpost::App;
use signpost::config::Config;
use signpost::search::eval::{JudgedSet, score};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The judged queries (JSON: {"queries": [{"q", "kind", "relevant": {source id: grade}}]}),
    /// like ../shared/data/quality/nlincs-queries.json.
    queries: PathBuf,
    /// Print every query with its first ten results and their grades, not only the misses.
    #[arg(long)]
    each: bool,
}

pub fn run(config: &Config, args: &EvalArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.queries)
        .with_context(|| format!("reading {}", args.queries.display()))?;
    let set = JudgedSet::parse(&text)
        .with_context(|| format!("{} is not a judged set", args.queries.display()))?;
    let app = App::open(&config.data_dir)?;
    let scores = score(&app.engine, &app.store, &set, signpost::clock::uk_now())?;
    super::emit(&if args.each {
        format!("{scores:#}")
    } else {
        scores.to_string()
    })?;
    Ok(ExitCode::SUCCESS)
}
