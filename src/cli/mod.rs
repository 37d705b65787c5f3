//! The commands of the `signpost` binary, one file each, with their arguments beside
//! them. Each is a thin layer over the library: it turns flags into a library call
//! and the result into lines on the terminal and an exit status.

mod backup;
mod crawl;
mod eval;
mod import;
mod mail;
mod moderator;
mod postcodes;
mod reindex;
mod search;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use signpost::App;
use signpost::config::Config;
use signpost::search::SearchError;

#[derive(Parser, Debug)]
#[command(
    name = "signpost",
    version,
    about = "Community activity directory for social prescribing"
)]
pub struct Cli {
    /// Data directory holding the store and the search index.
    #[arg(long, global = true, env = "SIGNPOST_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Optional TOML config file (flags and environment variables override it).
    #[arg(long, global = true, env = "SIGNPOST_CONFIG")]
    config: Option<PathBuf>,
    /// Where owners of the sites Signpost reads can find out who runs this directory
    /// (a web address or an email address), sent in the crawler's User-Agent.
    #[arg(long, global = true, env = "SIGNPOST_CRAWLER_CONTACT")]
    crawler_contact: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the website and JSON API. A new data directory gets the demo listings.
    Serve(serve::ServeArgs),
    /// Create a moderator account, or set a new password for one. The password is read
    /// from SIGNPOST_MODERATOR_PASSWORD or the first line of standard input.
    AddModerator { username: String },
    /// Email "still running?" links for listings due for checking (once per listing
    /// each time it falls due). `serve` also does this every hour.
    RemindStale,
    /// Send the emails waiting in the outbox through the SMTP server once, and say what
    /// happened (exit status 1 if any could not be sent). `serve --smtp-url` does this
    /// every 30 seconds.
    SendMail(mail::MailArgs),
    /// Import listings from a file or URL, or run one source from the sources file.
    Import(import::ImportArgs),
    /// Harvest every source configured in the sources file (`sources` in the config
    /// file, content/sources.toml by default, or --sources FILE).
    Crawl(crawl::CrawlArgs),
    /// Rebuild the search index from the store.
    Reindex,
    /// Copy the store (safe while `serve` runs) to DEST, with a manifest beside it
    /// (DEST.manifest.json: versions, counts, SHA-256). DEST may be a folder.
    Backup { dest: PathBuf },
    /// Replace the store with a backup (the copy or its manifest) and rebuild the
    /// index. Stop the server first. A damaged, altered or newer backup is refused
    /// with exit status 2 and nothing is changed; the replaced store is kept beside it.
    Restore { src: PathBuf },
    /// Load a full postcode table (ONS Postcode Directory or Code-Point Open CSV, optionally gzipped).
    ImportPostcodes { file: PathBuf },
    /// Search from the command line, with the same filters as the website.
    Search(search::SearchArgs),
    /// Measure search relevance against judged queries (grade-2 hit@3, NDCG@10, each
    /// miss with what came first).
    Eval(eval::EvalArgs),
}

/// Writes a command's output. A reader that stops early (`signpost search … | head`)
/// closes the pipe; that ends the output quietly instead of a panic from `println!`.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Loads the configuration, applies the global flags and runs the command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(d) = cli.data_dir {
        config.data_dir = d;
    }
    if cli.crawler_contact.is_some() {
        config.crawler_contact = cli.crawler_contact;
    }
    let rt = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")
    };
    match cli.command {
        Command::Serve(args) => {
            args.apply(&mut config);
            rt()?.block_on(signpost::server::serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => rt()?.block_on(import::run(&config, args)),
        Command::Crawl(args) => rt()?.block_on(crawl::run(config, args)),
        Command::Reindex => reindex::run(&config),
        Command::Backup { dest } => backup::backup(&config, &dest),
        Command::Restore { src } => backup::restore(&config, &src),
        Command::ImportPostcodes { file } => postcodes::run(&config, &file),
        Command::Search(args) => search::run(&config, &args),
        Command::Eval(args) => eval::run(&config, &args),
        Command::AddModerator { username } => moderator::add(&config, &username),
        Command::RemindStale => mail::remind_stale(&config),
        Command::SendMail(args) => {
            args.apply(&mut config);
            rt()?.block_on(mail::send(&config))
        }
    }
}

/// Sets up the polite HTTP client with the configured crawler contact, and says so
/// when none is set (the sites we read then see the project's address).
fn configure_http(config: &Config) -> Result<()> {
    let contact = signpost::server::configure_http(config)?;
    if contact.is_none() {
        println!(
            "note: no crawler contact is set (crawler_contact, --crawler-contact or \
             SIGNPOST_CRAWLER_CONTACT), so the sites we read see the Signpost project's \
             address, not yours"
        );
    }
    Ok(())
}

/// Runs one source with a progress spinner (drawn only on a terminal).
async fn run_source(
    app: &App,
    source: &signpost::ingest::Source,
) -> Result<signpost::ingest::Report, signpost::ingest::IngestError> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg}")
            .expect("a valid template"),
    );
    bar.set_prefix(source.name.clone());
    let mut progress = |line: &str| {
        bar.set_message(line.to_string());
        bar.tick();
    };
    let report = signpost::ingest::run(
        &app.store,
        app.taxonomy,
        source,
        signpost::clock::uk_now(),
        &mut progress,
    )
    .await;
    bar.finish_and_clear();
    report
}

/// Indexes what was just stored, or leaves it to the running server.
fn index_now_or_later(app: &App) -> Result<()> {
    match app.indexer() {
        Ok(mut indexer) => {
            let r = app.sync(&mut indexer)?;
            println!("indexed {} listings, removed {}", r.indexed, r.removed);
            if let Some(r) = app.reorder_if_due(&mut indexer)? {
                println!(
                    "rebuilt the index in spatial order ({} listings): many were added since the last rebuild",
                    r.indexed
                );
            }
            indexer.finish()?;
        }
        Err(SearchError::Locked) => {
            println!(
                "a running server holds the index; it will pick up these changes within seconds"
            )
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
