//! Polite, bounded HTTP for every fetch Signpost makes.
//!
//! Signpost reads other people's servers: small community groups' websites on cheap
//! hosting as much as big booking systems. So every request, whatever asks for it,
//! goes through one [`Http`] per process that:
//!
//! - says who we are (an honest User-Agent naming Signpost and where to read about it:
//!   the directory's own contact or about page when configured);
//! - reads each host's `robots.txt` once (cached for a day), skips what it disallows
//!   for us, and honours its `Crawl-delay`;
//! - keeps to a per-host concurrency cap and a minimum interval between requests to a
//!   host (the larger of our own and the host's crawl delay), shared by all harvests;
//! - follows redirects itself, one hop at a time (at most five), so the robots.txt and
//!   limits of every host a redirect leads to apply there too;
//! - bounds time (connect and total) and size (counted while streaming, so a huge
//!   body is cut off without ever being held in memory);
//! - sends `If-None-Match` / `If-Modified-Since` when the caller has validators from
//!   last time, so an unchanged page costs the publisher a 304 and us nothing;
//! - retries only what can get better (429, 5xx, timeouts, dropped connections) with
//!   backoff, honouring `Retry-After`.
//!
//! Failures come back as [`HttpError`], which says whether trying again later might
//! help ([`HttpError::is_transient`]): callers use that to decide between "the page is
//! gone, withdraw its listings" and "keep what we have and try next run".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header;
use tokio::sync::{Mutex as AsyncMutex, Semaphore};

use crate::listing::parse;

/// Sent with every request when no contact is configured: who we are and where to
/// find out more (the project's own address).
pub const USER_AGENT: &str = concat!(
    "Signpost/",
    env!("CARGO_PKG_VERSION"),
    " (community activity directory; open source; +",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// The User-Agent naming `contact` (a web address or `mailto:`), so the owner of a
/// site we read can find out who runs this directory and reach them.
pub fn user_agent(contact: Option<&str>) -> String {
    match contact {
        Some(c) => format!(
            "Signpost/{} (community activity directory; open source; +{c})",
            env!("CARGO_PKG_VERSION")
        ),
        None => USER_AGENT.to_string(),
    }
}

/// Checks a crawler contact: an http(s) address or an email address (given bare or as
/// `mailto:`), returned in the form that goes in the User-Agent.
pub fn crawler_contact(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let bad = || {
        format!(
            "the crawler contact \"{raw}\" is not a web address (https://...) or an email address"
        )
    };
    // It goes in a header: visible ASCII only (a web address is made ASCII below).
    if raw.is_empty() || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    if let Some(web) = parse::web_address(raw)
        && let Ok(u) = reqwest::Url::parse(&web)
    {
        return Ok(u.to_string());
    }
    match parse::email(raw) {
        Some(email) if email.is_ascii() => Ok(format!("mailto:{email}")),
        _ => Err(bad()),
    }
}

/// The product token robots.txt rules are matched against.
pub const ROBOTS_TOKEN: &str = "Signpost";
/// The most of a robots.txt we read (RFC 9309 asks crawlers to read at least 500 KiB).
const ROBOTS_MAX_BYTES: usize = 512 * 1024;

/// Limits and manners; [`Policy::default`] is what the command line uses.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Requests in flight to one host at once.
    pub max_per_host: usize,
    /// Shortest gap between the starts of two requests to one host.
    pub min_interval: Duration,
    /// A robots.txt `Crawl-delay` is honoured up to this (a typo of 86400 would
    /// otherwise stop a harvest for a day).
    pub max_crawl_delay: Duration,
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub timeout: Duration,
    /// Largest body read; a longer one is cut off with [`HttpError::TooLarge`].
    pub max_bytes: usize,
    /// Attempts per request (the first and the retries).
    pub attempts: u32,
    /// First wait before a retry; doubled each time, at most a minute.
    pub first_retry_wait: Duration,
    /// How long a host's robots.txt is trusted before it is read again.
    pub robots_ttl: Duration,
    /// Where site owners can find out about us (see [`crawler_contact`]); the
    /// project's address when not set.
    pub contact: Option<String>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_per_host: 2,
            min_interval: Duration::from_millis(100),
            max_crawl_delay: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_bytes: 64 * 1024 * 1024,
            attempts: 5,
            first_retry_wait: Duration::from_millis(500),
            robots_ttl: Duration::from_secs(24 * 3600),
            contact: None,
        }
    }
}

