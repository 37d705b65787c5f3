//! Site settings: how this site is run, shared by every request.
//!
//! Built once from the [`Config`] (`Site::try_from(&config)`), so `serve`, the tests and
//! anyone embedding the router get the same defaults. Handlers read them from
//! `AppState::site`; nothing here changes while the server runs.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, header};

use crate::SharedIndexer;
use crate::config::Config;
use crate::groups::freshness::Freshness;
use crate::groups::mail::Outbox;
use crate::groups::tokens::FormSigner;
use crate::ingest::Sources;
use crate::publish::openactive::Republish;

use super::missed::MissedSearches;

/// Most submissions waiting for moderation before new ones are refused.
pub const MAX_PENDING: i64 = 10_000;

/// How long a request may take before it is answered with "try again": far longer
/// than any page takes at a million listings, short enough that a stuck request does
/// not hold a connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// POST limits, mail, cookies, freshness, the public address and the index writer.
#[derive(Clone)]
pub struct Site {
    /// Signs the hidden token on public forms (secret in `<data-dir>/form-secret`).
    pub signer: FormSigner,
    /// Where group emails are written.
    pub outbox: Outbox,
    /// The site's public address (`https://signpost.example.org`), for QR codes,
    /// calendar files and text messages. Without it, the request's Host is used.
    pub public_url: Option<String>,
    /// Mark the moderator cookie `Secure` and give it the `__Host-` prefix (set when the
    /// site is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// When a listing is due for checking, and when it leaves default results.
    pub freshness: Freshness,
    /// When set, moderation writes are indexed at once (else the background follower
    /// picks them up).
    pub indexer: Option<SharedIndexer>,
    /// POST requests allowed per client per minute, and the burst; 0 turns limits off.
    pub posts_per_minute: u32,
    pub post_burst: u32,
    /// Most submissions waiting for moderation before new ones are refused.
    pub max_pending: i64,
    /// How long a request may take (see [`REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// Searches that found nothing, counted for moderators (see `web::missed`).
    pub missed: Arc<MissedSearches>,
    /// Whose listings go into the open data feeds (`/openactive`), with their credit:
    /// groups' own submissions, and sources with `republish = true`.
    pub republish: Republish,
    /// The secret that opens the follow feed (`/follow/changes`) to this site's
    /// followers; without it there is no feed (see `web::follow`).
    pub follow_token: Option<String>,
    /// This site follows a primary: it refuses writes (see `web::follow`).
    pub follower: bool,
    /// Set when the server is stopping, so answers held open for followers end at once.
    pub stopping: Option<tokio::sync::watch::Receiver<bool>>,
}

/// A setting in the config that the site cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The `mail_from` address (the message says why).
    #[error("{0}")]
    MailFrom(String),
}

/// What may be republished: groups' submissions, and the sources in the sources file
/// with `republish = true`. No sources file means no sources; a file that cannot be
/// read is said in the log (as the harvester says it) and republishes no source, which
/// is the safe side of a licence.
fn republish_from(path: &Path) -> Republish {
    if !path.exists() {
        return Republish::default();
    }
    match Sources::load(path) {
        Ok(sources) => republish_of(&sources),
        Err(e) => {
            tracing::error!("{e}: no source is republished in the open data until it is fixed");
            Republish::default()
        }
    }
}

/// Groups' submissions and every source with `republish = true` (the sources file
/// refuses one without a `licence`), credited as the source asks.
fn republish_of(sources: &Sources) -> Republish {
    let mut r = Republish::default();
    for s in sources.sources.iter().filter(|s| s.republish) {
        if let Some(licence) = &s.licence {
            let name = s.attribution.as_deref().unwrap_or(&s.name);
            r = r.with(&s.name, name, licence.trim());
        }
    }
    r
}

impl TryFrom<&Config> for Site {
    type Error = SettingsError;

