//! Crash test: the real `signpost serve` binary is killed with SIGKILL in the middle of
//! a burst of submissions over real HTTP, restarted on the same data directory, and
//! every submission whose confirmation page (with its reference) was received must be
//! in the moderation queue.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::server::{add_form as form, client, form_token, reference, sign_in, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_confirmed_submission_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = start(dir.path(), &[]);
    let base = first.base.clone();
    let client = client();
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
                if let Some(r) = reference(&body) {
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
    first.signal("KILL");
    first.child.wait().unwrap();
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
    let server = start(dir.path(), &[]);
    let base = server.base.clone();
    let queue = sign_in(&client, &base, "crash", "a long crash-test password")
        .await
        .queue;
    let missing: Vec<&String> = confirmed
        .iter()
        .filter(|c| !queue.contains(c.as_str()))
        .collect();
    drop(server);
    assert!(
        missing.is_empty(),
        "{} of {} confirmed submissions lost: {missing:?}",
        missing.len(),
        confirmed.len()
    );
}