impl Policy {
    /// The gap between two requests to a host whose robots.txt asks for `crawl_delay`
    /// seconds: at least [`Policy::min_interval`], at most [`Policy::max_crawl_delay`].
    /// A delay too large for a `Duration` (`Crawl-delay: 1e30`) is the most we honour,
    /// not a panic in the harvest.
    fn interval(&self, crawl_delay: Option<f32>) -> Duration {
        crawl_delay
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| {
                Duration::try_from_secs_f32(d)
                    .unwrap_or(self.max_crawl_delay)
                    .min(self.max_crawl_delay)
            })
            .unwrap_or_default()
            .max(self.min_interval)
    }
}

static GLOBAL: OnceLock<Http> = OnceLock::new();

/// Longest wait before a retry, whatever `Retry-After` asks for.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("it is not a web address Signpost can fetch")]
    BadUrl,
    #[error("the site's robots.txt asks robots like Signpost not to fetch this address")]
    Disallowed,
    #[error("the site's robots.txt could not be read ({0}), so nothing was fetched from it")]
    RobotsUnavailable(String),
    #[error("the response is larger than {} MB, so it was cut off", .0 / 1024 / 1024)]
    TooLarge(usize),
    #[error("the server took too long to answer")]
    Timeout,
    #[error("too many redirects")]
    Redirects,
    #[error("the server answered {0}")]
    Status(u16),
    #[error("{0}")]
    Network(String),
}

impl HttpError {
    /// True when the same request may well work later: nothing should be withdrawn
    /// because of it.
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::Status(s) => *s == 429 || *s >= 500 || *s == 408,
            HttpError::Timeout | HttpError::Network(_) | HttpError::RobotsUnavailable(_) => true,
            _ => false,
        }
    }

    /// The page is gone for good (404 Not Found, 410 Gone).
    pub fn is_gone(&self) -> bool {
        matches!(self, HttpError::Status(404 | 410))
    }
}

pub use crate::store::Validators;

#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub validators: Validators,
    pub content_type: Option<String>,
    /// Where the body came from after redirects.
    pub url: String,
}

#[derive(Debug)]
pub enum Fetched {
    Body(Body),
    /// 304: unchanged since the validators we sent.
    NotModified,
}

/// A host's robots.txt as we understood it.
enum Robots {
    AllowAll,
    Rules(Box<texting_robots::Robot>),
    Unavailable(String),
}

impl Robots {
    /// A robots.txt as read from the site.
    fn read(bytes: &[u8]) -> Robots {
        match texting_robots::Robot::new(ROBOTS_TOKEN, bytes) {
            Ok(r) => Robots::Rules(Box::new(r)),
            // Unparseable rules forbid nothing we can read.
            Err(_) => Robots::AllowAll,
        }
    }
}

struct Host {
    slots: Semaphore,
    next: AsyncMutex<Option<Instant>>,
    robots: AsyncMutex<Option<(Instant, Arc<Robots>)>>,
}

