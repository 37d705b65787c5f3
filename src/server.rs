//! `serve`: the website built from a [`Config`], and the background work that keeps it
//! current, each task in one place.
//!
//! The tasks are the index follower (changes other processes write to the store reach
//! search within a second), the harvester (`harvest_every_minutes`: every enabled
//! source through [`crate::ingest::run`], the same path as `signpost crawl`), the
//! mailer (`smtp_url`: the outbox, sent) and the hourly "still running?" reminders.
//! They start together in [`Background::start`] and stop together when the server
//! does, so no task outlives the store it writes to.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::groups::deliver::{self, SmtpConfig};
use crate::groups::freshness::Freshness;
use crate::groups::mail::Outbox;
use crate::search::{Indexer, SearchError};
use crate::{App, AppError, ingest, web};

/// Why the server could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("opening data directory {0}: {1}")]
    Open(PathBuf, #[source] AppError),
    #[error("another Signpost server is already using {0}")]
    Locked(PathBuf),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("listening on {0}: {1}")]
    Listen(String, #[source] std::io::Error),
    #[error("{0}")]
    Setting(String),
    #[error(transparent)]
    Mail(#[from] deliver::DeliverError),
    #[error(transparent)]
    Site(#[from] web::SettingsError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Sets up the one polite HTTP client with the crawler contact from the config (or the
/// site's about page), and returns the contact used.
pub fn configure_http(config: &Config) -> Result<Option<String>, ServerError> {
    let contact = match (&config.crawler_contact, &config.public_url) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(site)) => Some(format!("{}/about", site.trim_end_matches('/'))),
        (None, None) => None,
    };
    let contact = contact
        .map(|c| ingest::http::crawler_contact(&c))
        .transpose()
        .map_err(ServerError::Setting)?;
    let policy = ingest::http::Policy {
        contact: contact.clone(),
        ..Default::default()
    };
    if ingest::http::Http::set_global(policy).is_err() {
        tracing::debug!("the HTTP client was already in use; its User-Agent stays as it was");
    }
    Ok(contact)
}

/// How long sent emails are kept, if they are ever deleted.
pub fn keep_sent(config: &Config) -> Option<Duration> {
    (config.keep_sent_days > 0).then(|| Duration::from_secs(config.keep_sent_days * 86_400))
}

/// Opens the data directory, brings the index up to date, starts the background work
/// and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    let started = Instant::now();
    configure_http(&config)?;
    let mailer = match &config.smtp_url {
        Some(url) => Some(SmtpConfig::from_url(url)?),
        None => None,
    };
    let mut site = web::Site::try_from(&config)?;
    let app = Arc::new(
        App::open(&config.data_dir).map_err(|e| ServerError::Open(config.data_dir.clone(), e))?,
    );
    let indexer = Arc::new(Mutex::new(ready_index(&app, &config)?));

    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .map_err(|e| ServerError::Listen(config.addr.clone(), e))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        "Signpost is ready at http://{addr} ({} ms)",
        started.elapsed().as_millis()
    );
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let background = Background::start(&config, &app, &indexer, &site.outbox, mailer, base);

    site.indexer = Some(indexer.clone());
    app.engine.set_stale_from(site.freshness.stale_rule());
    let router = web::router(web::AppState::new(app.clone()).with_site(site));
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    background.stop().await;
    Ok(served?)
}

