//! Group emails over SMTP: messages written to the outbox (by the real "Add your
//! activity" flow and by the real `Outbox`) are sent to a real SMTP server on
//! 127.0.0.1 (a small sink written here), arrive with the right envelope, subject and
//! body, and move to `sent/`; with the server down nothing is lost and the next round
//! sends them; bad recipients and refusals go to `failed/` with a reason; and
//! `signpost send-mail` does the same from the command line.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TestApp, enc};
use http_body_util::BodyExt;
use signpost::groups::deliver::{SmtpConfig, deliver_outbox, prune_sent};
use signpost::groups::mail::{Message, Outbox};
use signpost::web::{self, AppState};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// One message as the SMTP server received it.
#[derive(Debug, Clone, Default)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A minimal SMTP server: accepts everything, except that a recipient starting
/// `refused@` gets a permanent 550 and `later@` a temporary 451.
struct Sink {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Sink {
    async fn start() -> Sink {
        Sink::on(TcpListener::bind("127.0.0.1:0").await.unwrap()).await
    }

    async fn on(listener: TcpListener) -> Sink {
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let store = got.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(session(sock, store.clone()));
            }
        });
        Sink { port, got }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn session(sock: tokio::net::TcpStream, got: Arc<Mutex<Vec<Received>>>) {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    let mut cur = Received::default();
    w.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            cur = Received {
                from: addr(&cmd[10..]),
                ..Received::default()
            };
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let a = addr(&cmd[8..]);
            if a.starts_with("refused@") {
                b"550 5.1.1 No such mailbox\r\n"
            } else if a.starts_with("later@") {
                b"451 4.3.0 Try again later\r\n"
            } else {
                cur.to.push(a);
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            w.write_all(b"354 Go ahead\r\n").await.unwrap();
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).await.unwrap_or(0) == 0 {
                    return;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            cur.data = data;
            got.lock().unwrap().push(std::mem::take(&mut cur));
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            let _ = w.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        w.write_all(reply).await.unwrap();
    }
}

fn addr(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or(s);
    s.trim_start_matches('<').trim_end_matches('>').to_string()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn message(to: &str, subject: &str, body: &str) -> Message {
    Message {
        to: to.into(),
        subject: subject.into(),
        body: body.into(),
    }
}

/// Submits a listing through the real form with an email; returns (reference, link).
async fn add_activity(t: &TestApp, from: &str) -> (String, String) {
    let state = AppState::new(t.app.clone()).with_clock(Arc::new(common::now));
    let mut g = (*state.site).clone();
    g.indexer = Some(t.indexer.clone());
    g.outbox = Outbox::new(t.dir.path()).with_from(from).unwrap();
    let r = web::router(state.with_site(g));
    let page = |uri: &str, body: String| {
        let r = r.clone();
        let mut req = Request::builder().uri(uri);
        if !body.is_empty() {
            req = req
                .method("POST")
                .header("content-type", "application/x-www-form-urlencoded");
        }
        async move {
            let resp = r
                .oneshot(req.body(Body::from(body)).unwrap())
                .await
                .unwrap();
            let status = resp.status();
            let b = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(b.to_vec()).unwrap())
        }
    };
    let (s, form) = page("/add", String::new()).await;
    assert_eq!(s, StatusCode::OK);
    let ft = between(&form, "name=\"ft\" value=\"", "\"");
    let fields = [
        ("title", "Sale Letterbox Walkers"),
        ("summary", "A friendly walk round the park, then tea."),
        ("types", "walking"),
        ("modes", "in-person"),
        ("venue_name", "Worthington Park gates"),
        ("venue_address", "Park Road, Sale"),
        ("postcode", "M33 7XW"),
        ("s1_repeat", "weekly"),
        ("s1_day", "tue"),
        ("s1_start", "10:00"),
        ("s1_end", "11:30"),
        ("free", "yes"),
        ("join_method", "drop-in"),
        ("contact_phone", "0161 123 4567"),
        ("your_email", "walks@example.org"),
        ("ft", &ft),
    ];
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let (s, done) = page("/add/send", body).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let reference = between(&done, "<strong id=\"reference\">", "<");
    let link = between(&done, "id=\"private-link\" href=\"", "\"");
    (
        reference,
        link[link.find("/manage/").unwrap()..].to_string(),
    )
}

