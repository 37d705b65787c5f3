//! Several web nodes, one store of record (issue 15, part 5): two real `signpost serve`
//! processes, each with its own data directory and index, the second following the
//! first (`serve --follow`). What a primary takes (a real council directory imported
//! before it starts, a group's submission approved by a moderator, a listing archived)
//! must show on the follower, with the same ids, and go from it; the follower must
//! refuse every write; and a follower that cannot follow must say why and keep serving.
//!
//! The lag is measured from the moment the primary answered the moderator (the write
//! is committed) to the first search on the follower that shows it. CI measures a few
//! changes; the long measurement is the same test with a count:
//!
//! ```sh
//! SIGNPOST_FOLLOW_CHANGES=300 cargo test --test it follow::lag -- --nocapture
//! ```
//!
//! which prints the lag's p50, p99 and max for listings appearing and disappearing.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::free_port;
use crate::common::server::{
    Server, Session, add_form, client, form_token, post_form, reference, sign_in, start,
};
use crate::common::{enc, shared, signpost_cmd, succeeded};

const TOKEN: &str = "follow-test-secret-0123456789";
const PASSWORD: &str = "a long follow-test password";
/// Longest a change may take to reach the follower in these tests (the measured lag
/// is milliseconds; this leaves room for a loaded CI machine).
const BOUND: Duration = Duration::from_secs(10);

/// A config file with the follow token, in `dir`.
fn config(dir: &Path) -> String {
    let p = dir.join("signpost.toml");
    std::fs::write(&p, format!("follow_token = \"{TOKEN}\"\n")).unwrap();
    p.to_str().unwrap().to_string()
}

/// The primary, with a moderator made the way an operator makes one.
fn primary(dir: &Path) -> Server {
    let data = dir.join("a");
    succeeded(
        &signpost_cmd(&data)
            .args(["add-moderator", "fran"])
            .env("SIGNPOST_MODERATOR_PASSWORD", PASSWORD)
            .output()
            .unwrap(),
    );
    start(&data, &["--config", &config(dir)])
}

/// A follower of `primary` on its own data directory `dir/name`.
fn follower(dir: &Path, name: &str, primary: &str) -> Server {
    start(
        &dir.join(name),
        &["--config", &config(dir), "--follow", primary],
    )
}

async fn json(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

/// Whether a search for `word` on `base` lists a listing titled `title`.
async fn shows(c: &reqwest::Client, base: &str, word: &str, title: &str) -> bool {
    let v = json(c, format!("{base}/api/search?q={word}")).await;
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["title"] == title)
}