/// The polite client; one per process ([`Http::global`]) so limits hold across
/// harvests running side by side.
pub struct Http {
    policy: Policy,
    client: reqwest::Client,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

impl Http {
    pub fn new(policy: Policy) -> Result<Http, HttpError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent(policy.contact.as_deref()))
            .connect_timeout(policy.connect_timeout)
            // Redirects are followed by `fetch`, so that each new host's robots.txt
            // and limits apply to it.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpError::Network(e.to_string()))?;
        Ok(Http {
            policy,
            client,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// The process's shared client, with the default [`Policy`] unless
    /// [`Http::set_global`] chose another before first use.
    pub fn global() -> &'static Http {
        GLOBAL.get_or_init(|| Http::new(Policy::default()).expect("the HTTP client builds"))
    }

    /// Sets the shared client's policy (the configured crawler contact; for
    /// benchmarks against a local server, no gap of our own). Fails once the client is
    /// in use, or if it cannot be built.
    pub fn set_global(policy: Policy) -> Result<(), HttpError> {
        let http = Http::new(policy)?;
        GLOBAL
            .set(http)
            .map_err(|_| HttpError::Network("the HTTP client is already in use".into()))
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn host(&self, origin: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(origin.to_string())
            .or_insert_with(|| {
                Arc::new(Host {
                    slots: Semaphore::new(self.policy.max_per_host.max(1)),
                    next: AsyncMutex::new(None),
                    robots: AsyncMutex::new(None),
                })
            })
            .clone()
    }

    /// Waits for this host's next turn, `interval` after the previous request started.
    async fn wait_turn(host: &Host, interval: Duration) {
        let mut next = host.next.lock().await;
        if let Some(t) = *next {
            tokio::time::sleep_until(t.into()).await;
        }
        *next = Some(Instant::now() + interval);
    }

    async fn robots(&self, host: &Host, origin: &str) -> Arc<Robots> {
        let mut cached = host.robots.lock().await;
        if let Some((at, r)) = cached.as_ref() {
            let ttl = match **r {
                // Try an unreadable robots.txt again sooner.
                Robots::Unavailable(_) => self.policy.robots_ttl.min(Duration::from_secs(600)),
                _ => self.policy.robots_ttl,
            };
            if at.elapsed() < ttl {
                return r.clone();
            }
        }
        let url = format!("{origin}/robots.txt");
        let robots = {
            let _slot = host.slots.acquire().await;
            Self::wait_turn(host, self.policy.min_interval).await;
            match self.send_robots(&url).await {
                Ok(Fetched::Body(b)) => Robots::read(&b.bytes),
                Ok(Fetched::NotModified) => Robots::AllowAll,
                // RFC 9309: a robots.txt that is not there (4xx) allows everything...
                Err(HttpError::Status(s)) if (400..500).contains(&s) && s != 429 => {
                    Robots::AllowAll
                }
                // ...and one that cannot be reached (5xx, network) allows nothing.
                Err(HttpError::TooLarge(_)) => Robots::AllowAll,
                Err(e) => Robots::Unavailable(e.to_string()),
            }
        };
        let r = Arc::new(robots);
        *cached = Some((Instant::now(), r.clone()));
        r
    }

    /// Reads a robots.txt, following up to [`MAX_REDIRECTS`] redirects as RFC 9309
    /// asks (wherever they lead: it is the file that says where we may go).
    async fn send_robots(&self, url: &str) -> Result<Fetched, HttpError> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            match self.send(&url, None, ROBOTS_MAX_BYTES).await {
                Err(Retry::Redirect(next)) => url = next.to_string(),
                other => return other.map_err(HttpError::from),
            }
        }
        Err(HttpError::Redirects)
    }

    /// Fetches `url` politely; `validators` make it a conditional request.
    /// Client errors (404, 410, ...) come back as [`HttpError::Status`] at once;
    /// 429, 5xx and network failures are retried first.
    pub async fn get(
        &self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, HttpError> {
        self.get_limited(url, validators, self.policy.max_bytes)
            .await
    }

    /// As [`Http::get`], with a smaller size limit for this request.
    pub async fn get_limited(
        &self,
        url: &str,
        validators: Option<&Validators>,
        max_bytes: usize,
    ) -> Result<Fetched, HttpError> {
        self.fetch(url, validators, max_bytes, self.policy.attempts)
            .await
    }

    /// As [`Http::get`], without retries (for a person waiting at the command line).
    pub async fn get_once(&self, url: &str) -> Result<Fetched, HttpError> {
        self.fetch(url, None, self.policy.max_bytes, 1).await
    }

    /// Follows redirects one hop at a time, so every address fetched, on whatever
    /// host, is checked against that host's robots.txt and kept to its limits.
    async fn fetch(
        &self,
        url: &str,
        validators: Option<&Validators>,
        max_bytes: usize,
        attempts: u32,
    ) -> Result<Fetched, HttpError> {
        let mut url = reqwest::Url::parse(url).map_err(|_| HttpError::BadUrl)?;
        for _ in 0..=MAX_REDIRECTS {
            match self
                .fetch_hop(&url, validators, max_bytes, attempts)
                .await?
            {
                Hop::Done(f) => return Ok(f),
                Hop::To(next) => url = next,
            }
        }
        Err(HttpError::Redirects)
    }

    async fn fetch_hop(
        &self,
        parsed: &reqwest::Url,
        validators: Option<&Validators>,
        max_bytes: usize,
        attempts: u32,
    ) -> Result<Hop, HttpError> {
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(HttpError::BadUrl);
        }
        let url = parsed.as_str();
        let origin = parsed.origin().ascii_serialization();
        let host = self.host(&origin);
        let robots = self.robots(&host, &origin).await;
        let crawl_delay = match &*robots {
            Robots::AllowAll => None,
            Robots::Unavailable(why) => return Err(HttpError::RobotsUnavailable(why.clone())),
            Robots::Rules(r) => {
                if !r.allowed(parsed.as_str()) {
                    return Err(HttpError::Disallowed);
                }
                r.delay
            }
        };
        let interval = self.policy.interval(crawl_delay);
        let attempts = attempts.max(1);
        let mut wait = self.policy.first_retry_wait;
        let mut last = HttpError::Network("no attempt was made".into());
        for attempt in 1..=attempts {
            let retry_after;
            {
                let _slot = host.slots.acquire().await;
                Self::wait_turn(&host, interval).await;
                match self.send(url, validators, max_bytes).await {
                    Ok(f) => return Ok(Hop::Done(f)),
                    Err(Retry::Redirect(next)) => return Ok(Hop::To(next)),
                    Err(Retry::Now(e)) => return Err(e),
                    Err(Retry::After(e, after)) => {
                        last = e;
                        retry_after = after;
                    }
                }
            }
            if attempt == attempts {
                break;
            }
            let pause = retry_after.unwrap_or(wait).min(MAX_RETRY_WAIT);
            tracing::warn!(url, attempt, wait_ms = pause.as_millis() as u64, reason = %last, "retrying");
            tokio::time::sleep(pause).await;
            wait = (wait * 2).min(MAX_RETRY_WAIT);
        }
        Err(last)
    }