/// Takes the index writer, imports the demo into a new data directory when asked,
/// and brings the index up to date with the store.
fn ready_index(app: &App, config: &Config) -> Result<Indexer, ServerError> {
    let mut indexer = match app.indexer() {
        Ok(i) => i,
        Err(SearchError::Locked) => return Err(ServerError::Locked(config.data_dir.clone())),
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
    Ok(indexer)
}

/// The server's background tasks, started and stopped together.
pub struct Background {
    tasks: tokio::task::JoinSet<()>,
}

impl Background {
    /// Starts every task the configuration asks for.
    pub fn start(
        config: &Config,
        app: &Arc<App>,
        indexer: &Arc<Mutex<Indexer>>,
        outbox: &Outbox,
        mailer: Option<SmtpConfig>,
        base_url: String,
    ) -> Background {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(follow_store(
            app.clone(),
            indexer.clone(),
            Duration::from_millis(config.index_interval_ms.max(50)),
        ));
        let harvest_every = config
            .harvest_every_seconds
            .or(config.harvest_every_minutes.map(|m| m.saturating_mul(60)))
            .filter(|s| *s > 0);
        if let Some(s) = harvest_every {
            tasks.spawn(harvest(
                app.clone(),
                config.sources.clone(),
                Duration::from_secs(s),
            ));
        }
        if let Some(smtp) = mailer {
            tasks.spawn(send_mail(
                outbox.dir().to_path_buf(),
                smtp,
                Duration::from_secs(config.mail_every_seconds.max(1)),
                keep_sent(config),
            ));
        }
        tasks.spawn(remind(
            app.clone(),
            outbox.clone(),
            base_url,
            Freshness::from(config),
        ));
        Background { tasks }
    }

    /// Stops every task (each is cancelled at its next wait).
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// Keeps the index in step with changes other processes write to the store.
async fn follow_store(app: Arc<App>, indexer: Arc<Mutex<Indexer>>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let (app, indexer) = (app.clone(), indexer.clone());
        let res = tokio::task::spawn_blocking(move || {
            let mut guard = indexer.lock().unwrap_or_else(|p| p.into_inner());
            let r = app.sync(&mut guard)?;
            // After a large import: put the index back in order, in the background
            // (searches go on using the old one until it is done).
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
}

/// `harvest_every_minutes`: each round runs every enabled source in the sources file
/// (read afresh, so edits apply without a restart); the index follower then picks the
/// changes up within a second.
async fn harvest(app: Arc<App>, sources: PathBuf, every: Duration) {
    loop {
        match ingest::Sources::load(&sources) {
            Ok(list) => {
                for s in list.chosen(None) {
                    let now = crate::clock::uk_now();
                    match ingest::run(&app.store, app.taxonomy, s, now, &mut |_| {}).await {
                        Ok(report) => tracing::info!("harvested {report}"),
                        Err(e) => tracing::warn!(source = %s.name, "harvest failed: {e:#}"),
                    }
                }
            }
            Err(e) => tracing::warn!("cannot harvest: {e}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// `smtp_url`: sends the outbox every few seconds. Messages that cannot be sent yet
/// stay in the outbox, so a mail server that is down only delays them. Sent messages
/// older than `keep` are deleted once an hour (they hold private edit links).
async fn send_mail(dir: PathBuf, smtp: SmtpConfig, every: Duration, keep: Option<Duration>) {
    let mut tick = tokio::time::interval(every);
    let mut was_failing = false;
    let mut pruned: Option<Instant> = None;
    loop {
        tick.tick().await;
        if let Some(keep) = keep
            && pruned.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600))
        {
            pruned = Some(Instant::now());
            match deliver::prune_sent(&dir, keep) {
                Ok(0) => {}
                Ok(n) => tracing::info!("deleted {n} old sent emails"),
                Err(e) => tracing::error!("could not delete old sent emails: {e}"),
            }
        }
        match deliver::deliver_outbox(&dir, &smtp).await {
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
}

/// Hourly "still running?" emails for listings due for checking.
async fn remind(app: Arc<App>, outbox: Outbox, base: String, freshness: Freshness) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let (app, outbox, base) = (app.clone(), outbox.clone(), base.clone());
        match tokio::task::spawn_blocking(move || {
            crate::groups::freshness::remind(&app.store, &outbox, &base, &freshness)
        })
        .await
        {
            Ok(Ok(n)) if n > 0 => tracing::info!("wrote {n} \"still running?\" reminders"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("reminders failed: {e}"),
            Err(e) => tracing::error!("reminder task failed: {e}"),
        }
    }
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