    /// The settings `serve` runs with. Reads (or creates) the form secret in the data
    /// directory; fails only on a From address that is not valid.
    fn try_from(c: &Config) -> Result<Site, SettingsError> {
        let outbox = Outbox::from_config(c).map_err(SettingsError::MailFrom)?;
        let mut site = Site::with_outbox(c, outbox);
        site.republish = republish_from(&c.sources);
        Ok(site)
    }
}

impl Site {
    /// The default settings over `data_dir`, with POST limits off: for a router built
    /// directly (tests, embedding). `serve` uses `Site::try_from(&config)`.
    pub fn new(data_dir: &Path) -> Site {
        let config = Config {
            data_dir: data_dir.to_path_buf(),
            posts_per_minute: 0,
            ..Config::default()
        };
        Site::with_outbox(&config, Outbox::new(data_dir))
    }

    fn with_outbox(c: &Config, outbox: Outbox) -> Site {
        Site {
            signer: FormSigner::load_or_create(&c.data_dir),
            outbox,
            public_url: c.public_url.clone().filter(|u| !u.trim().is_empty()),
            secure_cookies: c.secure_cookies,
            freshness: Freshness::from(c),
            indexer: None,
            posts_per_minute: c.posts_per_minute,
            post_burst: c.post_burst,
            max_pending: MAX_PENDING,
            request_timeout: REQUEST_TIMEOUT,
            missed: Arc::new(MissedSearches::new(c.count_missed_searches)),
            republish: Republish::default(),
            follow_token: c
                .follow_token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            follower: c.follow.is_some(),
            stopping: None,
        }
    }

    /// The absolute address of this site, for links that leave it (QR codes, calendar
    /// files, text messages): the configured public URL, else the request's Host.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("outbox", &self.outbox)
            .field("public_url", &self.public_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("freshness", &self.freshness)
            .field("posts_per_minute", &self.posts_per_minute)
            .field("post_burst", &self.post_burst)
            .field("max_pending", &self.max_pending)
            .field("request_timeout", &self.request_timeout)
            .field("republish", &self.republish)
            .field("follow_token", &self.follow_token.as_ref().map(|_| "(set)"))
            .field("follower", &self.follower)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_that_say_so_are_republished() {
        let sources = crate::ingest::Sources::parse(
            "[[source]]\nname = \"open\"\nurl = \"x.json\"\nrepublish = true\n\
             licence = \"https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/\"\n\
             attribution = \"A Council\"\n\
             [[source]]\nname = \"closed\"\nurl = \"y.json\"\n",
        )
        .unwrap();
        let r = republish_of(&sources);
        assert!(
            r.get(crate::store::SUBMISSIONS_SOURCE).is_some(),
            "groups' own listings"
        );
        assert_eq!(r.get("open").unwrap().attribution.name, "A Council");
        assert!(r.get("closed").is_none());
    }

    #[test]
    fn built_from_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            public_url: Some("https://signpost.example.org/".into()),
            secure_cookies: true,
            fresh_months: 3,
            stale_months: 9,
            posts_per_minute: 7,
            post_burst: 2,
            mail_from: Some("Signpost <hello@signpost.example.org>".into()),
            ..Config::default()
        };
        let site = Site::try_from(&config).unwrap();
        assert!(site.secure_cookies);
        assert_eq!(
            (site.freshness.fresh_months, site.freshness.stale_months),
            (3, 9)
        );
        assert_eq!((site.posts_per_minute, site.post_burst), (7, 2));
        assert_eq!(
            site.base_url(&HeaderMap::new()),
            "https://signpost.example.org"
        );
        let bad = Config {
            mail_from: Some("not an address".into()),
            ..config
        };
        assert!(Site::try_from(&bad).is_err());
        // Built directly, limits are off and the Host is used.
        let direct = Site::new(dir.path());
        assert_eq!(direct.posts_per_minute, 0);
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "example.test:3000".parse().unwrap());
        assert_eq!(direct.base_url(&h), "http://example.test:3000");
        h.insert(header::HOST, "evil.test/<script>".parse().unwrap());
        assert_eq!(direct.base_url(&h), "http://localhost");
    }
}