fn between(s: &str, a: &str, b: &str) -> String {
    let i = s.find(a).unwrap_or_else(|| panic!("no {a} in {s}")) + a.len();
    s[i..i + s[i..].find(b).unwrap()].to_string()
}

#[tokio::test]
async fn a_groups_email_is_sent_over_smtp_and_moved_to_sent() {
    let t = TestApp::with_demo();
    let sink = Sink::start().await;
    let (reference, manage) = add_activity(&t, "Trafford Signpost <hello@signpost.example>").await;
    let outbox = Outbox::new(t.dir.path());
    let also = outbox
        .send(&message(
            "cafe@example.org",
            "Café ☕ is still running?",
            "Line one\n.\nLine three",
        ))
        .unwrap();
    assert_eq!(names(outbox.dir()).len(), 2);

    let smtp = SmtpConfig::from_url(&sink.url()).unwrap();
    let report = deliver_outbox(outbox.dir(), &smtp).await.unwrap();
    assert!(report.all_sent(), "{report}");
    assert_eq!(report.sent.len(), 2, "{report}");
    assert!(names(outbox.dir()).is_empty(), "nothing left to send");
    assert_eq!(names(&outbox.dir().join("sent")).len(), 2);
    assert!(
        !also.exists()
            && outbox
                .dir()
                .join("sent")
                .join(also.file_name().unwrap())
                .exists()
    );

    let got = sink.received();
    assert_eq!(got.len(), 2, "{got:?}");
    let group = got
        .iter()
        .find(|m| m.to == ["walks@example.org"])
        .expect("the group's email arrived");
    assert_eq!(group.from, "hello@signpost.example");
    assert!(
        group
            .data
            .contains("From: \"Trafford Signpost\" <hello@signpost.example>\r\n"),
        "{}",
        group.data
    );
    assert!(group.data.contains("To: walks@example.org\r\n"));
    assert!(group.data.contains("Subject: "), "{}", group.data);
    assert!(group.data.contains(&reference), "{}", group.data);
    assert!(group.data.contains(&manage), "private link in the body");
    // The bytes that arrived are the file's bytes (dot-stuffing undone), unchanged.
    let other = got.iter().find(|m| m.to == ["cafe@example.org"]).unwrap();
    assert_eq!(other.from, "no-reply@signpost.invalid");
    assert!(
        other
            .data
            .to_ascii_lowercase()
            .contains("subject: =?utf-8?b?"),
        "{}",
        other.data
    );
    assert!(
        other
            .data
            .contains("\r\n\r\nLine one\r\n.\r\nLine three\r\n")
    );
    let file =
        std::fs::read_to_string(outbox.dir().join("sent").join(also.file_name().unwrap())).unwrap();
    // (SMTP ends the data with CRLF . CRLF, so a final line break may be doubled.)
    assert_eq!(other.data.trim_end(), file.trim_end());

    // A second round has nothing to do and sends nothing twice.
    let again = deliver_outbox(outbox.dir(), &smtp).await.unwrap();
    assert!(again.sent.is_empty() && again.all_sent(), "{again}");
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test]
async fn with_the_server_down_nothing_is_lost_and_the_next_round_sends() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    for i in 0..3 {
        outbox
            .send(&message(
                &format!("group{i}@example.org"),
                "Your reference",
                "Your private link: http://signpost.test/manage/abc",
            ))
            .unwrap();
    }
    // A port nobody is listening on (bound, then closed).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let smtp = SmtpConfig::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let report = deliver_outbox(outbox.dir(), &smtp).await.unwrap();
    assert!(!report.all_sent());
    assert_eq!(report.deferred.len(), 3, "{report}");
    assert!(
        report.sent.is_empty() && report.failed.is_empty(),
        "{report}"
    );
    assert!(report.to_string().contains("could not reach"), "{report}");
    assert_eq!(names(outbox.dir()).len(), 3, "every message is still there");
    assert!(names(&outbox.dir().join("failed")).is_empty());

    // The server comes up on that port: the next round sends all three. (A round
    // that meets a hiccup leaves what it could not send for the round after, like
    // the server's mailer; three rounds are allowed, and every message must arrive
    // exactly once.)
    let sink = Sink::on(TcpListener::bind(("127.0.0.1", port)).await.unwrap()).await;
    let mut sent = 0;
    let mut reports = Vec::new();
    for _ in 0..3 {
        let report = deliver_outbox(outbox.dir(), &smtp).await.unwrap();
        sent += report.sent.len();
        assert!(report.failed.is_empty(), "{report}");
        let done = report.all_sent();
        reports.push(report.to_string());
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(sent, 3, "{reports:?}");
    assert!(names(outbox.dir()).is_empty());
    let mut to: Vec<String> = sink.received().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "group0@example.org",
            "group1@example.org",
            "group2@example.org"
        ]
    );
}

