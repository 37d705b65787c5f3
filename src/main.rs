//! The `signpost` command: parse arguments, set up logging, call the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use signpost::config::Config;
use signpost::geo::locate::Geocoder;
use signpost::ingest::{self, Format, ImportOptions};
use signpost::search::{SearchError, SearchRequest};
use signpost::{App, web};

#[derive(Parser, Debug)]
#[command(
    name = "signpost",
    version,
    about = "Community activity directory for social prescribing"
)]
struct Cli {
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
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SIGNPOST_ADDR")]
        addr: Option<String>,
        /// Don't import the demo listings into a new, empty data directory.
        #[arg(long)]
        no_demo: bool,
        /// The site's public address, like https://signpost.example.org, used in QR
        /// codes, short links and calendar files (default: the request's Host).
        #[arg(long, env = "SIGNPOST_PUBLIC_URL")]
        public_url: Option<String>,
        /// Harvest the configured sources in the background every this many minutes.
        #[arg(long, env = "SIGNPOST_HARVEST_EVERY")]
        harvest_every: Option<u64>,
        /// The sources file for background harvesting.
        #[arg(long, default_value = "content/sources.toml")]
        sources: PathBuf,
        /// The site is reached over HTTPS: mark the moderator cookie Secure (__Host-).
        #[arg(long, env = "SIGNPOST_SECURE_COOKIES")]
        secure_cookies: bool,
        /// POST requests allowed per client per minute (0: no limit).
        #[arg(long, env = "SIGNPOST_POSTS_PER_MINUTE")]
        posts_per_minute: Option<u32>,
        /// Extra POST requests a client may send at once.
        #[arg(long, env = "SIGNPOST_POST_BURST")]
        post_burst: Option<u32>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Create a moderator account, or set a new password for one. The password is read
    /// from SIGNPOST_MODERATOR_PASSWORD or the first line of standard input.
    AddModerator { username: String },
    /// Email "still running?" links for listings due for checking (once per listing
    /// each time it falls due). `serve` also does this every hour.
    RemindStale,
    /// Send the emails waiting in the outbox through the SMTP server once, and say what
    /// happened (exit status 1 if any could not be sent). `serve --smtp-url` does this
    /// every 30 seconds.
    SendMail {
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Import listings from a file or URL.
    Import {
        /// A file path or an http(s) URL.
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
        /// The source is complete: archive this source's listings that it no longer has.
        #[arg(long)]
        full: bool,
        /// For a feed: stop after this many pages (the next run carries on from there).
        #[arg(long)]
        max_pages: Option<usize>,
    },
    /// Harvest every source configured in content/sources.toml (or --sources FILE).
    Crawl {
        /// The sources file.
        #[arg(long, default_value = "content/sources.toml")]
        sources: PathBuf,
        /// Only the source with this name.
        #[arg(long)]
        only: Option<String>,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Load a full postcode table (ONS Postcode Directory or Code-Point Open CSV, optionally gzipped).
    ImportPostcodes { file: PathBuf },
    /// Search from the command line, with the same filters as the website.
    Search(SearchArgs),
}

/// Email settings shared by `serve` and `send-mail`.
#[derive(Args, Debug)]
struct MailArgs {
    /// Send group emails through this SMTP server: smtp://host:25 (plain),
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host
    /// (default: keep them in <data-dir>/outbox/).
    #[arg(long, env = "SIGNPOST_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of group emails, like "Signpost <hello@example.org>".
    #[arg(long, env = "SIGNPOST_MAIL_FROM")]
    mail_from: Option<String>,
}

impl MailArgs {
    fn apply(self, config: &mut Config) {
        if self.smtp_url.is_some() {
            config.smtp_url = self.smtp_url;
        }
        if self.mail_from.is_some() {
            config.mail_from = self.mail_from;
        }
    }
}

/// The outbox, with the configured From address.
fn outbox(config: &Config) -> Result<signpost::groups::mail::Outbox> {
    let outbox = signpost::groups::mail::Outbox::new(&config.data_dir);
    Ok(match &config.mail_from {
        Some(from) => outbox.with_from(from).map_err(anyhow::Error::msg)?,
        None => outbox,
    })
}

#[derive(Args, Debug)]
struct SearchArgs {
    /// Words to search for.
    query: Vec<String>,
    /// Postcode (or "lat,lon") to search near.
    #[arg(long)]
    near: Option<String>,
    /// Radius in miles.
    #[arg(long)]
    within: Option<String>,
    /// Activity type slug (repeatable).
    #[arg(long = "type")]
    types: Vec<String>,
    /// Accessibility feature slug (repeatable; all must match).
    #[arg(long)]
    access: Vec<String>,
    /// Only free activities.
    #[arg(long)]
    free: bool,
    /// Day: mon..sun (repeatable).
    #[arg(long)]
    day: Vec<String>,
    /// morning, afternoon or evening (repeatable).
    #[arg(long)]
    time: Vec<String>,
    /// Age of the person.
    #[arg(long)]
    age: Option<String>,
    /// in-person, online, phone or home-visit (repeatable).
    #[arg(long)]
    mode: Vec<String>,
    /// relevance or distance.
    #[arg(long)]
    sort: Option<String>,
    #[arg(long)]
    page: Option<String>,
    /// Print the same JSON as GET /api/search.
    #[arg(long)]
    json: bool,
}

impl SearchArgs {
    /// The flags as the same name/value pairs the website's URL carries.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        if !self.query.is_empty() {
            p.push(("q", self.query.join(" ")));
        }
        let one = [
            ("near", &self.near),
            ("within", &self.within),
            ("age", &self.age),
            ("sort", &self.sort),
            ("page", &self.page),
        ];
        for (k, v) in one {
            if let Some(v) = v {
                p.push((k, v.clone()));
            }
        }
        let many = [
            ("type", &self.types),
            ("access", &self.access),
            ("day", &self.day),
            ("time", &self.time),
            ("mode", &self.mode),
        ];
        for (k, vs) in many {
            p.extend(vs.iter().map(|v| (k, v.clone())));
        }
        if self.free {
            p.push(("free", "1".into()));
        }
        p
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "signpost=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(d) = cli.data_dir {
        config.data_dir = d;
    }
    if cli.crawler_contact.is_some() {
        config.crawler_contact = cli.crawler_contact;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Serve {
            addr,
            no_demo,
            public_url,
            harvest_every,
            sources,
            secure_cookies,
            posts_per_minute,
            post_burst,
            mail,
        } => {
            mail.apply(&mut config);
            config.secure_cookies |= secure_cookies;
            if let Some(n) = posts_per_minute {
                config.posts_per_minute = n;
            }
            if let Some(n) = post_burst {
                config.post_burst = n;
            }
            if let Some(m) = harvest_every {
                config.harvest_every_minutes = Some(m);
                config.sources = sources;
            }
            if let Some(a) = addr {
                config.addr = a;
            }
            if public_url.is_some() {
                config.public_url = public_url;
            }
            if no_demo {
                config.demo = false;
            }
            rt.block_on(serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            source,
            format,
            mapping,
            source_name,
            full,
            max_pages,
        } => rt.block_on(async {
            configure_http(&config)?;
            let name = source_name
                .clone()
                .unwrap_or_else(|| default_source_name(&source));
            match import_directory_or_table(
                &config,
                &source,
                format.as_deref(),
                &name,
                full,
                mapping.as_deref(),
                max_pages,
            )
            .await?
            {
                Some(code) => Ok(code),
                None => import(&config, &source, format, source_name, full, max_pages).await,
            }
        }),
        Command::Crawl { sources, only } => {
            if configure_http(&config)?.is_none() {
                println!(
                    "note: no crawler contact is set (crawler_contact, --crawler-contact or \
                     SIGNPOST_CRAWLER_CONTACT), so the sites we read see the Signpost project's \
                     address, not yours"
                );
            }
            rt.block_on(crawl(&config, &sources, only.as_deref()))
        }
        Command::Reindex => reindex(&config),
        Command::ImportPostcodes { file } => import_postcodes(&config, &file),
        Command::Search(args) => search(&config, &args),
        Command::AddModerator { username } => add_moderator(&config, &username),
        Command::RemindStale => remind_stale(&config),
        Command::SendMail { mail } => {
            mail.apply(&mut config);
            rt.block_on(send_mail(&config))
        }
    }
}

fn add_moderator(config: &Config, username: &str) -> Result<ExitCode> {
    let username = username.trim();
    if username.is_empty() || username.len() > 100 || username.chars().any(char::is_control) {
        bail!("give a username of 1 to 100 characters");
    }
    let password = match std::env::var("SIGNPOST_MODERATOR_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < 12 {
        bail!("the password must be at least 12 characters");
    }
    let store = signpost::store::Store::open_dir(&config.data_dir)?;
    let hash = web::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    if store.set_moderator(username, &hash)? {
        println!("Added moderator {username}");
    } else {
        println!("Set a new password for {username} (their sessions were ended)");
    }
    Ok(ExitCode::SUCCESS)
}

fn remind_stale(config: &Config) -> Result<ExitCode> {
    let store = signpost::store::Store::open_dir(&config.data_dir)?;
    let outbox = outbox(config)?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.addr));
    let n = signpost::groups::freshness::remind(
        &store,
        &outbox,
        &base,
        config.fresh_months,
        config.stale_months,
    )?;
    println!("Wrote {n} reminder emails to {}", outbox.dir().display());
    Ok(ExitCode::SUCCESS)
}

