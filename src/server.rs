//! `serve`: the website built from a [`Config`], and the background work that keeps it
//! current, each task in one place.
//!
//! The tasks are the index follower (changes other processes write to the store reach
//! search within a second), the harvester (`harvest_every_minutes`: every enabled
//! source through [`crate::ingest::run`], the same path as `signpost crawl`), the
//! mailer (`smtp_url`: the outbox, sent), the hourly "still running?" reminders and
//! scheduled backups (`backup_every_minutes`, keeping the newest `backup_keep`).
//! A follower (`follow`: see [`follow`]) copies a primary's listings instead of
//! harvesting, writing reminders or importing the demo, and takes no writes.
//! They start together in [`Background::start`] and stop together when the server
//! does ([`shutdown`]: each finishes its round first), so no task outlives the store
//! it writes to.

pub mod follow;
pub mod shutdown;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::groups::deliver::{self, SmtpConfig};
use crate::groups::freshness::Freshness;
use crate::groups::mail::Outbox;
use crate::search::{Indexer, SearchError};
use crate::{App, AppError, ingest, web};
use shutdown::{GRACE, Stopping};

/// Why the server could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The cause is in the message (not also a `source`, which would print it twice).
    #[error("opening data directory {}: {}", .0.display(), .1)]
    Open(PathBuf, AppError),
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
/// and serves until Ctrl-C or SIGTERM, then stops gracefully (see [`shutdown`]).
pub async fn serve(config: Config) -> Result<(), ServerError> {
    let started = Instant::now();
    follow::check(config.follow.as_deref(), config.follow_token.as_deref())
        .map_err(ServerError::Setting)?;
    // A follower's listings are the primary's, with the primary's ids: it never adds
    // any of its own.
    let mut config = config;
    if config.follow.is_some() {
        config.demo = false;
    }
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
    // Sources whose republishing was switched on or off since the last start go round
    // the open data feed again (as listings or as withdrawals). A follower's feed is
    // its primary's.
    let touched = if config.follow.is_some() {
        0
    } else {
        // A primary with followers: its identity is made now, so that backups taken
        // from here on carry it.
        if config.follow_token.is_some() {
            app.store
                .store_id()
                .map_err(|e| ServerError::Open(config.data_dir.clone(), e.into()))?;
        }
        crate::publish::openactive::remember(&app.store, &site.republish)
            .map_err(|e| ServerError::Open(config.data_dir.clone(), e.into()))?
    };
    if touched > 0 {
        tracing::info!(
            touched,
            "republishing changed: listings sent again in the open data feed"
        );
    }

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
    let (stop, stopping) = Stopping::channel();
    tokio::spawn(shutdown::on_signals(stop));
    let background = Background::start(
        &config,
        &app,
        &indexer,
        &site.outbox,
        mailer,
        base,
        stopping.clone(),
    );

    site.indexer = Some(indexer.clone());
    site.stopping = Some(stopping.receiver());
    app.engine.set_stale_from(site.freshness.stale_rule());
    let state = web::AppState::new(app.clone()).with_site(site);
    let counting = tokio::spawn(web::missed::flush_every(
        state.clone(),
        Duration::from_secs(60),
    ));
    let router = web::router(state.clone());
    let mut asked = stopping.clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { asked.wait().await })
    .into_future();
    let mut asked = stopping.clone();
    let served = tokio::select! {
        served = server => served,
        _ = async { asked.wait().await; tokio::time::sleep(GRACE).await } => {
            tracing::warn!("requests still running after {} s were cut off", GRACE.as_secs());
            Ok(())
        }
    };
    background.stop().await;
    counting.abort();
    if let Err(e) = web::missed::flush(&state).await {
        tracing::warn!("could not save the last counts of searches that found nothing: {e}");
    }
    if let Err(e) = app.store.close() {
        tracing::error!("closing the store: {e}");
    }
    tracing::info!("stopped");
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
    // An index due to be put back in order (after a large import, or a rebuild cut
    // short by a stop) is still a complete index: serve it now, and let the index
    // follower's first round rebuild it in the background (minutes at 1M).
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
        stopping: Stopping,
    ) -> Background {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(follow_store(
            app.clone(),
            indexer.clone(),
            Duration::from_millis(config.index_interval_ms.max(50)),
            stopping.clone(),
        ));
        let harvest_every = config
            .harvest_every_seconds
            .or(config.harvest_every_minutes.map(|m| m.saturating_mul(60)))
            .filter(|s| *s > 0);
        if let Some(primary) = &config.follow {
            // Harvests, reminders and their emails are the primary's work: done here
            // too, they would be done twice (and written where nobody reads them).
            if harvest_every.is_some() {
                tracing::warn!(
                    "a follower does not harvest (the primary does): harvest_every is ignored"
                );
            }
            tasks.spawn(follow::follow_primary(
                app.clone(),
                indexer.clone(),
                primary.clone(),
                config
                    .follow_token
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                stopping.clone(),
            ));
        } else if let Some(s) = harvest_every {
            tasks.spawn(harvest(
                app.clone(),
                config.sources.clone(),
                Duration::from_secs(s),
                stopping.clone(),
            ));
        }
        if let Some(smtp) = mailer {
            tasks.spawn(send_mail(
                outbox.dir().to_path_buf(),
                smtp,
                Duration::from_secs(config.mail_every_seconds.max(1)),
                keep_sent(config),
                stopping.clone(),
            ));
        }
        if let Some(m) = config.backup_every_minutes.filter(|m| *m > 0) {
            tasks.spawn(backup(
                app.clone(),
                config.backup_dir(),
                config.backup_keep.max(1),
                Duration::from_secs(m * 60),
                stopping.clone(),
            ));
        }
        if config.follow.is_none() {
            tasks.spawn(remind(
                app.clone(),
                outbox.clone(),
                base_url,
                Freshness::from(config),
                stopping,
            ));
        }
        Background { tasks }
    }

    /// Waits for every task to finish its round once a stop was asked for (at most
    /// [`GRACE`]), then cancels what is left at its next wait.
    pub async fn stop(mut self) {
        let finished = tokio::time::timeout(GRACE, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                "background work still running after {} s was stopped (a harvest page not \
                 yet committed is fetched again next time)",
                GRACE.as_secs()
            );
        }
        self.tasks.shutdown().await;
    }
}