    /// One request, no politeness (the caller holds the host's slot).
    async fn send(
        &self,
        url: &str,
        validators: Option<&Validators>,
        max_bytes: usize,
    ) -> Result<Fetched, Retry> {
        let mut req = self.client.get(url).timeout(self.policy.timeout);
        if let Some(v) = validators {
            if let Some(e) = &v.etag {
                req = req.header(header::IF_NONE_MATCH, e);
            }
            if let Some(m) = &v.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, m);
            }
        }
        let mut resp = req.send().await.map_err(|e| {
            if e.is_redirect() {
                Retry::Now(HttpError::Redirects)
            } else if e.is_timeout() {
                Retry::After(HttpError::Timeout, None)
            } else {
                Retry::After(HttpError::Network(plain(&e)), None)
            }
        })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status.is_redirection()
            && let Some(next) = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| resp.url().join(loc).ok())
        {
            return Err(Retry::Redirect(next));
        }
        if !status.is_success() {
            let e = HttpError::Status(status.as_u16());
            if status.as_u16() == 429 || status.is_server_error() {
                let after = resp
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Err(Retry::After(e, after));
            }
            return Err(Retry::Now(e));
        }
        if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(Retry::Now(HttpError::TooLarge(max_bytes)));
        }
        let head = |name: header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: head(header::ETAG),
            last_modified: head(header::LAST_MODIFIED),
        };
        let content_type = head(header::CONTENT_TYPE);
        let final_url = resp.url().to_string();
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(Retry::Now(HttpError::TooLarge(max_bytes)));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(Retry::After(HttpError::Timeout, None)),
                Err(e) => {
                    return Err(Retry::After(
                        HttpError::Network(format!(
                            "the connection broke while reading: {}",
                            plain(&e)
                        )),
                        None,
                    ));
                }
            }
        }
        Ok(Fetched::Body(Body {
            bytes,
            validators,
            content_type,
            url: final_url,
        }))
    }
}

enum Retry {
    /// Asking again will not help.
    Now(HttpError),
    /// Worth another try, after the server's `Retry-After` if it sent one.
    After(HttpError, Option<Duration>),
    /// The answer is somewhere else.
    Redirect(reqwest::Url),
}

impl From<Retry> for HttpError {
    fn from(r: Retry) -> HttpError {
        match r {
            Retry::Now(e) | Retry::After(e, _) => e,
            Retry::Redirect(_) => HttpError::Redirects,
        }
    }
}

/// What one hop of a fetch came to.
enum Hop {
    Done(Fetched),
    To(reqwest::Url),
}

/// Redirects followed for one fetch (and for a robots.txt).
pub const MAX_REDIRECTS: usize = 5;

