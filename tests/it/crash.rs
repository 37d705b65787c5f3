//! Crash test: the real `signpost serve` binary is killed with SIGKILL in the middle of
//! a burst of submissions over real HTTP, restarted on the same data directory, and
//! every submission whose confirmation page (with its reference) was received must be
//! in the moderation queue.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::enc;

/// Starts the server on a free port; returns it and its base URL.
fn start(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_signpost"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
            "--posts-per-minute",
            "0",
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(i) = line.find("ready at http://") {
                let rest = &line[i + "ready at ".len()..];
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server started");
    (child, base)
}

fn between(s: &str, a: &str, b: &str) -> Option<String> {
    let i = s.find(a)? + a.len();
    Some(s[i..i + s[i..].find(b)?].to_string())
}

/// The signed form token (`ft`) of the form page at `url`.
async fn form_token(client: &reqwest::Client, url: &str) -> String {
    let page = client.get(url).send().await.unwrap().text().await.unwrap();
    between(&page, "name=\"ft\" value=\"", "\"").unwrap()
}

fn form(title: &str, ft: &str) -> String {
    [
        ("title", title),
        ("summary", "Crash test listing"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_confirmed_submission_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = start(dir.path());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ft = form_token(&client, &format!("{base}/add")).await;

    let confirmed: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let (client, base, ft, confirmed, stop) = (
            client.clone(),
            base.clone(),
            ft.clone(),
            confirmed.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            // Bounded: at most 500 requests per worker.
            while !stop.load(Ordering::SeqCst) && n < 500 {
                n += 1;
                let title = format!("Crash walk {worker}-{n}");
                let Ok(resp) = client
                    .post(format!("{base}/add/send"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(&title, &ft))
                    .send()
                    .await
                else {
                    break;
                };
                if resp.status() != 200 {
                    continue;
                }
                let Ok(body) = resp.text().await else { break };
                if let Some(r) = between(&body, "<strong id=\"reference\">", "<") {
                    confirmed.lock().unwrap().push(format!("{r}: {title}"));
                }
            }
        }));
    }
    // Kill without warning once submissions are flowing.
    let started = Instant::now();
    while confirmed.lock().unwrap().len() < 30 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(
        confirmed.len() >= 30,
        "only {} confirmations before the kill",
        confirmed.len()
    );

    // A moderator, then the server again on the same data directory.
    let status = Command::new(env!("CARGO_BIN_EXE_signpost"))
        .args(["add-moderator", "crash", "--data-dir"])
        .arg(dir.path())
        .env("SIGNPOST_MODERATOR_PASSWORD", "a long crash-test password")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let (mut child, base) = start(dir.path());
    let ft = form_token(&client, &format!("{base}/moderate/login")).await;
    let resp = client
        .post(format!("{base}/moderate/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "ft={}&username=crash&password={}",
            enc(&ft),
            enc("a long crash-test password")
        ))
        .send()
        .await
        .unwrap();
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
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let missing: Vec<&String> = confirmed
        .iter()
        .filter(|c| !queue.contains(c.as_str()))
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        missing.is_empty(),
        "{} of {} confirmed submissions lost: {missing:?}",
        missing.len(),
        confirmed.len()
    );
}
