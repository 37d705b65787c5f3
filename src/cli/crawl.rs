//! `signpost crawl`: every enabled source in the sources file, in turn, then one
//! summary. A source that fails is reported and the rest still run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use signpost::App;
use signpost::config::Config;
use signpost::ingest::Sources;

#[derive(Args, Debug)]
pub struct CrawlArgs {
    /// The sources file (default: `sources` in the config file, else
    /// content/sources.toml).
    #[arg(long)]
    sources: Option<PathBuf>,
    /// Only the source with this name.
    #[arg(long)]
    only: Option<String>,
}

pub async fn run(mut config: Config, args: CrawlArgs) -> Result<ExitCode> {
    if let Some(s) = args.sources {
        config.sources = s;
    }
    super::configure_http(&config)?;
    let list = Sources::load(&config.sources).map_err(anyhow::Error::msg)?;
    let app = App::open(&config.data_dir)?;
    let chosen: Vec<_> = list.chosen(args.only.as_deref()).collect();
    if chosen.is_empty() {
        println!("no sources to harvest in {}", config.sources.display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed_sources = 0;
    for s in chosen {
        match super::run_source(&app, s).await {
            Ok(report) if report.succeeded() => println!("{report}"),
            Ok(report) => {
                failed_sources += 1;
                println!("{report}");
                println!("{}: failed: nothing could be read", s.name);
            }
            Err(e) => {
                failed_sources += 1;
                println!("{}: failed: {e:#}", s.name);
            }
        }
    }
    super::index_now_or_later(&app)?;
    Ok(if failed_sources > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
