//! Configuration: built-in defaults, then an optional TOML file, then environment
//! variables and command-line flags (clap handles those two, flags winning).
//!
//! Unknown keys in the file are an error, so a typo can't silently do nothing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the store and index live. Default `index/`.
    pub data_dir: PathBuf,
    /// Address `serve` listens on. Default `127.0.0.1:3000`.
    pub addr: String,
    /// Import the demo listings into a brand-new, empty data directory. Default true.
    pub demo: bool,
    /// How often the server checks the store for changes written by other processes
    /// (a CLI import), in milliseconds. Default 1000.
    pub index_interval_ms: u64,
    /// The site's public address, for QR codes, short links and calendar files.
    /// Default: none (the request's Host header is used).
    pub public_url: Option<String>,
    /// Harvest the configured sources in the background this often (minutes). Default:
    /// never (harvest with `signpost crawl`).
    pub harvest_every_minutes: Option<u64>,
    /// The same in seconds, for soak and test runs that need a harvest going on
    /// all the time; wins over `harvest_every_minutes`. Default: none.
    pub harvest_every_seconds: Option<u64>,
    /// The sources file. Default `content/sources.toml`.
    pub sources: PathBuf,
    /// Months after which a listing not confirmed is due for checking (and shows
    /// "last checked" prominently). Default 6.
    pub fresh_months: u32,
    /// Months after which a listing not confirmed leaves default search results.
    /// Default 12.
    pub stale_months: u32,
    /// Serve the moderator cookie as `Secure` with the `__Host-` prefix (set this when
    /// the site is reached over HTTPS). Default false.
    pub secure_cookies: bool,
    /// POST requests allowed per client per minute (0: no limit). Default 30.
    pub posts_per_minute: u32,
    /// Extra POST requests a client may send at once. Default 10.
    pub post_burst: u32,
    /// Send group emails through this SMTP server, like
    /// `smtp://user:password@host:587?tls=required` or `smtps://user:password@host`.
    /// Default: none (emails stay in `<data-dir>/outbox/` for the operator).
    pub smtp_url: Option<String>,
    /// The From address of group emails. Default `Signpost <no-reply@signpost.invalid>`.
    pub mail_from: Option<String>,
    /// With `smtp_url`, how often `serve` sends the outbox (seconds). Default 30.
    pub mail_every_seconds: u64,
    /// Days sent emails are kept in `<data-dir>/outbox/sent/` before they are deleted
    /// (they hold private edit links). 0 keeps them. Default 30.
    pub keep_sent_days: u64,
    /// Where the owners of sites Signpost reads can find out who runs this directory:
    /// a web address or an email address, sent in the crawler's User-Agent. Default:
    /// the site's about page when `public_url` is set, else the Signpost project.
    pub crawler_contact: Option<String>,
    /// Count searches that found nothing or little, for the moderators' "searches that
    /// found nothing" page (words, week and postcode district only; see
    /// `web::missed`). Default true.
    pub count_missed_searches: bool,
    /// `serve` backs the store up this often (minutes). Default: never (back up with
    /// `signpost backup`).
    pub backup_every_minutes: Option<u64>,
    /// How many scheduled backups to keep (the oldest are deleted). Default 7.
    pub backup_keep: usize,
    /// Where scheduled backups go. Default `<data-dir>/backups/`.
    pub backup_dir: Option<PathBuf>,
    /// Make this server a read-only follower of the primary at this address (its own
    /// address, as this node reaches it, like `http://10.0.0.1:3000`): it copies the
    /// primary's listings into its own data directory, keeps its own index, and takes
    /// no writes (see `server::follow`). Default: none (this server is a primary).
    pub follow: Option<String>,
    /// The shared secret between a primary and its followers (at least 16 characters).
    /// On a primary it turns on the follow feed (`/follow/changes`) for requests that
    /// carry it; on a follower it is sent with each request. Default: none (no feed).
    pub follow_token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("index"),
            addr: "127.0.0.1:3000".into(),
            demo: true,
            index_interval_ms: 1_000,
            public_url: None,
            harvest_every_minutes: None,
            harvest_every_seconds: None,
            sources: PathBuf::from("content/sources.toml"),
            fresh_months: 6,
            stale_months: 12,
            secure_cookies: false,
            posts_per_minute: 30,
            post_burst: 10,
            smtp_url: None,
            mail_from: None,
            mail_every_seconds: 30,
            keep_sent_days: 30,
            count_missed_searches: true,
            crawler_contact: None,
            backup_every_minutes: None,
            backup_keep: 7,
            backup_dir: None,
            follow: None,
            follow_token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("the config file {0} is not valid: {1}")]
    Parse(PathBuf, toml::de::Error),
}

impl Config {
    /// Where scheduled backups go.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path.to_path_buf(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_defaults_and_typos_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("signpost.toml");
        std::fs::write(&p, "addr = \"0.0.0.0:8080\"\n").unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.addr, "0.0.0.0:8080");
        assert_eq!(c.data_dir, PathBuf::from("index"));
        std::fs::write(&p, "adr = \"0.0.0.0:8080\"\n").unwrap();
        let e = Config::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("adr"), "{e}");
    }
}