/// A reqwest error with its causes, without the URL (callers add it once).
fn plain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(&format!(" ({u})"), "");
    }
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_names_signpost_and_a_contact() {
        assert!(USER_AGENT.starts_with("Signpost/"));
        assert!(USER_AGENT.contains("+http"));
        let ua = user_agent(Some("https://signpost.example.org/about"));
        assert!(ua.starts_with("Signpost/"), "{ua}");
        assert!(ua.ends_with("+https://signpost.example.org/about)"), "{ua}");
    }

    #[test]
    fn a_crawler_contact_is_a_web_or_email_address() {
        assert_eq!(
            crawler_contact(" https://signpost.example.org/about ").unwrap(),
            "https://signpost.example.org/about"
        );
        assert_eq!(
            crawler_contact("links@example.org").unwrap(),
            "mailto:links@example.org"
        );
        assert_eq!(
            crawler_contact("mailto:links@example.org").unwrap(),
            "mailto:links@example.org"
        );
        for bad in [
            "",
            "call Sam",
            "ftp://example.org",
            "links@localhost",
            "a@b.org\r\nX-Evil: 1",
            "Sam <sam@example.org>",
            "@example.org",
            "sam@exämple.org",
        ] {
            let e = crawler_contact(bad).unwrap_err();
            assert!(e.contains("crawler contact"), "{bad}: {e}");
        }
    }

    /// Found by the property below: `Crawl-delay: 1e30` made `Duration::from_secs_f32`
    /// panic in the middle of a harvest.
    #[test]
    fn a_huge_crawl_delay_is_the_most_we_honour() {
        let policy = Policy::default();
        let Robots::Rules(r) = Robots::read(b"User-agent: *\nCrawl-delay: 1e30\n") else {
            panic!("the rules were not read");
        };
        assert_eq!(policy.interval(r.delay), policy.max_crawl_delay);
        assert_eq!(policy.interval(Some(f32::MAX)), policy.max_crawl_delay);
        assert_eq!(policy.interval(Some(f32::NAN)), policy.min_interval);
        assert_eq!(policy.interval(Some(-5.0)), policy.min_interval);
        assert_eq!(policy.interval(Some(2.0)), Duration::from_secs(2));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// One robots.txt line: a known directive with an edgy value, or anything.
        fn line() -> impl Strategy<Value = String> {
            let directive = prop::sample::select(vec![
                "User-agent",
                "user-agent",
                "Allow",
                "Disallow",
                "Crawl-delay",
                "Sitemap",
                "Request-rate",
                "Host",
                "",
                "#",
            ]);
            let value = prop_oneof![
                Just("*".to_string()),
                Just("Signpost".to_string()),
                Just("/".to_string()),
                Just("/*$".to_string()),
                Just("1e30".to_string()),
                Just("-1".to_string()),
                Just("NaN".to_string()),
                Just("inf".to_string()),
                "[0-9]{1,40}(\\.[0-9]{0,5})?",
                "/[a-z*$?%/]{0,30}",
                any::<String>(),
            ];
            prop_oneof![
                4 => (directive, value).prop_map(|(d, v)| format!("{d}: {v}")),
                1 => any::<String>(),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

            /// Any robots.txt is read without a panic, answers for any address quickly,
            /// and its crawl delay becomes a gap within the policy's bounds.
            #[test]
            fn any_robots_txt_is_read_and_bounded(
                lines in prop::collection::vec(line(), 0..40),
                crlf in any::<bool>(),
                path in "(/[a-zA-Z0-9*$%?.~-]{0,12}){0,6}",
            ) {
                let text = lines.join(if crlf { "\r\n" } else { "\n" });
                let started = std::time::Instant::now();
                let policy = Policy::default();
                match Robots::read(text.as_bytes()) {
                    Robots::Rules(r) => {
                        let _ = r.allowed(&format!("https://example.org{path}"));
                        let gap = policy.interval(r.delay);
                        prop_assert!(gap >= policy.min_interval && gap <= policy.max_crawl_delay);
                    }
                    Robots::AllowAll => {}
                    Robots::Unavailable(_) => prop_assert!(false, "reading cannot be unavailable"),
                }
                prop_assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
            }

            #[test]
            fn any_crawl_delay_is_within_bounds(d in any::<f32>()) {
                let policy = Policy::default();
                let gap = policy.interval(Some(d));
                prop_assert!(gap >= policy.min_interval && gap <= policy.max_crawl_delay);
            }
        }
    }

    #[test]
    fn only_failures_that_may_pass_are_transient() {
        assert!(HttpError::Status(503).is_transient());
        assert!(HttpError::Timeout.is_transient());
        assert!(!HttpError::Status(404).is_transient());
        assert!(HttpError::Status(410).is_gone());
        assert!(!HttpError::Disallowed.is_transient());
    }
}