async fn send_mail(config: &Config) -> Result<ExitCode> {
    let Some(url) = &config.smtp_url else {
        bail!("no SMTP server configured: give --smtp-url, SIGNPOST_SMTP_URL or smtp_url");
    };
    let smtp = signpost::groups::deliver::SmtpConfig::from_url(url)?;
    let dir = config.data_dir.join("outbox");
    let report = signpost::groups::deliver::deliver_outbox(&dir, &smtp).await?;
    println!("{report}");
    if let Some(keep) = keep_sent(config) {
        let n = signpost::groups::deliver::prune_sent(&dir, keep)?;
        if n > 0 {
            println!(
                "deleted {n} sent emails older than {} days",
                config.keep_sent_days
            );
        }
    }
    Ok(if report.all_sent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `serve --smtp-url`: send the outbox every few seconds. Messages that cannot be sent
/// yet stay in the outbox, so a mail server that is down only delays them.
/// How long sent emails are kept, if they are ever deleted.
fn keep_sent(config: &Config) -> Option<Duration> {
    (config.keep_sent_days > 0).then(|| Duration::from_secs(config.keep_sent_days * 86_400))
}

fn spawn_mailer(
    dir: PathBuf,
    smtp: signpost::groups::deliver::SmtpConfig,
    every: Duration,
    keep: Option<Duration>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut was_failing = false;
        let mut pruned: Option<Instant> = None;
        loop {
            tick.tick().await;
            if let Some(keep) = keep
                && pruned.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600))
            {
                pruned = Some(Instant::now());
                match signpost::groups::deliver::prune_sent(&dir, keep) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("deleted {n} old sent emails"),
                    Err(e) => tracing::error!("could not delete old sent emails: {e}"),
                }
            }
            match signpost::groups::deliver::deliver_outbox(&dir, &smtp).await {
                Ok(r) if r.busy => {}
                Ok(r) => {
                    if !r.sent.is_empty() {
                        tracing::info!("sent {} emails", r.sent.len());
                    }
                    for (p, why) in &r.failed {
                        tracing::error!(file = %p.display(), "email moved to failed/: {why}");
                    }
                    // Say so when sending starts failing, not every round.
                    let failing = !r.deferred.is_empty();
                    if failing && !was_failing {
                        tracing::warn!("emails waiting in the outbox: {r}");
                    }
                    was_failing = failing;
                }
                Err(e) => tracing::error!("sending email failed: {e}"),
            }
        }
    });
}