#[tokio::test]
async fn bad_recipients_go_to_failed_with_a_reason_and_are_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    let bad = outbox
        .send(&message("not an email address", "Hello", "Body"))
        .unwrap();
    let refused = outbox
        .send(&message("refused@example.org", "Hello", "Body"))
        .unwrap();
    let later = outbox
        .send(&message("later@example.org", "Hello", "Body"))
        .unwrap();
    let good = outbox
        .send(&message("fine@example.org", "Hello", "Body"))
        .unwrap();
    // Not an address: set aside at once, never handed to the mail server.
    let failed = outbox.dir().join("failed");
    assert_eq!(bad.parent().unwrap(), failed);
    let sink = Sink::start().await;
    let smtp = SmtpConfig::from_url(&sink.url()).unwrap();
    let report = deliver_outbox(outbox.dir(), &smtp).await.unwrap();
    assert_eq!(report.sent, vec![good.clone()], "{report}");
    assert_eq!(report.failed.len(), 1, "{report}");
    assert_eq!(report.deferred.len(), 1, "{report}");
    assert_eq!(report.deferred[0].0, later);

    let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
    let in_outbox = outbox.dir().join(name(&refused));
    for (p, why) in [(&bad, "not valid"), (&in_outbox, "refused")] {
        assert!(!in_outbox.exists());
        assert!(failed.join(name(p)).exists());
        let reason =
            std::fs::read_to_string(failed.join(format!("{}.reason.txt", name(p)))).unwrap();
        assert!(reason.contains(why), "{reason}");
    }
    // The temporary refusal stays in the outbox; the failures are not tried again.
    assert_eq!(names(outbox.dir()), vec![name(&later)]);
    let again = deliver_outbox(outbox.dir(), &smtp).await.unwrap();
    assert!(again.failed.is_empty() && again.sent.is_empty(), "{again}");
    assert_eq!(again.deferred.len(), 1);
    assert_eq!(sink.received().len(), 1, "only the good message arrived");
}

