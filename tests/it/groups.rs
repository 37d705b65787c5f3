//! Groups and moderation through the real router: the "Add your activity" form with the
//! GOV.UK error pattern, check answers, committed submission with reference, private
//! link and outbox email; moderator sign-in, CSRF, throttling, the queue, approve,
//! reject, edit before approving, archive, the audit log; changes through the private
//! link with a field-by-field diff; "still running"; spam defences; hostile input.

use crate::common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::{TestApp, enc, hostile_strings};
use signpost::groups::ListingForm;
use signpost::web::Site;
use signpost::web::{self, AppState};

pub(crate) fn router(t: &TestApp, tweak: impl FnOnce(&mut Site)) -> Router {
    let state = AppState::new(t.app.clone()).with_clock(Arc::new(common::now));
    let mut g = (*state.site).clone();
    g.indexer = Some(t.indexer.clone());
    g.posts_per_minute = 0;
    tweak(&mut g);
    web::router(state.with_site(g))
}

pub(crate) async fn send(
    r: &Router,
    method: &str,
    uri: &str,
    body: &str,
    cookie: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if method == "POST" {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    common::send(r, req.body(Body::from(body.to_string())).unwrap()).await
}

/// The value of a hidden input in a page.
pub(crate) fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    let end = body[start..].find('"').unwrap();
    body[start..start + end].to_string()
}

pub(crate) fn valid(title: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", title.to_string()),
        (
            "summary",
            "A friendly walk round the park, then tea.".into(),
        ),
        ("types", "walking".into()),
        ("modes", "in-person".into()),
        ("venue_name", "Worthington Park gates".into()),
        ("venue_address", "Park Road, Sale".into()),
        ("postcode", "M33 7XW".into()),
        ("s1_repeat", "weekly".into()),
        ("s1_day", "tue".into()),
        ("s1_start", "10:00".into()),
        ("s1_end", "11:30".into()),
        ("free", "yes".into()),
        ("access", "wheelchair".into()),
        ("join_method", "drop-in".into()),
        ("contact_phone", "0161 123 4567".into()),
        ("your_email", "walks@example.org".into()),
    ]
}

pub(crate) fn body_of(pairs: &[(&str, String)], extra: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(extra.iter().copied())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) async fn form_token(r: &Router) -> String {
    let (s, h, body) = send(r, "GET", "/add", "", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get("set-cookie").is_none(),
        "the public form sets no cookie"
    );
    hidden(&body, "ft")
}

/// Sends a valid listing; returns (reference, private link path).
async fn submit(r: &Router, title: &str) -> (String, String) {
    submit_pairs(r, &valid(title)).await
}