async fn serve(config: Config) -> Result<()> {
    let started = Instant::now();
    configure_http(&config)?;
    let mailer = match &config.smtp_url {
        Some(url) => Some(signpost::groups::deliver::SmtpConfig::from_url(url)?),
        None => None,
    };
    let configured_outbox = outbox(&config)?;
    let app = Arc::new(
        App::open(&config.data_dir)
            .with_context(|| format!("opening data directory {}", config.data_dir.display()))?,
    );
    let mut indexer = match app.indexer() {
        Ok(i) => i,
        Err(SearchError::Locked) => bail!(
            "another Signpost server is already using {}",
            config.data_dir.display()
        ),
        Err(e) => return Err(e.into()),
    };
    if config.demo
        && let Some(report) = app.ensure_demo()?
    {
        tracing::info!("imported demo content: {report}");
    }
    let report = app.sync(&mut indexer)?;
    app.reorder_if_due(&mut indexer)?;
    tracing::info!(
        indexed = report.indexed,
        removed = report.removed,
        docs = app.engine.index.num_docs(),
        "index up to date"
    );
    let indexer = Arc::new(Mutex::new(indexer));
    spawn_index_follower(app.clone(), indexer.clone(), config.index_interval_ms);
    if let Some(m) = config.harvest_every_minutes.filter(|m| *m > 0) {
        spawn_harvester(
            app.clone(),
            config.sources.clone(),
            Duration::from_secs(m * 60),
        );
    }

    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        "Signpost is ready at http://{addr} ({} ms)",
        started.elapsed().as_millis()
    );
    let state = web::AppState::new(app.clone()).with_public_url(config.public_url.clone());
    let mut groups = (*state.groups).clone();
    groups.secure_cookies = config.secure_cookies;
    groups.fresh_months = config.fresh_months;
    groups.stale_months = config.stale_months;
    groups.posts_per_minute = config.posts_per_minute;
    groups.post_burst = config.post_burst;
    groups.indexer = Some(indexer.clone());
    groups.outbox = configured_outbox;
    if let Some(smtp) = mailer {
        spawn_mailer(
            groups.outbox.dir().to_path_buf(),
            smtp,
            Duration::from_secs(config.mail_every_seconds.max(1)),
            keep_sent(&config),
        );
    }
    app.engine
        .stale_months
        .store(config.stale_months, std::sync::atomic::Ordering::Relaxed);
    let outbox = groups.outbox.clone();
    let state = state.with_groups(groups);
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let (fresh, stale) = (config.fresh_months, config.stale_months);
    let reminder_app = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let (app, outbox, base) = (reminder_app.clone(), outbox.clone(), base.clone());
            match tokio::task::spawn_blocking(move || {
                signpost::groups::freshness::remind(&app.store, &outbox, &base, fresh, stale)
            })
            .await
            {
                Ok(Ok(n)) if n > 0 => tracing::info!("wrote {n} \"still running?\" reminders"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!("reminders failed: {e}"),
                Err(e) => tracing::error!("reminder task failed: {e}"),
            }
        }
    });
    let router = web::router(state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// Sets up the one polite HTTP client with the crawler contact from the config (or the
/// site's about page), and returns the contact used.
fn configure_http(config: &Config) -> Result<Option<String>> {
    let contact = match (&config.crawler_contact, &config.public_url) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(site)) => Some(format!("{}/about", site.trim_end_matches('/'))),
        (None, None) => None,
    };
    let contact = contact
        .map(|c| ingest::http::crawler_contact(&c))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let policy = ingest::http::Policy {
        contact: contact.clone(),
        ..Default::default()
    };
    if ingest::http::Http::set_global(policy).is_err() {
        tracing::debug!("the HTTP client was already in use; its User-Agent stays as it was");
    }
    Ok(contact)
}

