//! `signpost import`: one file, address, or configured source, through the library's
//! one source path ([`signpost::ingest::run`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use signpost::App;
use signpost::config::Config;
use signpost::ingest::{Format, Source, Sources, fetch};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A file path, an http(s) address, or the name of a source in the sources file.
    source: String,
    /// Format of the source (detected when left out): signpost, rpde, openreferral
    /// (HSDS / Open Referral UK: a file, or a directory API's address), csv (with
    /// --mapping), webpage (a group's page with JSON-LD, or a file of page URLs),
    /// dataset-site (an OpenActive dataset site or data catalog).
    #[arg(long)]
    format: Option<String>,
    /// For a CSV file: the TOML column mapping (see docs/import-format.md).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Name to record as the listings' source (default: the file name).
    #[arg(long)]
    source_name: Option<String>,
    /// The area the source's services cover when a record does not say where it is:
    /// postcode areas or districts ("DN15 DN16") or local-authority codes ("E06000013").
    #[arg(long)]
    area: Option<String>,
    /// The source is complete: archive this source's listings that it no longer has.
    #[arg(long)]
    full: bool,
    /// For a feed: stop after this many pages (the next run carries on from there).
    #[arg(long)]
    max_pages: Option<usize>,
}

impl ImportArgs {
    /// The source to run: a configured one by its name (flags given here override its
    /// settings), or the file or address given.
    fn source(self, config: &Config) -> Result<Source> {
        let configured = if fetch::is_url(&self.source)
            || std::path::Path::new(&self.source).exists()
            || !config.sources.exists()
        {
            None
        } else {
            let list = Sources::load(&config.sources).map_err(anyhow::Error::msg)?;
            list.named(&self.source).cloned()
        };
        let mut source = match configured {
            Some(s) => s,
            None => {
                let name = self
                    .source_name
                    .clone()
                    .unwrap_or_else(|| Source::default_name(&self.source));
                Source::new(name, self.source.clone())
            }
        };
        if let Some(f) = &self.format {
            source.format = Some(Format::parse(f)?);
        }
        if let Some(n) = self.source_name {
            source.name = n;
        }
        if self.mapping.is_some() {
            source.mapping = self.mapping;
        }
        if self.area.is_some() {
            source.area = self.area;
        }
        source.full |= self.full;
        if self.max_pages.is_some() {
            source.max_pages = self.max_pages;
        }
        Ok(source)
    }
}

pub async fn run(config: &Config, args: ImportArgs) -> Result<ExitCode> {
    signpost::server::configure_http(config)?;
    let source = args.source(config)?;
    if source.format == Some(Format::Csv) && source.mapping.is_none() {
        bail!("a CSV file needs a column mapping: add --mapping FILE (see docs/import-format.md)");
    }
    let app = App::open(&config.data_dir)?;
    let report = super::run_source(&app, &source).await?;
    println!("{report}");
    super::index_now_or_later(&app)?;
    Ok(if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