#[tokio::test]
async fn a_bad_smtp_url_is_a_clear_error_without_the_password() {
    let e = SmtpConfig::from_url("imap://me:hunter2@mail.example.org")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not valid") && e.contains("smtp://"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    assert!(SmtpConfig::from_url("smtp://me:pw@mail.example.org:587?tls=required").is_ok());
    assert!(SmtpConfig::from_url("smtps://me:pw@mail.example.org").is_ok());
    // A password over plain SMTP is refused before anything connects.
    let e = SmtpConfig::from_url("smtp://me:hunter2@mail.example.org:587")
        .unwrap_err()
        .to_string();
    assert!(e.contains("tls=required") && !e.contains("hunter2"), "{e}");
    assert!(SmtpConfig::from_url("smtp://127.0.0.1:2525").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signpost_send_mail_sends_once_and_says_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    outbox
        .send(&message(
            "walks@example.org",
            "Your reference A000001",
            "Link",
        ))
        .unwrap();
    let run = |url: Option<String>| {
        let data = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_signpost"));
            c.arg("send-mail")
                .env("SIGNPOST_DATA_DIR", &data)
                .env_remove("SIGNPOST_SMTP_URL");
            if let Some(u) = url {
                c.args(["--smtp-url", &u]);
            }
            c.output().unwrap()
        })
    };
    // Without a server configured: a clear error, nothing touched.
    let out = run(None).await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SMTP server configured"));
    // Server down: exit status 1, the message stays.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let out = run(Some(format!("smtp://127.0.0.1:{port}"))).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("left for later 1"), "{stdout}");
    assert_eq!(names(outbox.dir()).len(), 1);
    // Server up: sent, exit status 0.
    let sink = Sink::start().await;
    let out = run(Some(sink.url())).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("sent 1, failed 0, left for later 0"),
        "{stdout}"
    );
    assert!(names(outbox.dir()).is_empty());
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["walks@example.org"]);
    assert!(got[0].data.contains("Subject: Your reference A000001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_an_smtp_url_sends_the_outbox_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    outbox
        .send(&message(
            "walks@example.org",
            "Is your activity still running?",
            "Yes or no",
        ))
        .unwrap();
    let sink = Sink::start().await;
    let config = dir.path().join("signpost.toml");
    std::fs::write(&config, "mail_every_seconds = 1\n").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_signpost"))
        .args(["serve", "--no-demo", "--addr", "127.0.0.1:0"])
        .env("SIGNPOST_DATA_DIR", dir.path())
        .env("SIGNPOST_CONFIG", &config)
        .env("SIGNPOST_SMTP_URL", sink.url())
        .env("SIGNPOST_MAIL_FROM", "Signpost <hello@signpost.example>")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Sent, then moved to sent/ once the server accepted it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while names(&outbox.dir().join("sent")).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(names(&outbox.dir().join("sent")).len(), 1);
    assert!(names(outbox.dir()).is_empty());
    let got = sink.received();
    assert_eq!(got.len(), 1, "serve sent the outbox once");
    assert_eq!(got[0].to, ["walks@example.org"]);
    assert!(
        got[0]
            .data
            .contains("Subject: Is your activity still running?")
    );
}

#[tokio::test]
async fn sent_emails_are_deleted_after_the_keeping_period_failed_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path());
    // Nothing sent yet: nothing to do.
    assert_eq!(prune_sent(outbox.dir(), DAYS_30).unwrap(), 0);
    // A message written long ago and sent now counts from when it was sent.
    outbox
        .send(&message(
            "group@example.org",
            "Your reference",
            "Private link",
        ))
        .unwrap();
    let waiting = outbox.dir().join(&names(outbox.dir())[0]);
    age(&waiting, 40);
    let sink = Sink::start().await;
    let report = deliver_outbox(outbox.dir(), &SmtpConfig::from_url(&sink.url()).unwrap())
        .await
        .unwrap();
    assert_eq!(report.sent.len(), 1, "{report}");
    let sent = outbox.dir().join("sent");
    assert_eq!(prune_sent(outbox.dir(), DAYS_30).unwrap(), 0);
    assert_eq!(names(&sent).len(), 1, "just sent: kept");
    // Sent forty days ago: deleted; anything that is not a message, and failed/, kept.
    let old = sent.join(&names(&sent)[0]);
    age(&old, 40);
    std::fs::write(sent.join("README.txt"), "operator notes").unwrap();
    age(&sent.join("README.txt"), 40);
    let failed = outbox.dir().join("failed");
    std::fs::create_dir_all(&failed).unwrap();
    std::fs::write(failed.join("x.eml"), "To: nobody").unwrap();
    age(&failed.join("x.eml"), 400);
    assert_eq!(prune_sent(outbox.dir(), DAYS_30).unwrap(), 1);
    assert_eq!(names(&sent), ["README.txt"]);
    assert_eq!(names(&failed), ["x.eml"]);
}

const DAYS_30: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// Sets a file's modified time to `days` ago.
fn age(path: &Path, days: u64) {
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    std::fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// A graceful stop (SIGTERM) makes one last delivery pass: an email written just
/// before is sent, not left waiting for the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_flushes_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    let config = dir.path().join("signpost.toml");
    std::fs::write(&config, "mail_every_seconds = 3600\n").unwrap();
    let url = sink.url();
    let mut server = common::server::start(
        dir.path(),
        &["--smtp-url", &url, "--config", config.to_str().unwrap()],
    );
    // The first round runs at the start; the next would be an hour away.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let outbox = Outbox::new(dir.path());
    outbox
        .send(&message(
            "walks@example.org",
            "Written before the stop",
            "Hello",
        ))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(sink.received().is_empty());
    server.signal("TERM");
    let status =
        tokio::task::block_in_place(|| server.exited_within(std::time::Duration::from_secs(15)));
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "{}", server.log());
    let got = sink.received();
    assert_eq!(got.len(), 1, "{}", server.log());
    assert!(got[0].data.contains("Subject: Written before the stop"));
    assert_eq!(names(&outbox.dir().join("sent")).len(), 1);
}
