//! The real `signpost serve` binary on a free port of 127.0.0.1, for the tests that
//! kill, signal or starve it (crash, shutdown, full disk), and the "Add your activity"
//! form as a real client sends it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::enc;

pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    log: Arc<Mutex<String>>,
}

/// Starts `signpost serve` on `data` (no demo, no POST limit, unless `extra` says
/// otherwise) and waits until it is ready.
pub fn start(data: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_signpost"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
            "--posts-per-minute",
            "0",
        ])
        .args(extra)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "signpost=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log: Arc<Mutex<String>> = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(i) = line.find("ready at http://") {
                let rest = &line[i + "ready at ".len()..];
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
            let mut log = lines.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let base = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(b) => b,
        Err(_) => {
            let _ = child.kill();
            panic!("the server did not start: {}", log.lock().unwrap());
        }
    };
    Server { child, base, log }
}

impl Server {
    /// What the server has written to its standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the server writes `text` to its standard error within `within`. Its
    /// log is read from a pipe by another thread, so a line written just before an
    /// answer may reach the log a moment after the answer reaches the test.
    pub fn logs_within(&self, text: &str, within: Duration) -> bool {
        let until = std::time::Instant::now() + within;
        loop {
            if self.log().contains(text) {
                return true;
            }
            if std::time::Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (`TERM`, `INT`, `KILL`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {name}");
    }

    /// Waits up to `within` for the server to exit.
    pub fn exited_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Some(s) = self.child.try_wait().unwrap() {
                // Let the log reader catch the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client as a browser posting forms is: redirects are seen, not followed.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The text between `a` and the next `b` in `s`.
pub fn between(s: &str, a: &str, b: &str) -> Option<String> {
    let i = s.find(a)? + a.len();
    Some(s[i..i + s[i..].find(b)?].to_string())
}

/// The signed form token (`ft`) of the form page at `url`.
pub async fn form_token(client: &reqwest::Client, url: &str) -> String {
    let page = client.get(url).send().await.unwrap().text().await.unwrap();
    between(&page, "name=\"ft\" value=\"", "\"").unwrap()
}

/// A complete "Add your activity" form for `/add/send`.
pub fn add_form(title: &str, ft: &str) -> String {
    [
        ("title", title),
        ("summary", "A listing sent by a test"),
        ("types", "walking"),
        ("modes", "in-person"),
        ("venue_name", "Town hall"),
        ("postcode", "M33 7XW"),
        ("free", "yes"),
        ("join_method", "drop-in"),
        ("contact_phone", "0161 123 4567"),
        ("your_email", "crash@example.org"),
        ("ft", ft),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", enc(v)))
    .collect::<Vec<_>>()
    .join("&")
}

/// POSTs a urlencoded form, with the session cookie if there is one.
pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    body: String,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

/// A signed-in moderator: the session cookie, its CSRF token, and the queue page.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub queue: String,
}

/// Signs a moderator in over HTTP and reads the moderation queue.
pub async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> Session {
    let ft = form_token(client, &format!("{base}/moderate/login")).await;
    let body = format!(
        "ft={}&username={}&password={}",
        enc(&ft),
        enc(user),
        enc(password)
    );
    let resp = post_form(client, &format!("{base}/moderate/login"), body, None).await;
    assert_eq!(resp.status(), 303);
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let queue = client
        .get(format!("{base}/moderate"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = between(&queue, "name=\"csrf\" value=\"", "\"").unwrap_or_default();
    Session {
        cookie,
        csrf,
        queue,
    }
}

/// The reference on a confirmation page, if it is one.
pub fn reference(page: &str) -> Option<String> {
    between(page, "<strong id=\"reference\">", "<")
}

/// SQLite's `integrity_check` of the store in `data` ("ok" when it is sound).
pub fn integrity(data: &Path) -> String {
    let conn = rusqlite::Connection::open(data.join("signpost.db")).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}
