//! Accessibility in a real browser: axe-core on every page type (the moderator's
//! pages too, signed in), reflow at 320 px and 200% zoom, and the keyboard-only, JavaScript-off journey from search to a printed
//! handout; results on the first screen of a phone and a desktop; the link worker's and
//! the person's journeys with their actions and scrolling counted. With
//! `SIGNPOST_SCREENSHOTS=1` it also regenerates `docs/search-phone.png` and
//! `docs/search-desktop.png`. The checks live in `tests/browser/check.mjs` (Playwright driving Debian's
//! Chromium); this test serves the real router with the demo content and runs them.
//!
//! Needs `/usr/bin/chromium` (`apt-get install chromium`, as `.ci/run` does) and Node;
//! the npm packages are installed from `tests/browser/package-lock.json` on first run.
//! Set `SIGNPOST_SKIP_BROWSER=1` to skip on a machine without a browser: the test
//! fails, rather than passing quietly, when the browser is missing.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_pass_axe_reflow_and_the_keyboard_journey_in_chromium() {
    if std::env::var_os("SIGNPOST_SKIP_BROWSER").is_some() {
        eprintln!("SIGNPOST_SKIP_BROWSER is set: browser checks skipped");
        return;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "browser tests need Chromium at {chromium}: run `apt-get install chromium` (.ci/run does), \
         or set SIGNPOST_SKIP_BROWSER=1"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !dir.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the browser tests");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }

    let t = TestApp::with_demo();
    let (moderator, password) = ("browser-moderator", "a long test password 42");
    t.app
        .store
        .set_moderator(moderator, &signpost::web::hash_password(password).unwrap())
        .unwrap();
    // A council record that fits none of the types, so "Needs a category" has an item.
    t.import_one(
        "council",
        serde_json::json!({
            "title": "Pest control",
            "description": "The council deals with rats and wasps' nests.",
            "provenance": {"source_id": "pc-1"}
        }),
    );
    let v = t.search("q=walking&near=M33&mode=in-person").await;
    let ids = common::ids(&v);
    let (a, b) = (ids[0], ids[1]);
    let four = ids[..4]
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(".");
    let base = common::fake_http::serve(t.router.clone()).await;

    let code = |n: i64| {
        let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let (mut n, mut out) = (n, Vec::new());
        while n > 0 {
            out.push(digits[(n % 36) as usize]);
            n /= 36;
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    };
    let paths = vec![
        "/".to_string(),
        "/categories".into(),
        "/add".into(),
        "/moderate/login".into(),
        "/search?q=walking&near=M33&within=5".into(),
        "/search?q=zzzqqq&near=M33&free=1".into(),
        "/search?q=walking&near=Sale&within=3&free=1&day=mon".into(),
        // Filters read from the words, with the note that says so.
        "/search?q=walking&near=Sale&within=5&free=1&day=mon&time=morning&typed=free+walking+on+Monday+mornings+near+Sale".into(),
        "/search?near=QQ1+1QQ".into(),
        // Matches that run out, then "Close to your search"; "Did you mean".
        "/search?q=knitting+circle".into(),
        "/search?q=bereavment".into(),
        "/search?q=walking&page=99".into(),
        "/search?q=I+want+to+kill+myself".into(),
        format!("/listings/{a}?s={b}"),
        // The demo listing that says how to get there, who leads it and where to meet.
        "/listings/1".into(),
        format!("/listings/{a}/report"),
        "/shortlist".into(),
        format!("/shortlist?s={a}.{b}"),
        format!("/shortlist/print?s={a}.{b}"),
        format!("/shortlist/print?s={a}.{b}&size=large"),
        format!("/shortlist/print?s={four}"),
        format!("/h/{}-{}", code(a), code(b)),
        "/about".into(),
        "/privacy".into(),
        "/accessibility".into(),
        "/openactive".into(),
        "/no/such/page".into(),
    ];
    // `SIGNPOST_SCREENSHOTS=1` also writes the README's screenshots into docs/.
    let screenshots = std::env::var_os("SIGNPOST_SCREENSHOTS")
        .map(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs"));
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("node");
        if let Some(dir) = &screenshots {
            cmd.env("SCREENSHOTS_DIR", dir);
        }
        cmd.arg("check.mjs")
            .arg(&base)
            .args(&paths)
            .env("CHROMIUM", chromium)
            .env("MODERATOR_USER", moderator)
            .env("MODERATOR_PASSWORD", password)
            .current_dir(&dir)
            .output()
            .expect("node is needed for the browser tests")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("keyboard journey without JavaScript: ok"));
    // Results first, and the two journeys counted (check.mjs fails on a first result
    // below the first screen, fewer than three whole cards on a desktop, or a link
    // worker's journey over 8 actions or with a page of scrolling between two).
    for line in [
        "first screen phone: first result at",
        "first screen desktop: first result at",
        "journey link worker phone:",
        "journey link worker desktop:",
        "journey person phone:",
        "journey person desktop:",
    ] {
        assert!(stdout.contains(line), "no \"{line}\" in the output");
    }
    assert_eq!(stdout.matches(": 0 violations").count(), 37);
    assert_eq!(stdout.matches("1 A4 page(s)").count(), 2);
}