/// Keeps the index in step with changes other processes write to the store.
fn spawn_index_follower(
    app: Arc<App>,
    indexer: Arc<Mutex<signpost::search::Indexer>>,
    every_ms: u64,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(every_ms.max(50)));
        loop {
            tick.tick().await;
            let (app, indexer) = (app.clone(), indexer.clone());
            let res = tokio::task::spawn_blocking(move || {
                let mut guard = indexer.lock().unwrap_or_else(|p| p.into_inner());
                let r = app.sync(&mut guard)?;
                // After a large import: put the index back in order, in the
                // background (searches go on using the old one until it is done).
                app.reorder_if_due(&mut guard)?;
                Ok::<_, SearchError>(r)
            })
            .await;
            match res {
                Ok(Ok(r)) if r.indexed + r.removed > 0 => {
                    tracing::info!(indexed = r.indexed, removed = r.removed, "indexed changes")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!("indexing failed: {e}"),
                Err(e) => tracing::error!("indexing task failed: {e}"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn import(
    config: &Config,
    source: &str,
    format: Option<String>,
    source_name: Option<String>,
    full: bool,
    max_pages: Option<usize>,
) -> Result<ExitCode> {
    let name = source_name.unwrap_or_else(|| default_source_name(source));
    let format = match format {
        Some(f) => Some(Format::from_name(&f).with_context(|| {
            format!(
                "unknown format '{f}'; known formats: signpost, rpde, openreferral, csv, webpage, dataset-site"
            )
        })?),
        None => None,
    };
    if let Some(code) = import_web(config, source, format, &name, max_pages).await? {
        return Ok(code);
    }
    if format == Some(Format::Rpde) {
        let app = App::open(&config.data_dir)?;
        let report = harvest_feed(&app, &name, source, max_pages, Duration::ZERO).await?;
        println!("{report}");
        index_now_or_later(&app)?;
        return Ok(ExitCode::SUCCESS);
    }
    let bytes = if ingest::fetch::is_url(source) {
        ingest::fetch::fetch_url(source).await?
    } else {
        ingest::fetch::read_file(source)?
    };
    // A web address that turns out to be a web page: read it as a group's page.
    if format.is_none() && ingest::fetch::is_url(source) && ingest::looks_like_html(&bytes) {
        println!("{source} is a web page: reading the activities it describes (--format webpage)");
        if let Some(code) =
            import_web(config, source, Some(Format::Webpage), &name, max_pages).await?
        {
            return Ok(code);
        }
    }
    let format = match format {
        Some(f) => f,
        None => Format::detect(&bytes)?,
    };
    let app = App::open(&config.data_dir)?;
    if format == Format::Rpde {
        let report = harvest_feed(&app, &name, source, max_pages, Duration::ZERO).await?;
        println!("{report}");
        index_now_or_later(&app)?;
        return Ok(ExitCode::SUCCESS);
    }
    let candidates = ingest::decode(&bytes, format)?;
    let report = ingest::import(
        &app.store,
        app.taxonomy,
        candidates,
        &ImportOptions {
            source: name,
            withdraw_missing: full,
            area: None,
        },
    )?;
    println!("{report}");
    index_now_or_later(&app)?;
    let imported = report.created + report.updated + report.unchanged;
    Ok(if imported == 0 && !report.failed.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `import --format webpage` and `--format dataset-site`; `None` for other formats.
async fn import_web(
    config: &Config,
    source: &str,
    format: Option<Format>,
    name: &str,
    max_pages: Option<usize>,
) -> Result<Option<ExitCode>> {
    let summary = match format {
        Some(Format::Webpage) => {
            let app = App::open(&config.data_dir)?;
            let urls = ingest::webpage::page_list(&[], source)?;
            let r = harvest_webpages(&app, name, &urls, Duration::ZERO).await?;
            let ok = r.pages.iter().any(|p| {
                !matches!(
                    p.result,
                    ingest::webpage::PageResult::Failed(_)
                        | ingest::webpage::PageResult::NoActivities(_)
                )
            });
            (r.to_string(), ok, app)
        }
        Some(Format::DatasetSite) => {
            let app = App::open(&config.data_dir)?;
            let r = ingest::dataset_site::harvest_dataset(
                &app.store,
                app.taxonomy,
                ingest::http::Http::global(),
                name,
                source,
                max_pages,
                signpost::clock::uk_now(),
            )
            .await;
            let ok = !r.feeds.is_empty() && r.failed_feeds() < r.feeds.len();
            (r.to_string(), ok, app)
        }
        _ => return Ok(None),
    };
    let (text, ok, app) = summary;
    println!("{text}");
    index_now_or_later(&app)?;
    Ok(Some(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }))
}

async fn harvest_webpages(
    app: &App,
    name: &str,
    urls: &[String],
    gap: Duration,
) -> Result<ingest::webpage::WebReport> {
    Ok(ingest::webpage::harvest_pages(
        &app.store,
        app.taxonomy,
        ingest::http::Http::global(),
        name,
        urls,
        signpost::clock::uk_now(),
        gap,
    )
    .await?)
}

/// Harvests one RPDE feed with a progress spinner (drawn only on a terminal).
async fn harvest_feed(
    app: &App,
    name: &str,
    url: &str,
    max_pages: Option<usize>,
    delay: Duration,
) -> Result<ingest::openactive::HarvestReport> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg}")
            .expect("a valid template"),
    );
    bar.set_prefix(name.to_string());
    let report = ingest::openactive::harvest(
        &app.store,
        app.taxonomy,
        url,
        &ingest::openactive::HarvestOptions {
            source: name.to_string(),
            max_pages,
            delay,
            area: None,
        },
        signpost::clock::uk_now(),
        |r| {
            bar.set_message(format!(
                "{} pages, {} items, {} new, {} updated, {} withdrawn, {} failed",
                r.pages,
                r.items,
                r.created,
                r.changed,
                r.withdrawn,
                r.failed.len()
            ));
            bar.tick();
        },
    )
    .await;
    bar.finish_and_clear();
    Ok(report?)
}

/// `signpost crawl`: every enabled source in turn, then one summary.
async fn crawl(config: &Config, sources: &Path, only: Option<&str>) -> Result<ExitCode> {
    let list = ingest::sources::Sources::load(sources).map_err(anyhow::Error::msg)?;
    let app = App::open(&config.data_dir)?;
    let chosen: Vec<_> = list
        .sources
        .iter()
        .filter(|s| s.enabled && only.is_none_or(|o| o == s.name))
        .collect();
    if chosen.is_empty() {
        println!("no sources to harvest in {}", sources.display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed_sources = 0;
    for s in chosen {
        match harvest_source(&app, s).await {
            Ok(summary) => {
                println!("{summary}");
                let merged = app.store.merged_count(&s.name)?;
                if merged > 0 {
                    println!(
                        "  {merged} of its listings are merged with the same activity from another source"
                    );
                }
            }
            Err(e) => {
                failed_sources += 1;
                println!("{}: failed: {e:#}", s.name);
            }
        }
    }
    index_now_or_later(&app)?;
    Ok(if failed_sources > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn harvest_source(app: &App, s: &ingest::sources::Source) -> Result<String> {
    match s.kind {
        ingest::sources::Kind::Openactive => Ok(harvest_feed(
            app,
            &s.name,
            &s.url,
            None,
            Duration::from_millis(s.delay_ms),
        )
        .await?
        .to_string()),
        ingest::sources::Kind::Signpost => {
            let bytes = if ingest::fetch::is_url(&s.url) {
                ingest::fetch::fetch_with_retries(&s.url).await?
            } else {
                ingest::fetch::read_file(&s.url)?
            };
            let candidates = ingest::decode(&bytes, Format::Signpost)?;
            let report = ingest::import(
                &app.store,
                app.taxonomy,
                candidates,
                &ImportOptions {
                    source: s.name.clone(),
                    withdraw_missing: true,
                    area: None,
                },
            )?;
            Ok(report.to_string())
        }
        ingest::sources::Kind::Webpages => {
            let urls = ingest::webpage::page_list(&s.urls, &s.url)?;
            Ok(
                harvest_webpages(app, &s.name, &urls, Duration::from_millis(s.delay_ms))
                    .await?
                    .to_string(),
            )
        }
        ingest::sources::Kind::OpenactiveDataset => {
            let r = ingest::dataset_site::harvest_dataset(
                &app.store,
                app.taxonomy,
                ingest::http::Http::global(),
                &s.name,
                &s.url,
                None,
                signpost::clock::uk_now(),
            )
            .await;
            if r.feeds.is_empty() {
                bail!("{r}");
            }
            Ok(r.to_string())
        }
        ingest::sources::Kind::Openreferral => {
            let today = signpost::clock::uk_now().date();
            if ingest::fetch::is_url(&s.url) && !s.url.ends_with(".json") {
                let r = ingest::openreferral::harvest_api(
                    &app.store,
                    app.taxonomy,
                    &s.url,
                    &ingest::openreferral::ApiOptions {
                        source: s.name.clone(),
                        delay: Duration::from_millis(s.delay_ms),
                        max_pages: None,
                        area: None,
                    },
                    today,
                )
                .await?;
                return Ok(format!("{}: {r}", s.name));
            }
            let bytes = read_source(&s.url).await?;
            let d = ingest::openreferral::decode(&bytes, app.taxonomy, today)?;
            let mut report = import_decoded(app, &s.name, d.candidates, true)?;
            report.warnings.extend(d.warnings);
            Ok(report.to_string())
        }
        ingest::sources::Kind::Csv => {
            let Some(mapping) = &s.mapping else {
                bail!("a csv source needs mapping = \"path/to/mapping.toml\"");
            };
            let mapping = ingest::table::Mapping::load(mapping, app.taxonomy)?;
            let bytes = read_source(&s.url).await?;
            let d = ingest::table::decode(&bytes, &mapping, app.taxonomy)?;
            let report = d.import(
                &app.store,
                app.taxonomy,
                &ImportOptions {
                    source: s.name.clone(),
                    withdraw_missing: true,
                    area: None,
                },
            )?;
            Ok(report.to_string())
        }
    }
}

async fn read_source(source: &str) -> Result<Vec<u8>> {
    Ok(if ingest::fetch::is_url(source) {
        ingest::fetch::fetch_with_retries(source).await?
    } else {
        ingest::fetch::read_file(source)?
    })
}

fn import_decoded(
    app: &App,
    name: &str,
    candidates: Vec<ingest::Candidate>,
    full: bool,
) -> Result<ingest::ImportReport> {
    Ok(ingest::import(
        &app.store,
        app.taxonomy,
        candidates,
        &ImportOptions {
            source: name.to_string(),
            withdraw_missing: full,
            area: None,
        },
    )?)
}

/// `signpost import` for Open Referral and CSV sources. `None` means the source is
/// another format, for [`import`].
async fn import_directory_or_table(
    config: &Config,
    source: &str,
    format: Option<&str>,
    name: &str,
    full: bool,
    mapping: Option<&Path>,
    max_pages: Option<usize>,
) -> Result<Option<ExitCode>> {
    let format = match format {
        Some(f) => Some(Format::from_name(f).with_context(|| {
            format!("unknown format '{f}'; known formats: signpost, rpde, openreferral, csv")
        })?),
        None => None,
    };
    if matches!(format, Some(Format::Signpost | Format::Rpde)) {
        return Ok(None);
    }
    let is_url = ingest::fetch::is_url(source);
    let today = signpost::clock::uk_now().date();
    let api = |app: App, base: String| async move {
        let r = ingest::openreferral::harvest_api(
            &app.store,
            app.taxonomy,
            &base,
            &ingest::openreferral::ApiOptions {
                source: name.to_string(),
                delay: Duration::ZERO,
                max_pages,
                area: None,
            },
            today,
        )
        .await?;
        println!("{name}: {r}");
        index_now_or_later(&app)?;
        let imported = r.import.created + r.import.updated + r.import.unchanged;
        anyhow::Ok(if imported == 0 && !r.import.failed.is_empty() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    };
    // An API address (not a .json file) with --format openreferral: read the directory.
    if format == Some(Format::OpenReferral)
        && is_url
        && !source.split('?').next().unwrap_or("").ends_with(".json")
    {
        let app = App::open(&config.data_dir)?;
        return Ok(Some(api(app, source.to_string()).await?));
    }
    let bytes = read_source(source).await?;
    let format = match format {
        Some(f) => f,
        None => match Format::detect(&bytes) {
            Ok(f @ (Format::OpenReferral | Format::Csv)) => f,
            _ => return Ok(None),
        },
    };
    let app = App::open(&config.data_dir)?;
    if format == Format::Csv {
        let Some(mapping) = mapping else {
            bail!(
                "a CSV file needs a column mapping: add --mapping FILE (see docs/import-format.md)"
            );
        };
        let mapping = ingest::table::Mapping::load(mapping, app.taxonomy)?;
        let report = ingest::table::decode(&bytes, &mapping, app.taxonomy)?.import(
            &app.store,
            app.taxonomy,
            &ImportOptions {
                source: name.to_string(),
                withdraw_missing: full,
                area: None,
            },
        )?;
        println!("{report}");
        index_now_or_later(&app)?;
        let imported = report.created + report.updated + report.unchanged;
        return Ok(Some(if imported == 0 && !report.failed.is_empty() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }));
    }
    let (candidates, warnings) = match format {
        Format::OpenReferral => {
            if is_url {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                if ingest::openreferral::is_api_details(&v)
                    || ingest::openreferral::page_contents(&v).is_some()
                        && !source.split('?').next().unwrap_or("").ends_with(".json")
                {
                    return Ok(Some(api(app, source.to_string()).await?));
                }
            }
            let d = ingest::openreferral::decode(&bytes, app.taxonomy, today)?;
            (d.candidates, d.warnings)
        }
        Format::Csv => {
            let Some(mapping) = mapping else {
                bail!(
                    "a CSV file needs a column mapping: add --mapping FILE (see docs/import-format.md)"
                );
            };
            let mapping = ingest::table::Mapping::load(mapping, app.taxonomy)?;
            let d = ingest::table::decode(&bytes, &mapping, app.taxonomy)?;
            (d.candidates, d.warnings)
        }
        _ => return Ok(None),
    };
    let mut report = import_decoded(&app, name, candidates, full)?;
    report.warnings.extend(warnings);
    println!("{report}");
    index_now_or_later(&app)?;
    let imported = report.created + report.updated + report.unchanged;
    Ok(Some(if imported == 0 && !report.failed.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }))
}

/// Background harvesting for `serve --harvest-every`: each round harvests every enabled
/// source; the index follower then picks the changes up within a second.
fn spawn_harvester(app: Arc<App>, sources: PathBuf, every: Duration) {
    tokio::spawn(async move {
        loop {
            match ingest::sources::Sources::load(&sources) {
                Ok(list) => {
                    for s in list.sources.iter().filter(|s| s.enabled) {
                        match harvest_source(&app, s).await {
                            Ok(summary) => tracing::info!("harvested {summary}"),
                            Err(e) => tracing::warn!(source = %s.name, "harvest failed: {e:#}"),
                        }
                    }
                }
                Err(e) => tracing::warn!("cannot harvest: {e}"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

fn default_source_name(source: &str) -> String {
    let last = source
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(source);
    let stem = last.split('.').next().unwrap_or(last);
    if stem.is_empty() {
        "import".into()
    } else {
        stem.to_string()
    }
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

fn reindex(config: &Config) -> Result<ExitCode> {
    let started = Instant::now();
    let app = App::open(&config.data_dir)?;
    let heap = signpost::search::index::REBUILD_WRITER_HEAP;
    let mut indexer = match app.engine.index.indexer(heap) {
        Ok(i) => i,
        Err(SearchError::Locked) => {
            bail!("a running server holds the index; stop it, then run reindex again")
        }
        Err(e) => return Err(e.into()),
    };
    let r = indexer.rebuild(&app.store, app.taxonomy)?;
    indexer.finish()?;
    println!(
        "rebuilt the index: {} listings in {:.2} s",
        r.indexed,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn import_postcodes(config: &Config, file: &std::path::Path) -> Result<ExitCode> {
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

fn search(config: &Config, args: &SearchArgs) -> Result<ExitCode> {
    let app = App::open(&config.data_dir)?;
    let pairs = args.pairs();
    let (req, errors) =
        SearchRequest::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())), app.taxonomy);
    if !errors.is_empty() {
        if args.json {
            println!(
                "{}",
                serde_json::json!({"error": errors[0].message, "errors": errors})
            );
        } else {
            for e in &errors {
                eprintln!("{} (--{})", e.message, e.param);
            }
        }
        return Ok(ExitCode::from(2));
    }
    let location = match &req.near {
        Some(n) => match Geocoder::new(&app.store).locate(n) {
            Ok(l) => Some(l),
            Err(signpost::geo::locate::LocateError::Unknown(pc)) => {
                let msg = signpost::geo::locate::LocateError::Unknown(pc).to_string();
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"error": msg, "errors": [{"param": "near", "message": msg}]})
                    );
                } else {
                    eprintln!("{msg} (--near)");
                }
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let results = app
        .engine
        .search(&req, location.as_ref(), signpost::clock::uk_now())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} result{}{}",
        results.total,
        if results.total == 1 { "" } else { "s" },
        location
            .as_ref()
            .map(|l| format!(" near {}", l.label))
            .unwrap_or_default()
    );
    if let Some(note) = location.as_ref().and_then(|l| l.note.as_ref()) {
        println!("({note})");
    }
    for h in &results.hits {
        println!();
        println!("{}  [{}]", h.title, h.id);
        if !h.organisation.is_empty() {
            println!("  {}", h.organisation);
        }
        if !h.reach_label.is_empty() {
            println!("  {}", h.reach_label);
        }
        if let Some(n) = &h.next_session {
            println!("  Next: {}", n.text);
        }
        println!(
            "  {}",
            if h.free {
                "Free".to_string()
            } else {
                h.price.clone().unwrap_or_else(|| "Ask about cost".into())
            }
        );
    }
    if results.pages > 1 {
        println!();
        println!("page {} of {}", results.page, results.pages);
    }
    Ok(ExitCode::SUCCESS)
}
