//! Stopping `serve` without losing anything: SIGTERM (what systemd, Docker and
//! Kubernetes send) or Ctrl-C starts a graceful stop; a second one stops at once.
//!
//! A graceful stop stops accepting connections, lets requests in flight finish (a
//! group's submission is confirmed or not at all), lets the background tasks finish
//! their round (the index follower indexes the last changes, the mailer makes one last
//! delivery pass so the outbox is flushed, a harvest stops at its next page: a page is
//! committed together with its cursor or not at all, so one not yet committed is simply
//! fetched again next time), then checkpoints the store's write-ahead log. Each wait is
//! bounded by [`GRACE`], so a stuck client or mail server cannot hold the stop forever.
//!
//! Stopping at once on the second signal is safe for the same reason a crash is: every
//! write is one SQLite transaction (WAL, `synchronous=FULL`) and the index is derived.

use std::time::Duration;

use tokio::sync::watch;

/// How long in-flight requests, and then background tasks, get to finish.
pub const GRACE: Duration = Duration::from_secs(10);

/// Exit status after a second signal (128 + SIGINT, as shells report it).
const AT_ONCE: i32 = 130;

/// Tells the server and its tasks that a stop was asked for.
#[derive(Debug, Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// A pair: the sender says "stop", the receivers wait for it.
    pub fn channel() -> (watch::Sender<bool>, Stopping) {
        let (tx, rx) = watch::channel(false);
        (tx, Stopping(rx))
    }

    /// Waits until a stop is asked for (at once if it already was).
    pub async fn wait(&mut self) {
        // An error means the sender is gone, which is a stop too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// The watch underneath, for layers below the server (an answer held open for a
    /// follower ends when it turns true).
    pub fn receiver(&self) -> watch::Receiver<bool> {
        self.0.clone()
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }
}

/// Waits for SIGTERM or Ctrl-C (SIGINT).
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// On the first signal, tells everyone to stop; on a second, exits at once.
pub async fn on_signals(stop: watch::Sender<bool>) {
    signal().await;
    tracing::info!(
        "stopping: finishing requests and background work (at most {} s each); \
         send the signal again to stop at once",
        GRACE.as_secs()
    );
    let _ = stop.send(true);
    signal().await;
    eprintln!("stopping at once (second signal)");
    std::process::exit(AT_ONCE);
}