/// Keeps the index in step with changes other processes write to the store.
/// On a stop it indexes once more, so the last changes are searchable at the next start.
async fn follow_store(
    app: Arc<App>,
    indexer: Arc<Mutex<Indexer>>,
    every: Duration,
    mut stopping: Stopping,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        let last = tokio::select! {
            _ = tick.tick() => false,
            _ = stopping.wait() => true,
        };
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
        if last {
            return;
        }
    }
}

/// `harvest_every_minutes`: each round runs every enabled source in the sources file
/// (read afresh, so edits apply without a restart); the index follower then picks the
/// changes up within a second.
///
/// On a stop it leaves off at its next wait: each page is committed with its cursor in
/// one transaction, so the page in progress is either whole in the store or fetched
/// again next time.
async fn harvest(app: Arc<App>, sources: PathBuf, every: Duration, mut stopping: Stopping) {
    loop {
        match ingest::Sources::load(&sources) {
            Ok(list) => {
                for s in list.chosen(None) {
                    let now = crate::clock::uk_now();
                    let mut quiet = |_: &str| {};
                    let run = ingest::run(&app.store, app.taxonomy, s, now, &mut quiet);
                    tokio::select! {
                        r = run => match r {
                            Ok(report) => tracing::info!("harvested {report}"),
                            Err(e) => tracing::warn!(source = %s.name, "harvest failed: {e:#}"),
                        },
                        _ = stopping.wait() => {
                            tracing::info!(source = %s.name, "harvest stopped; it resumes from its last committed page");
                            return;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("cannot harvest: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopping.wait() => return,
        }
    }
}

/// `backup_every_minutes`: a backup of the store into `dir` when the server starts and
/// then every interval, keeping the newest `keep`.
async fn backup(app: Arc<App>, dir: PathBuf, keep: usize, every: Duration, mut stopping: Stopping) {
    loop {
        let (app, dir) = (app.clone(), dir.clone());
        let made = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(|cause| crate::store::StoreError::File {
                path: dir.clone(),
                cause,
            })?;
            let dest = dir.join(crate::store::backup::scheduled_name(chrono::Utc::now()));
            let m = app.store.backup(&dest)?;
            let pruned = crate::store::backup::prune(&dir, keep)?;
            Ok::<_, crate::store::StoreError>((dest, m, pruned.len()))
        })
        .await;
        match made {
            Ok(Ok((dest, m, pruned))) => tracing::info!(
                listings = m.count("listings"),
                bytes = m.bytes,
                deleted_old = pruned,
                "backed up the store to {}",
                dest.display()
            ),
            Ok(Err(e)) => tracing::error!("scheduled backup failed: {e}"),
            Err(e) => tracing::error!("scheduled backup task failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopping.wait() => return,
        }
    }
}

/// `smtp_url`: sends the outbox every few seconds. Messages that cannot be sent yet
/// stay in the outbox, so a mail server that is down only delays them. Sent messages
/// older than `keep` are deleted once an hour (they hold private edit links).
/// On a stop it makes one last delivery pass, so the outbox is flushed.
async fn send_mail(
    dir: PathBuf,
    smtp: SmtpConfig,
    every: Duration,
    keep: Option<Duration>,
    mut stopping: Stopping,
) {
    let mut tick = tokio::time::interval(every);
    let mut was_failing = false;
    let mut pruned: Option<Instant> = None;
    loop {
        let last = tokio::select! {
            _ = tick.tick() => false,
            _ = stopping.wait() => true,
        };
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
        if last {
            return;
        }
    }
}

/// Hourly "still running?" emails for listings due for checking.
async fn remind(
    app: Arc<App>,
    outbox: Outbox,
    base: String,
    freshness: Freshness,
    mut stopping: Stopping,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait() => return,
        }
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