/// Polls `base` until a search for `word` shows `title` (or stops showing it), and
/// returns how long that took from `since`; fails past [`BOUND`].
async fn until_shown(
    c: &reqwest::Client,
    base: &str,
    word: &str,
    title: &str,
    wanted: bool,
    since: Instant,
) -> Duration {
    loop {
        if shows(c, base, word, title).await == wanted {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < BOUND,
            "{title} was {} on the follower after {BOUND:?}",
            if wanted { "not shown" } else { "still shown" }
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A word no listing has, made of letters only (so it is one word to the index).
fn word(n: usize) -> String {
    let mut s = String::from("zorvex");
    let mut n = n;
    loop {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

/// A group sends `title` to the primary and the moderator approves it; returns the
/// moment the approval was answered (committed) and the new listing's id.
async fn add_and_approve(
    c: &reqwest::Client,
    a: &str,
    s: &Session,
    title: &str,
    word: &str,
) -> (Instant, i64) {
    let ft = form_token(c, &format!("{a}/add")).await;
    let page = post_form(c, &format!("{a}/add/send"), add_form(title, &ft), None)
        .await
        .text()
        .await
        .unwrap();
    let r = reference(&page).unwrap_or_else(|| panic!("no reference: {page}"));
    let id = signpost::groups::parse_reference(&r).unwrap();
    let resp = post_form(
        c,
        &format!("{a}/moderate/submissions/{id}/approve"),
        format!("csrf={}", enc(&s.csrf)),
        Some(&s.cookie),
    )
    .await;
    let at = Instant::now();
    assert_eq!(resp.status(), 303, "approving {id}");
    let v = json(c, format!("{a}/api/search?q={word}")).await;
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == title)
        .unwrap_or_else(|| panic!("{title} not found on the primary: {v}"))
        .clone();
    (at, hit["id"].as_i64().unwrap())
}

/// The moderator archives listing `id` on the primary; returns when that was answered.
async fn archive(c: &reqwest::Client, a: &str, s: &Session, id: i64) -> Instant {
    let resp = post_form(
        c,
        &format!("{a}/moderate/listings/{id}/archive"),
        format!("csrf={}", enc(&s.csrf)),
        Some(&s.cookie),
    )
    .await;
    let at = Instant::now();
    assert_eq!(resp.status(), 303, "archiving {id}");
    at
}

/// Waits until both nodes index the same number of listings; returns how long.
async fn caught_up(c: &reqwest::Client, a: &str, b: &str) -> Duration {
    let started = Instant::now();
    loop {
        let na = json(c, format!("{a}/healthz")).await["listings_indexed"].clone();
        let nb = json(c, format!("{b}/healthz")).await["listings_indexed"].clone();
        if na == nb {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the follower has {nb} listings, the primary {na}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_shows_the_primarys_listings_changes_and_removals_and_takes_no_writes() {
    let dir = tempfile::tempdir().unwrap();
    // A real council directory, imported before the primary starts. Its source has
    // no `republish`, so the primary's public OpenActive feed leaves it out.
    let out = signpost_cmd(&dir.path().join("a"))
        .arg("import")
        .arg(shared(
            "quality/north-lincolnshire-council_oruk1_services_2024-12.json",
        ))
        .args(["--source-name", "north-lincolnshire", "--area", "E06000013"])
        .output()
        .unwrap();
    succeeded(&out);
    let a = primary(dir.path());
    let b = follower(dir.path(), "b", &a.base);
    let c = client();

    let took = caught_up(&c, &a.base, &b.base).await;
    let n = json(&c, format!("{}/healthz", b.base)).await["listings_indexed"].clone();
    println!("follower caught up with {n} listings in {:.0} ms", ms(took));
    assert!(n.as_u64().unwrap() > 700, "{n}");

    // Everything, with the same ids and the same content: a listing's address, a
    // shortlist or a QR code works whichever node answers.
    let hits = json(&c, format!("{}/api/search?q=support&page=2", a.base)).await;
    for h in hits["hits"].as_array().unwrap() {
        let id = h["id"].as_i64().unwrap();
        let on_a = json(&c, format!("{}/api/listings/{id}", a.base)).await;
        let on_b = json(&c, format!("{}/api/listings/{id}", b.base)).await;
        assert_eq!(on_a, on_b, "listing {id}");
    }
    for q in ["", "q=walking", "q=carers&near=DN15"] {
        let on_a = json(&c, format!("{}/api/search?{q}", a.base)).await;
        let on_b = json(&c, format!("{}/api/search?{q}", b.base)).await;
        assert_eq!(on_a, on_b, "search {q}");
    }
    // …including what the public feed leaves out.
    let feed = json(&c, format!("{}/openactive/rpde/session-series", a.base)).await;
    assert_eq!(feed["items"].as_array().unwrap().len(), 0, "{feed}");

    // A group's submission, approved on the primary, appears on the follower; archived,
    // it goes.
    let session = sign_in(&c, &a.base, "fran", PASSWORD).await;
    let w = word(1);
    let title = format!("Followcheck {w} walk");
    let (approved, id) = add_and_approve(&c, &a.base, &session, &title, &w).await;
    let appeared = until_shown(&c, &b.base, &w, &title, true, approved).await;
    let on_b = json(&c, format!("{}/api/listings/{id}", b.base)).await;
    assert_eq!(on_b["title"], title.as_str());
    let archived = archive(&c, &a.base, &session, id).await;
    let gone = until_shown(&c, &b.base, &w, &title, false, archived).await;
    println!(
        "follow lag: approved listing shown after {:.0} ms, archived listing gone after {:.0} ms",
        ms(appeared),
        ms(gone)
    );
    let page = c
        .get(format!("{}/listings/{id}", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        404,
        "an archived listing's page on the follower"
    );

    // A follower has no follow feed of its own: followers follow the primary.
    let feed = c
        .get(format!("{}/follow/changes", b.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 404);

    // The follower takes no writes: the form, a group's link, moderation and every
    // POST are refused with a page saying nothing was saved.
    for path in ["/add", "/moderate", "/moderate/login", "/manage/abc"] {
        let r = c.get(format!("{}{path}", b.base)).send().await.unwrap();
        assert_eq!(r.status(), 503, "GET {path}");
        assert!(r.headers().contains_key("retry-after"));
        let body = r.text().await.unwrap();
        assert!(body.contains("Nothing you sent was saved"), "{body}");
    }
    let ft = form_token(&c, &format!("{}/add", a.base)).await;
    let sent = post_form(
        &c,
        &format!("{}/add/send", b.base),
        add_form("Refused on the follower", &ft),
        None,
    )
    .await;
    assert_eq!(sent.status(), 503);
    let report = post_form(
        &c,
        &format!("{}/listings/{id}/report", b.base),
        "reason=closed&details=x".into(),
        None,
    )
    .await;
    assert_eq!(report.status(), 503);
    // Nothing was stored on either node.
    for node in ["a", "b"] {
        let db = rusqlite::Connection::open(dir.path().join(node).join("signpost.db")).unwrap();
        let (subs, reports): (i64, i64) = db
            .query_row(
                "SELECT (SELECT COUNT(*) FROM submissions), (SELECT COUNT(*) FROM reports)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let want = if node == "a" { 1 } else { 0 };
        assert_eq!((subs, reports), (want, 0), "node {node}");
    }

    // The primary stops promptly although the follower is waiting on it, and the
    // follower says so and goes on answering searches with what it has.
    let mut a = a;
    let stopping = Instant::now();
    a.signal("TERM");
    assert!(
        a.exited_within(Duration::from_secs(8)).is_some(),
        "the primary did not stop"
    );
    println!("primary stopped in {:.0} ms", ms(stopping.elapsed()));
    assert!(
        b.logs_within("cannot reach the primary", Duration::from_secs(10)),
        "{}",
        b.log()
    );
    let v = json(&c, format!("{}/api/search?q=walking", b.base)).await;
    assert!(v["total"].as_u64().unwrap() > 0, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_that_cannot_follow_says_why_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let a = primary(dir.path());
    let c = client();

    // Nobody at the address.
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let lost = follower(dir.path(), "lost", &nobody);
    assert!(
        lost.logs_within("cannot reach the primary", Duration::from_secs(10)),
        "{}",
        lost.log()
    );
    assert!(lost.log().contains("keeps serving what it has"));
    let health = c
        .get(format!("{}/healthz", lost.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // The wrong token.
    let wrong_dir = dir.path().join("wrong");
    std::fs::create_dir_all(&wrong_dir).unwrap();
    std::fs::write(
        wrong_dir.join("signpost.toml"),
        "follow_token = \"not-the-primary-token\"\n",
    )
    .unwrap();
    let cfg = wrong_dir.join("signpost.toml");
    let wrong = start(
        &wrong_dir.join("data"),
        &["--config", cfg.to_str().unwrap(), "--follow", &a.base],
    );
    assert!(
        wrong.logs_within("refused this follower's token", Duration::from_secs(10)),
        "{}",
        wrong.log()
    );
    let unauthorised = c
        .get(format!("{}/follow/changes", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
    let bad = c
        .get(format!("{}/follow/changes?wait=99", a.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let said: Value = bad.json().await.unwrap();
    assert!(said["error"].as_str().unwrap().contains("wait"), "{said}");

    // A data directory with listings of its own is not overwritten.
    let own = dir.path().join("own");
    succeeded(
        &signpost_cmd(&own)
            .arg("import")
            .arg(shared(
                "quality/north-lincolnshire-council_oruk1_services_2024-12.json",
            ))
            .args(["--source-name", "nl", "--area", "E06000013"])
            .output()
            .unwrap(),
    );
    let mine = follower(dir.path(), "own", &a.base);
    assert!(
        mine.logs_within("already has listings of its own", Duration::from_secs(10)),
        "{}",
        mine.log()
    );

    // Settings it cannot follow with are refused before it starts.
    let out = signpost_cmd(&dir.path().join("x"))
        .args(["serve", "--no-demo", "--addr", "127.0.0.1:0"])
        .args(["--follow", &a.base])
        .env_remove("SIGNPOST_FOLLOW_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("follow needs follow_token"), "{err}");
    // A primary without a token has no follow feed at all.
    let plain = start(&dir.path().join("plain"), &[]);
    let none = c
        .get(format!("{}/follow/changes", plain.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

/// p-th percentile (0–100) of sorted durations.
fn pct(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn summary(name: &str, lags: &mut [Duration]) -> Duration {
    lags.sort();
    println!(
        "{name}: {} changes, lag p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lags.len(),
        ms(pct(lags, 50)),
        ms(pct(lags, 99)),
        ms(*lags.last().unwrap())
    );
    *lags.last().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_over_many_changes() {
    let changes: usize = std::env::var("SIGNPOST_FOLLOW_CHANGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let a = primary(dir.path());
    let b = follower(dir.path(), "b", &a.base);
    let c = client();
    let session = sign_in(&c, &a.base, "fran", PASSWORD).await;
    let (mut shown, mut gone) = (Vec::new(), Vec::new());
    for i in 0..changes {
        let w = word(i);
        let title = format!("Lagcheck {w} walk");
        let (at, id) = add_and_approve(&c, &a.base, &session, &title, &w).await;
        shown.push(until_shown(&c, &b.base, &w, &title, true, at).await);
        // Every other one is withdrawn again, so the directory grows as it would.
        if i % 2 == 0 {
            let at = archive(&c, &a.base, &session, id).await;
            gone.push(until_shown(&c, &b.base, &w, &title, false, at).await);
        }
    }
    caught_up(&c, &a.base, &b.base).await;
    let worst = summary("approved listing shown on the follower", &mut shown).max(summary(
        "archived listing gone from the follower",
        &mut gone,
    ));
    assert!(worst < BOUND, "{worst:?}");
}