/// Sends the form as `pairs`, which must be right; returns (reference, private link
/// path).
async fn submit_pairs(r: &Router, pairs: &[(&str, String)]) -> (String, String) {
    let ft = form_token(r).await;
    let (s, _, body) = send(
        r,
        "POST",
        "/add/send",
        &body_of(pairs, &[("ft", &ft)]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let reference = between(&body, "<strong id=\"reference\">", "<");
    let link = between(&body, "id=\"private-link\" href=\"", "\"");
    let path = link[link.find("/manage/").unwrap()..].to_string();
    (reference, path)
}

pub(crate) fn between(s: &str, a: &str, b: &str) -> String {
    let i = s.find(a).unwrap_or_else(|| panic!("no {a} in {s}")) + a.len();
    s[i..i + s[i..].find(b).unwrap()].to_string()
}

fn outbox(t: &TestApp) -> Vec<String> {
    let dir = t.dir.path().join("outbox");
    let mut out: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| (e.path(), std::fs::read_to_string(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter().map(|(_, s)| s).collect()
}

/// Adds a moderator and signs in; returns (cookie, csrf).
pub(crate) async fn sign_in(t: &TestApp, r: &Router) -> (String, String) {
    let hash = web::hash_password("correct horse battery").unwrap();
    t.app.store.set_moderator("sam", &hash).unwrap();
    let (_, _, page) = send(r, "GET", "/moderate/login", "", None).await;
    let ft = hidden(&page, "ft");
    let (s, h, _) = send(
        r,
        "POST",
        "/moderate/login",
        &format!(
            "ft={}&username=sam&password=correct+horse+battery",
            enc(&ft)
        ),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let set = h["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let (s, _, queue) = send(r, "GET", "/moderate", "", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK);
    (cookie, hidden(&queue, "csrf"))
}

/// A moderator POST carrying only the session's CSRF token.
pub(crate) async fn moderator_post(
    r: &Router,
    uri: &str,
    cookie: &str,
    csrf: &str,
) -> (StatusCode, HeaderMap, String) {
    send(r, "POST", uri, &format!("csrf={csrf}"), Some(cookie)).await
}

/// A listing a group sent and a signed-in moderator approved.
struct Approved {
    manage: String,
    cookie: String,
    csrf: String,
    id: i64,
    lid: i64,
}

/// Submits `title`, signs a moderator in and approves it.
async fn submit_and_approve(t: &TestApp, r: &Router, title: &str) -> Approved {
    approve_pairs(t, r, &valid(title)).await
}

/// Sends the form as `pairs`, signs a moderator in and approves it.
async fn approve_pairs(t: &TestApp, r: &Router, pairs: &[(&str, String)]) -> Approved {
    let (reference, manage) = submit_pairs(r, pairs).await;
    let (cookie, csrf) = sign_in(t, r).await;
    let id = signpost::groups::parse_reference(&reference).unwrap();
    moderator_post(
        r,
        &format!("/moderate/submissions/{id}/approve"),
        &cookie,
        &csrf,
    )
    .await;
    let lid = t
        .app
        .store
        .submission(id)
        .unwrap()
        .unwrap()
        .listing_id
        .unwrap();
    Approved {
        manage,
        cookie,
        csrf,
        id,
        lid,
    }
}

#[tokio::test]
async fn empty_form_shows_every_problem_linked_and_keeps_what_was_typed() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let typed = "Café Ünïcödé 🚶 walk";
    let (s, h, body) = send(
        &r,
        "POST",
        "/add",
        &format!(
            "title={}&postcode=ZZ99+9ZZ&s1_repeat=weekly&description={}",
            enc(typed),
            enc("  spaced  ")
        ),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(h.get("set-cookie").is_none());
    assert!(body.contains("<title>Error: Add your activity"));
    assert!(body.contains("There is a problem"));
    for field in [
        "types",
        "modes",
        "postcode",
        "s1_day",
        "s1_start",
        "free",
        "join_method",
        "contact_phone",
    ] {
        assert!(
            body.contains(&format!("href=\"#{field}\"")),
            "summary links to {field}"
        );
        assert!(
            body.contains(&format!("id=\"{field}-error\"")),
            "inline message for {field}"
        );
        assert!(
            body.contains(&format!("id=\"{field}\"")),
            "{field} exists to link to"
        );
    }
    assert!(
        body.contains(&format!("value=\"{typed}\"")),
        "the title is kept"
    );
    assert!(body.contains(">  spaced  </textarea>"), "text kept exactly");
    // A postcode in a good shape that does not exist is named.
    let mut pairs = valid("x");
    pairs.retain(|(k, _)| *k != "postcode");
    pairs.push(("postcode", "ZE99 9ZZ".into()));
    let (_, _, body) = send(&r, "POST", "/add", &body_of(&pairs, &[]), None).await;
    assert!(
        body.contains("We could not find the postcode ZE99 9ZZ"),
        "{body}"
    );
}

#[tokio::test]
async fn a_group_adds_an_activity_and_a_moderator_publishes_it() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let title = "Sale Zebracrossing Walkers";
    // Check your answers shows what was typed and carries it in hidden fields.
    let (s, _, check) = send(&r, "POST", "/add", &body_of(&valid(title), &[]), None).await;
    assert_eq!(s, StatusCode::OK, "{check}");
    assert!(check.contains("Check your answers before sending"));
    assert!(check.contains("We found the postcode M33 7XW"));
    assert_eq!(hidden(&check, "title"), title);
    assert!(check.contains("Every week") && check.contains("Tuesday"));
    // "Change" goes back to the form with everything kept.
    let (s, _, back) = send(
        &r,
        "POST",
        "/add",
        &body_of(&valid(title), &[("change", "title")]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(back.contains(&format!("value=\"{title}\"")) && !back.contains("There is a problem"));

    let (reference, manage) = submit(&r, title).await;
    assert!(reference.starts_with('A'), "{reference}");
    // Committed before the confirmation, exactly as typed.
    let id = signpost::groups::parse_reference(&reference).unwrap();
    let sub = t.app.store.submission(id).unwrap().unwrap();
    assert_eq!(sub.status, "pending");
    let form: ListingForm = serde_json::from_str(&sub.form).unwrap();
    assert_eq!(form.get("title"), title);
    // The edit token is stored hashed, never in clear.
    let token = manage.trim_start_matches("/manage/");
    let conn = rusqlite::Connection::open(t.dir.path().join("signpost.db")).unwrap();
    let in_clear: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM edit_tokens WHERE token_hash = ?1",
            [token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_clear, 0);
    // The email with the reference and link is in the outbox.
    let mail = outbox(&t);
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("To: walks@example.org")
            && mail[0].contains(&reference)
            && mail[0].contains(&manage)
    );
    // Not public until approved.
    assert_eq!(t.search("q=zebracrossing").await["total"], 0);

    let (cookie, csrf) = sign_in(&t, &r).await;
    let (_, _, queue) = send(&r, "GET", "/moderate", "", Some(&cookie)).await;
    assert!(queue.contains(&reference) && queue.contains(title));
    let (s, _, page) = send(
        &r,
        "GET",
        &format!("/moderate/submissions/{id}"),
        "",
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Approve") && page.contains("Reason for rejecting"));
    // Without the CSRF token nothing happens.
    let (s, _, _) = send(
        &r,
        "POST",
        &format!("/moderate/submissions/{id}/approve"),
        "csrf=wrong",
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        t.app.store.submission(id).unwrap().unwrap().status,
        "pending"
    );
    // Approve: in search at once (the response comes after the index is updated).
    let started = std::time::Instant::now();
    let (s, _, _) = moderator_post(
        &r,
        &format!("/moderate/submissions/{id}/approve"),
        &cookie,
        &csrf,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let hits = t.search("q=zebracrossing").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(hits["total"], 1, "{hits}");
    assert_eq!(hits["hits"][0]["title"], title);
    let (_, _, audit) = send(&r, "GET", "/moderate/audit", "", Some(&cookie)).await;
    assert!(
        audit.contains("approve new listing")
            && audit.contains("sam")
            && audit.contains(&reference)
    );
    assert!(outbox(&t).iter().any(|m| m.contains("approved")));
    // Archive: it leaves search, logged.
    let lid = hits["hits"][0]["id"].as_i64().unwrap();
    let (s, _, _) = moderator_post(
        &r,
        &format!("/moderate/listings/{lid}/archive"),
        &cookie,
        &csrf,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(t.search("q=zebracrossing").await["total"], 0);
    let (_, _, audit) = send(&r, "GET", "/moderate/audit", "", Some(&cookie)).await;
    assert!(audit.contains("archive"));
    // Sign out ends the session.
    let (s, h, _) = moderator_post(&r, "/moderate/logout", &cookie, &csrf).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (s, h, _) = send(&r, "GET", "/moderate", "", Some(&cookie)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/moderate/login");
}

/// While the server rebuilds a large index it holds the index writer for minutes (331 s
/// at 1.15M listings under load). A moderator's approval must not wait for it: the page
/// answers within a few seconds with the approval stored, and the listing becomes
/// searchable when the writer is free.
#[tokio::test(flavor = "multi_thread")]
async fn approving_while_the_index_writer_is_busy_answers_and_indexes_later() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let (reference, _) = submit(&r, "Sale Busywriter Walkers").await;
    let (cookie, csrf) = sign_in(&t, &r).await;
    let id = signpost::groups::parse_reference(&reference).unwrap();

    // Hold the writer, as a rebuild does, until told to let go.
    let (held, let_go) = (
        std::sync::mpsc::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    let writer = t.indexer.clone();
    let holder = std::thread::spawn(move || {
        let _guard = writer.lock().unwrap();
        held.0.send(()).unwrap();
        let_go.1.recv().ok();
    });
    held.1.recv().unwrap();

    let started = std::time::Instant::now();
    let approve = format!("/moderate/submissions/{id}/approve");
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        moderator_post(&r, &approve, &cookie, &csrf),
    )
    .await;
    let took = started.elapsed();
    let (s, _, _) = answer.expect("the approval waited for the busy index writer");
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        took < std::time::Duration::from_secs(6),
        "the page answered after {took:?}"
    );
    let sub = t.app.store.submission(id).unwrap().unwrap();
    assert_eq!(sub.status, "approved", "the approval is stored");
    let lid = sub.listing_id.expect("the listing is stored");
    assert_eq!(t.listing(lid).status, signpost::listing::Status::Published);
    assert_eq!(
        t.search("q=busywriter").await["total"],
        0,
        "not indexed yet"
    );

    let_go.0.send(()).unwrap();
    holder.join().unwrap();
    // What the server's index follower does on its next tick.
    t.sync();
    let hits = t.search("q=busywriter").await;
    assert_eq!(hits["total"], 1, "{hits}");
}

#[tokio::test]
async fn changes_through_the_private_link_wait_for_a_moderator_and_show_a_diff() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let Approved {
        manage,
        cookie,
        csrf,
        id,
        lid,
    } = submit_and_approve(&t, &r, "Quokka Knitting Circle").await;

    let (s, _, page) = send(&r, "GET", &manage, "", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Your listing is live") && page.contains("Quokka Knitting Circle"));
    let (s, _, edit) = send(&r, "GET", &format!("{manage}/edit"), "", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        edit.contains("value=\"Quokka Knitting Circle\""),
        "prefilled"
    );
    let ft = hidden(&edit, "ft");
    let mut changed = valid("Quokka Knitting and Quokkanatter");
    changed.retain(|(k, _)| *k != "s1_day");
    changed.push(("s1_day", "thu".into()));
    let (s, _, done) = send(
        &r,
        "POST",
        &format!("{manage}/send"),
        &body_of(&changed, &[("ft", &ft)]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert!(done.contains("Change sent"));
    // The live listing stays as it was.
    assert_eq!(t.listing(lid).title, "Quokka Knitting Circle");
    let edit_id = t.app.store.pending_submissions().unwrap()[0].id;
    let (_, _, diff) = send(
        &r,
        "GET",
        &format!("/moderate/submissions/{edit_id}"),
        "",
        Some(&cookie),
    )
    .await;
    assert!(
        diff.contains("<del>Quokka Knitting Circle</del>")
            && diff.contains("<ins>Quokka Knitting and Quokkanatter</ins>"),
        "{diff}"
    );
    assert!(diff.contains("<del>Tuesday</del>") && diff.contains("<ins>Thursday</ins>"));
    assert!(
        !diff.contains("Venue postcode"),
        "unchanged fields are not in the diff"
    );
    moderator_post(
        &r,
        &format!("/moderate/submissions/{edit_id}/approve"),
        &cookie,
        &csrf,
    )
    .await;
    let l = t.listing(lid);
    assert_eq!(l.title, "Quokka Knitting and Quokkanatter");
    assert_eq!(l.provenance.source_id, format!("sub-{id}"));
    assert_eq!(t.search("q=quokkanatter").await["total"], 1);

    // Still running: one click refreshes last checked.
    let before = l.provenance.verified_at.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_, _, page) = send(&r, "GET", &manage, "", None).await;
    let ft = hidden(&page, "ft");
    let (s, _, thanks) = send(
        &r,
        "POST",
        &format!("{manage}/still-running"),
        &format!("ft={}", enc(&ft)),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{thanks}");
    assert!(t.listing(lid).provenance.verified_at.unwrap() > before);
    // Unknown or malformed links are simply not found.
    for bad in [
        "/manage/abc",
        "/manage/../../etc/passwd",
        &format!("/manage/{}", "0".repeat(64)),
    ] {
        let (s, _, _) = send(&r, "GET", bad, "", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn reject_sends_the_reason_and_edit_before_approving_is_logged() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let (reference, _) = submit(&r, "Wombat Watercolours").await;
    let (reference2, _) = submit(&r, "Numbat Nattering").await;
    let (cookie, csrf) = sign_in(&t, &r).await;
    let id = signpost::groups::parse_reference(&reference).unwrap();
    let (s, _, page) = send(
        &r,
        "POST",
        &format!("/moderate/submissions/{id}/reject"),
        &format!("csrf={csrf}&reason="),
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("Enter a reason"));
    let (s, _, _) = send(
        &r,
        "POST",
        &format!("/moderate/submissions/{id}/reject"),
        &format!(
            "csrf={csrf}&reason={}",
            enc("This is a business, not a group")
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        outbox(&t)
            .iter()
            .any(|m| m.contains("This is a business, not a group")
                && m.contains("To: walks@example.org"))
    );

    let id2 = signpost::groups::parse_reference(&reference2).unwrap();
    let (s, _, form) = send(
        &r,
        "GET",
        &format!("/moderate/submissions/{id2}/edit"),
        "",
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("value=\"Numbat Nattering\""));
    let mut fixed = valid("Numbat Nattering Group");
    fixed.retain(|(k, _)| *k != "your_email");
    let (s, _, _) = send(
        &r,
        "POST",
        &format!("/moderate/submissions/{id2}/edit"),
        &body_of(&fixed, &[("csrf", &csrf)]),
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        t.search("q=numbat").await["hits"][0]["title"],
        "Numbat Nattering Group"
    );
    let (_, _, audit) = send(&r, "GET", "/moderate/audit", "", Some(&cookie)).await;
    assert!(audit.contains("edit submission") && audit.contains("reject"));
}

#[tokio::test]
async fn sign_in_is_throttled_and_cookies_are_secure_over_tls() {
    let t = TestApp::with_demo();
    let r = router(&t, |g| g.secure_cookies = true);
    t.app
        .store
        .set_moderator(
            "kim",
            &web::hash_password("a long enough password").unwrap(),
        )
        .unwrap();
    let (_, _, page) = send(&r, "GET", "/moderate/login", "", None).await;
    let ft = enc(&hidden(&page, "ft"));
    for _ in 0..5 {
        let (s, _, body) = send(
            &r,
            "POST",
            "/moderate/login",
            &format!("ft={ft}&username=kim&password=wrong"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(body.contains("The username or password is not right"));
    }
    let (s, h, body) = send(
        &r,
        "POST",
        "/moderate/login",
        &format!("ft={ft}&username=kim&password=a+long+enough+password"),
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(body.contains("Too many failed attempts") && h.get("set-cookie").is_none());
    // Another moderator is not affected, and gets a __Host- Secure cookie.
    t.app
        .store
        .set_moderator("lee", &web::hash_password("another long password").unwrap())
        .unwrap();
    let (s, h, _) = send(
        &r,
        "POST",
        "/moderate/login",
        &format!("ft={ft}&username=lee&password=another+long+password"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let c = h["set-cookie"].to_str().unwrap();
    assert!(
        c.starts_with("__Host-signpost-mod=")
            && c.contains("; Secure")
            && c.contains("Path=/")
            && c.contains("HttpOnly"),
        "{c}"
    );
    // Sign-in without the signed form token is refused.
    let (s, _, _) = send(
        &r,
        "POST",
        "/moderate/login",
        "username=lee&password=another+long+password",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Moderator pages need a session.
    for p in ["/moderate", "/moderate/audit", "/moderate/submissions/1"] {
        let (s, _, _) = send(&r, "GET", p, "", None).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{p}");
    }
}

#[tokio::test]
async fn spam_defences_refuse_clearly_and_store_nothing() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let ft = form_token(&r).await;
    // Honeypot.
    let (s, _, body) = send(
        &r,
        "POST",
        "/add/send",
        &body_of(&valid("Spam"), &[("ft", &ft), ("nickname", "bot")]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("filled in automatically"));
    // No signed token, or a forged one.
    for token in ["", "123.abc"] {
        let (s, _, body) = send(
            &r,
            "POST",
            "/add/send",
            &body_of(&valid("Spam"), &[("ft", token)]),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(body.contains("did not come from this website"));
    }
    // Too many links.
    let links = "see https://a.example https://b.example www.c.example http://d.example https://e.example https://f.example";
    let (s, _, body) = send(
        &r,
        "POST",
        "/add/send",
        &body_of(&valid("Links"), &[("ft", &ft), ("description", links)]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("no more than 5 web links"));
    // Oversized field and oversized body.
    let long = "x".repeat(301);
    let (s, _, body) = send(
        &r,
        "POST",
        "/add/send",
        &body_of(&valid(&long), &[("ft", &ft)]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("300 characters or fewer"));
    let huge = format!("title={}", "x".repeat(200 * 1024));
    let (s, _, _) = send(&r, "POST", "/add/send", &huge, None).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.app.store.pending_count().unwrap(), 0);
    assert!(outbox(&t).is_empty());

    // Rate limit on every POST: a burst, then a clear refusal with Retry-After.
    let limited = router(&t, |g| {
        g.posts_per_minute = 1;
        g.post_burst = 3;
    });
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (s, h, body) = send(&limited, "POST", "/add", "title=x", None).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert!(h.contains_key("retry-after") && body.contains("Too many requests"));
        }
        statuses.push(s);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        2,
        "{statuses:?}"
    );
    let (s, _, _) = send(&limited, "GET", "/add", "", None).await;
    assert_eq!(s, StatusCode::OK, "GETs are not limited");
    // A full moderation queue refuses new listings rather than filling the disk.
    let full = router(&t, |g| g.max_pending = 0);
    let ft = form_token(&full).await;
    let (s, _, body) = send(
        &full,
        "POST",
        "/add/send",
        &body_of(&valid("Later"), &[("ft", &ft)]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("Nothing has been saved"));
}

/// Every hostile string in every text field of the form: never a 5xx, nothing
/// reflected unescaped, and sent listings are stored exactly as typed.
#[tokio::test]
async fn hostile_input_in_every_field_is_escaped_and_round_trips() {
    let t = TestApp::with_demo();
    let r = router(&t, |g| g.max_pending = 1_000_000);
    let ft = form_token(&r).await;
    let text_fields: Vec<&str> = signpost::groups::form::FIELDS
        .iter()
        .filter(|f| f.kind != signpost::groups::form::Kind::Many)
        .map(|f| f.name)
        .collect();
    let strings = hostile_strings();
    let mut stored = 0;
    for (i, s) in strings.iter().enumerate() {
        // Each string into one field (cycling), on the check step...
        let field = text_fields[i % text_fields.len()];
        let mut pairs = valid("Hostile test");
        pairs.retain(|(k, _)| *k != field);
        pairs.push((field, s.clone()));
        let (status, _, body) = send(&r, "POST", "/add", &body_of(&pairs, &[]), None).await;
        assert!(status.as_u16() < 500, "{field}={s:?} gave {status}");
        assert!(
            !body.contains("<script"),
            "{field}={s:?} reflected a script tag"
        );
        if s.contains('<') {
            assert!(
                !body.contains(s.as_str()),
                "{field}={s:?} reflected unescaped"
            );
        }
        // ... and as the title on the send step, where it must be stored exactly.
        let pairs = valid(s);
        let (status, _, body) = send(
            &r,
            "POST",
            "/add/send",
            &body_of(&pairs, &[("ft", &ft)]),
            None,
        )
        .await;
        assert!(status.as_u16() < 500, "title={s:?} gave {status}");
        if s.contains('<') {
            assert!(
                !body.contains(s.as_str()),
                "title={s:?} reflected unescaped"
            );
        }
        if status == StatusCode::OK {
            let reference = between(&body, "<strong id=\"reference\">", "<");
            let id = signpost::groups::parse_reference(&reference).unwrap();
            let form: ListingForm =
                serde_json::from_str(&t.app.store.submission(id).unwrap().unwrap().form).unwrap();
            assert_eq!(form.get("title"), s.as_str(), "stored exactly");
            stored += 1;
        }
    }
    assert!(
        stored > strings.len() / 2,
        "only {stored} of {} stored",
        strings.len()
    );
    // A Unicode title is shown back exactly to the moderator.
    let (cookie, _) = sign_in(&t, &r).await;
    // Every hostile string as a moderator's search: no 5xx, nothing reflected raw.
    for s in strings {
        let uri = format!("/moderate/find?q={}", enc(s));
        let (status, _, body) = send(&r, "GET", &uri, "", Some(&cookie)).await;
        assert!(status.as_u16() < 500, "find q={s:?} gave {status}");
        if s.contains('<') {
            assert!(
                !body.contains(s.as_str()),
                "find q={s:?} reflected unescaped"
            );
        }
    }
    let unicode = "ÅÍÎÏ˝ÓÔÒÚÆ☃";
    let (status, _, body) = send(
        &r,
        "POST",
        "/add/send",
        &body_of(&valid(unicode), &[("ft", &ft)]),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        between(&body, "<main", "</ul>")
    );
    let sub = t
        .app
        .store
        .pending_submissions()
        .unwrap()
        .into_iter()
        .find(|s| {
            serde_json::from_str::<ListingForm>(&s.form)
                .unwrap()
                .get("title")
                == unicode
        })
        .expect("the Unicode title was stored");
    let (_, _, page) = send(
        &r,
        "GET",
        &format!("/moderate/submissions/{}", sub.id),
        "",
        Some(&cookie),
    )
    .await;
    assert!(
        page.contains(unicode),
        "Unicode round-trips to the moderator"
    );
}

/// Listings not confirmed within the freshness period show "last checked" at the top,
/// are in the moderators' "due for checking" list, and their groups get one
/// "still running?" email per lapse with a working private link.
#[tokio::test]
async fn stale_listings_are_flagged_and_groups_reminded_once() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let Approved { cookie, lid, .. } = submit_and_approve(&t, &r, "Platypus Poetry Club").await;
    let (_, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
    assert!(
        !page.contains("id=\"last-checked\""),
        "fresh listings carry no warning"
    );

    // Seven months without a check.
    let mut l = t.listing(lid);
    let old = common::now().and_utc() - chrono::Duration::days(7 * 31);
    l.provenance.verified_at = Some(old);
    l.provenance.updated_at = Some(old);
    t.app.store.upsert(&l).unwrap();
    let (_, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
    assert!(
        page.contains("id=\"last-checked\"")
            && page.contains(&format!("Last checked {}", old.format("%-d %B %Y"))),
        "prominent last checked"
    );
    let (_, _, queue) = send(&r, "GET", "/moderate", "", Some(&cookie)).await;
    assert!(queue.contains("Platypus Poetry Club") && queue.contains("Due for checking"));

    let outbox = signpost::groups::mail::Outbox::new(t.dir.path());
    let before = std::fs::read_dir(outbox.dir()).unwrap().count();
    let n = signpost::groups::freshness::remind(
        &t.app.store,
        &outbox,
        "http://signpost.test",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        signpost::groups::freshness::remind(
            &t.app.store,
            &outbox,
            "http://signpost.test",
            &Default::default()
        )
        .unwrap(),
        0,
        "once per lapse"
    );
    let mails = self::outbox(&t);
    assert_eq!(mails.len(), before + 1);
    let reminder = mails.iter().find(|m| m.contains("still running?")).unwrap();
    let link = between(reminder, "http://signpost.test", "\r\n");
    // The new link opens the listing and one click confirms it.
    let (s, _, page) = send(&r, "GET", &link, "", None).await;
    assert_eq!(s, StatusCode::OK);
    let ft = hidden(&page, "ft");
    let (s, _, _) = send(
        &r,
        "POST",
        &format!("{link}/still-running"),
        &format!("ft={}", enc(&ft)),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(t.listing(lid).provenance.verified_at.unwrap() > old + chrono::Duration::days(100));
    let (_, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
    assert!(!page.contains("id=\"last-checked\""));

    // The cutoff is to the day: checked twelve months ago tomorrow is still in
    // results, twelve months ago yesterday is out.
    let twelve_months_ago = common::now()
        .date()
        .checked_sub_months(chrono::Months::new(12))
        .unwrap();
    for (offset, shown) in [(1, 1), (-1, 0)] {
        let mut l = t.listing(lid);
        let checked = (twelve_months_ago + chrono::Duration::days(offset))
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc();
        l.provenance.verified_at = Some(checked);
        t.app.store.upsert(&l).unwrap();
        t.sync();
        assert_eq!(
            t.search("q=platypus").await["total"],
            shown,
            "checked {checked}"
        );
    }

    // Thirteen months without a check: out of default results, still on its page and
    // in the moderators' list; confirming brings it back.
    let mut l = t.listing(lid);
    l.provenance.verified_at = Some(common::now().and_utc());
    t.app.store.upsert(&l).unwrap();
    t.sync();
    assert_eq!(t.search("q=platypus").await["total"], 1);
    let mut l = t.listing(lid);
    let old = common::now().and_utc() - chrono::Duration::days(13 * 31);
    l.provenance.verified_at = Some(old);
    t.app.store.upsert(&l).unwrap();
    t.sync();
    assert_eq!(
        t.search("q=platypus").await["total"],
        0,
        "stale listings leave search"
    );
    let (s, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"last-checked\""));
    let (_, _, queue) = send(&r, "GET", "/moderate", "", Some(&cookie)).await;
    assert!(queue.contains("Platypus Poetry Club"));
    // Moderators can still find it by name, and see why the public cannot.
    let (s, _, found) = send(&r, "GET", "/moderate/find?q=platypus", "", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(found.contains("Platypus Poetry Club"), "{found}");
    assert!(found.contains("Hidden from public search"), "{found}");
    assert!(found.contains(&format!("/moderate/listings/{lid}/checked")));
    let (s, headers, _) = send(&r, "GET", "/moderate/find?q=platypus", "", None).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "moderators only");
    assert_eq!(headers["location"], "/moderate/login");
    let (_, _, queue) = send(&r, "GET", "/moderate", "", Some(&cookie)).await;
    let csrf = hidden(&queue, "csrf");
    let (s, _, _) = moderator_post(
        &r,
        &format!("/moderate/listings/{lid}/checked"),
        &cookie,
        &csrf,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        t.search("q=platypus").await["total"],
        1,
        "back once checked"
    );
}

/// The listing page, the moderators' due list and find page and the search all judge
/// freshness by one rule and the site's clock: a listing the public still sees is not
/// marked hidden on the find page (it used the real time, to the second, where search
/// counts to the day), and one that is not yet due is not in the due list.
#[tokio::test]
async fn moderators_see_the_freshness_the_public_sees() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let Approved { cookie, lid, .. } = submit_and_approve(&t, &r, "Quokka Quilting Circle").await;
    let set_checked = |checked: chrono::DateTime<chrono::Utc>| {
        let mut l = t.listing(lid);
        l.provenance.verified_at = Some(checked);
        l.provenance.updated_at = Some(checked);
        t.app.store.upsert(&l).unwrap();
        t.sync();
    };
    let today = common::now().date();
    let at_noon = |d: chrono::NaiveDate| d.and_hms_opt(12, 0, 0).unwrap().and_utc();

    // Stale: twelve months ago tomorrow is still in results, yesterday is out.
    let twelve_months_ago = today.checked_sub_months(chrono::Months::new(12)).unwrap();
    for (offset, shown) in [(1, 1), (-1, 0)] {
        set_checked(at_noon(twelve_months_ago + chrono::Duration::days(offset)));
        assert_eq!(t.search("q=quokka").await["total"], shown);
        let (s, _, found) = send(&r, "GET", "/moderate/find?q=quokka", "", Some(&cookie)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(found.contains("Quokka Quilting Circle"), "{found}");
        assert_eq!(
            found.contains("Hidden from public search"),
            shown == 0,
            "checked {offset} day(s) from twelve months ago: {found}"
        );
    }

    // Due: checked six months ago tomorrow is fresh on its page and not in the due
    // list; six months ago yesterday is due in both.
    let six_months_ago = today.checked_sub_months(chrono::Months::new(6)).unwrap();
    for (offset, due) in [(1, false), (-1, true)] {
        set_checked(at_noon(six_months_ago + chrono::Duration::days(offset)));
        let (_, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
        assert_eq!(page.contains("id=\"last-checked\""), due, "{offset}");
        let (_, _, queue) = send(&r, "GET", "/moderate", "", Some(&cookie)).await;
        assert_eq!(
            queue.contains(&format!("href=\"/listings/{lid}\"")),
            due,
            "checked {offset} day(s) from six months ago"
        );
    }
}

/// A made-up `done` in the queue's address does not claim that something was done.
#[tokio::test]
async fn the_queue_only_reports_real_actions() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let (cookie, _) = sign_in(&t, &r).await;
    let (_, _, queue) = send(&r, "GET", "/moderate?done=archived", "", Some(&cookie)).await;
    assert!(queue.contains("Archived. It has left search."));
    let (s, headers, queue) = send(&r, "GET", "/moderate?done=nonsense", "", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(!queue.contains("Done."), "{queue}");
}

/// The form reads times the way people write them ("2pm", "14.00", "noon") and dates
/// day first, by the same rules as the importers, and the listing gets them right.
#[tokio::test]
async fn the_form_accepts_times_and_dates_as_people_write_them() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let title = "Sale Quillfeather Painters";
    let mut pairs: Vec<(&str, String)> = valid(title)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("s1_"))
        .collect();
    pairs.extend([
        ("s1_repeat", "weekly".into()),
        ("s1_day", "tue".into()),
        ("s1_start", "2pm".into()),
        ("s1_end", "3.30 pm".into()),
        ("s2_repeat", "fortnightly".into()),
        ("s2_day", "thu".into()),
        ("s2_start", "14.00".into()),
        ("s2_end", "noon".into()),
        ("s2_starting", "07/01/2027".into()),
    ]);
    // The second session ends before it starts: the times were read, not refused.
    let (s, _, page) = send(&r, "POST", "/add", &body_of(&pairs, &[]), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("There is a problem"), "{page}");
    assert!(
        page.contains("Session 2: The session ends (12:00:00) before it starts (14:00:00)"),
        "{page}"
    );
    assert!(!page.contains("enter the start time"), "{page}");
    assert!(!page.contains("enter the end time"), "{page}");

    pairs.retain(|(k, _)| *k != "s2_end");
    pairs.push(("s2_end", "1600".into()));
    let lid = approve_pairs(&t, &r, &pairs).await.lid;
    let listing = t.app.store.get(lid).unwrap().unwrap();
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let sessions = &listing.schedule.sessions;
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(
        (sessions[0].start, sessions[0].end),
        (hm(14, 0), Some(hm(15, 30)))
    );
    assert_eq!(
        (sessions[1].start, sessions[1].end),
        (hm(14, 0), Some(hm(16, 0)))
    );
    assert_eq!(
        sessions[1].starting,
        chrono::NaiveDate::from_ymd_opt(2027, 1, 7)
    );
    let (s, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Every Tuesday, 2pm to 3:30pm"), "{page}");
}

#[tokio::test]
async fn moderators_choose_types_for_listings_that_need_a_category() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    // A council record that fits none of the types comes in with the general type.
    let report = t.import_one(
        "council",
        serde_json::json!({
            "title": "Pest control",
            "description": "The council deals with rats and wasps' nests.",
            "provenance": {"source_id": "pc-1"}
        }),
    );
    assert_eq!(
        (report.created, report.gaps.general_type),
        (1, 1),
        "{report}"
    );
    let (id, _) = t.app.store.ids_for_source("council").unwrap()[0].clone();

    let (s, h, _) = send(&r, "GET", "/moderate/categories", "", None).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "signed-in only");
    assert_eq!(h["location"], "/moderate/login");
    let (cookie, csrf) = sign_in(&t, &r).await;
    let (s, _, page) = send(&r, "GET", "/moderate/categories", "", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Pest control") && page.contains("Needs a category"),
        "{page}"
    );
    let action = format!("/moderate/listings/{id}/types");
    // No type ticked: refused, nothing changes.
    let (s, _, _) = send(&r, "POST", &action, &format!("csrf={csrf}"), Some(&cookie)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, h, _) = send(
        &r,
        "POST",
        &action,
        &format!("csrf={csrf}&type=advice&type=not-a-type"),
        Some(&cookie),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/moderate/categories?done=1");
    assert_eq!(t.listing(id).types, ["advice"]);
    let (_, _, page) = send(&r, "GET", "/moderate/categories", "", Some(&cookie)).await;
    assert!(!page.contains("Pest control"), "{page}");
    let (_, _, log) = send(&r, "GET", "/moderate/audit", "", Some(&cookie)).await;
    assert!(
        log.contains("set types") && log.contains(&format!("listing {id}")),
        "{log}"
    );
}

#[tokio::test]
async fn moderators_see_searches_that_found_nothing_and_nothing_that_points_at_anyone() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let searches = [
        // Counted: words that found nothing, twice, once with a postcode and e-mail.
        "/search?q=Qwxz+Vbnm",
        "/search?q=qwxz+vbnm!",
        "/search?q=qwxz+vbnm+jo%40example.org+07700+900123&near=M33+7XW",
        // Some of the words only: counted as found little.
        "/search?q=walking+qwxz",
        // Not counted: found plenty, no words, a filter, a later page.
        "/search?q=walking",
        "/search?q=&near=M33+7XW",
        "/search?q=qwxz+vbnm&free=on",
        "/search?q=qwxz+vbnm&page=2",
    ];
    for s in searches {
        let (status, _, _) = send(&r, "GET", s, "", None).await;
        assert_eq!(status, StatusCode::OK, "{s}");
    }
    let (s, h, _) = send(&r, "GET", "/moderate/searches", "", None).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "signed-in only");
    assert_eq!(h["location"], "/moderate/login");
    let (cookie, _) = sign_in(&t, &r).await;
    let (s, _, page) = send(&r, "GET", "/moderate/searches", "", Some(&cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Week starting 23 November 2026"), "{page}");
    assert!(
        page.contains(">qwxz vbnm</a></td><td>No place given</td><td>Nothing</td><td>2</td>"),
        "{page}"
    );
    assert!(
        page.contains(">qwxz vbnm</a></td><td>M33</td><td>Nothing</td><td>1</td>"),
        "{page}"
    );
    assert!(
        page.contains(
            ">walking qwxz</a></td><td>No place given</td><td>A few, or some words</td><td>1</td>"
        ),
        "{page}"
    );
    assert!(!page.contains(">walking<"), "{page}");
    for private in ["7XW", "07700", "900123", "example.org", "jo "] {
        assert!(!page.contains(private), "{private} in {page}");
    }
    // What is stored: the words, the week's Monday, the district, and counts; no more.
    let conn = rusqlite::Connection::open(t.dir.path().join("signpost.db")).unwrap();
    let mut st = conn.prepare("SELECT * FROM missed_searches").unwrap();
    let columns: Vec<String> = st.column_names().map(|c| c.to_string()).collect();
    assert_eq!(
        columns,
        ["week", "district", "query", "found_nothing", "searches"]
    );
    let rows: Vec<(String, String, String, i64, i64)> = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (week, _, query, nothing, _) in &rows {
        assert_eq!(week, "2026-11-23", "the Monday, no time of day");
        assert_eq!(*nothing, i64::from(query == "qwxz vbnm"), "{query}");
    }
    // Counting again adds to the same rows.
    send(&r, "GET", "/search?q=qwxz+vbnm", "", None).await;
    let (_, _, page) = send(&r, "GET", "/moderate/searches", "", Some(&cookie)).await;
    assert!(
        page.contains("<td>No place given</td><td>Nothing</td><td>3</td>"),
        "{page}"
    );
    // The privacy page says counting is on.
    let (_, _, privacy) = send(&r, "GET", "/privacy", "", None).await;
    assert!(
        privacy.contains("this counting is <strong>turned on</strong>"),
        "{privacy}"
    );
}

#[tokio::test]
async fn a_site_can_turn_counting_searches_off_and_says_so() {
    let t = TestApp::with_demo();
    let r = router(&t, |g| {
        g.missed = Arc::new(signpost::web::missed::MissedSearches::new(false))
    });
    send(&r, "GET", "/search?q=qwxz+vbnm", "", None).await;
    let (cookie, _) = sign_in(&t, &r).await;
    let (_, _, page) = send(&r, "GET", "/moderate/searches", "", Some(&cookie)).await;
    assert!(page.contains("Counting is turned off"), "{page}");
    assert!(!page.contains("qwxz"), "{page}");
    let (_, _, privacy) = send(&r, "GET", "/privacy", "", None).await;
    assert!(
        privacy.contains("this counting is <strong>turned off</strong>"),
        "{privacy}"
    );
    assert!(!privacy.contains("MISSED_SEARCHES_SETTING"));
}

#[tokio::test]
async fn a_group_says_how_to_get_there_who_leads_and_who_it_suits() {
    let t = TestApp::with_demo();
    let r = router(&t, |_| {});
    let title = "Sale Moorside Ukulele Strummers";
    let mut pairs = valid(title);
    pairs.extend([
        ("places", "about twelve".to_string()),
        ("level", "expert".to_string()),
        ("meeting_point", "Through the side door. ".repeat(12)),
        ("by_car", "Park behind the hall. ".repeat(25)),
        ("leader", "Sue".to_string()),
    ]);
    // Each problem is said, against its own question, and what was typed is kept.
    let (s, _, page) = send(&r, "POST", "/add", &body_of(&pairs, &[]), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    for (field, message) in [
        (
            "places",
            "Enter the most people at a session as a number from 1 to 10000, like 12",
        ),
        (
            "level",
            "Select how much experience people need from the list",
        ),
        (
            "meeting_point",
            "Where to go on the first visit must be 250 characters or fewer",
        ),
        (
            "by_car",
            "Getting there by car must be 500 characters or fewer",
        ),
    ] {
        assert!(
            page.contains(&format!("href=\"#{field}\">{message}")),
            "{field}: {message}\n{page}"
        );
    }
    assert!(page.contains("value=\"about twelve\""), "{page}");

    pairs.retain(|(k, _)| !["places", "level", "meeting_point", "by_car"].contains(k));
    pairs.extend([
        ("places", " 12 ".to_string()),
        ("level", "beginner".to_string()),
        (
            "meeting_point",
            "Come to the side door on Hall Lane; Sue looks out for new people.".to_string(),
        ),
        (
            "by_public_transport",
            "The 263 bus stops outside.".to_string(),
        ),
        ("by_car", "Free car park behind the hall.".to_string()),
    ]);
    let Approved { manage, lid, .. } = approve_pairs(&t, &r, &pairs).await;
    let l = t.listing(lid);
    assert_eq!(l.join.places, Some(12));
    assert_eq!(l.join.leader.as_deref(), Some("Sue"));
    assert_eq!(l.audience.level, Some(signpost::listing::Level::Beginner));
    assert_eq!(
        l.access.travel,
        [
            signpost::listing::Travel {
                by: signpost::listing::TravelMode::PublicTransport,
                note: "The 263 bus stops outside.".into()
            },
            signpost::listing::Travel {
                by: signpost::listing::TravelMode::Car,
                note: "Free car park behind the hall.".into()
            },
        ]
    );

    // The listing page says it all in plain words.
    let (s, _, page) = send(&r, "GET", &format!("/listings/{lid}"), "", None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    for words in [
        "<h3>Getting there</h3>",
        "<strong>By bus, tram or train: </strong>The 263 bus stops outside.",
        "<strong>By car: </strong>Free car park behind the hall.",
        "Beginners welcome, no experience needed.",
        "<h3>Your first visit</h3><p>Come to the side door on Hall Lane; Sue looks out for new people.</p>",
        "<li>Led by Sue</li>",
        "<li>Up to 12 people a session</li>",
    ] {
        assert!(page.contains(words), "{words}\n{page}");
    }
    // Searching the way there finds it.
    let (_, _, found) = send(&r, "GET", "/search?q=263+bus", "", None).await;
    assert!(found.contains(title), "{found}");

    // The private link's form comes back filled in, so an edit keeps them.
    let (s, _, edit) = send(&r, "GET", &format!("{manage}/edit"), "", None).await;
    assert_eq!(s, StatusCode::OK);
    for filled in [
        "value=\"12\"",
        "value=\"Sue\"",
        "<option value=\"beginner\" selected>",
        ">Free car park behind the hall.</textarea>",
        ">The 263 bus stops outside.</textarea>",
    ] {
        assert!(edit.contains(filled), "{filled}\n{edit}");
    }
}
