//! The moderation area, under `/moderate`.
//!
//! Moderators sign in (accounts come from `signpost add-moderator`; passwords are
//! argon2id hashes). A session is a random id in an HttpOnly, SameSite=Strict cookie
//! (`Secure` and `__Host-` prefixed when served over TLS); only its SHA-256 is stored.
//! Every moderator POST carries the session's CSRF token. Failed sign-ins are counted
//! per username and lock it for a while after a few in a row. Nothing here is cached.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::groups::{build, index_now, send_mail};
use super::views::groups::{self as gv, FormTarget};
use super::views::moderate as mv;
use super::{AppState, WebError};
use crate::groups::mail::Message;
use crate::groups::tokens;
use crate::groups::{ListingForm, reference};

/// Failed sign-ins in a row (within `LOCKOUT_MINUTES`) that lock a username.
pub const MAX_FAILURES: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 8;

/// Hashes a password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A real hash to verify against when the username is unknown.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&tokens::random_token()).unwrap_or_default())
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.groups.secure_cookies {
        "__Host-signpost-mod"
    } else {
        "signpost-mod"
    }
}

fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| tokens::looks_like_token(v))
}

/// A signed-in moderator.
struct Session {
    user: String,
    csrf: String,
}

async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, WebError> {
    let Some(token) = session_cookie(headers, cookie_name(state)) else {
        return Ok(None);
    };
    let hash = tokens::hash_token(&token);
    let found = on_store(state, move |app| app.store.session(&hash)).await?;
    Ok(found.map(|(user, csrf)| Session { user, csrf }))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn to_login() -> Response {
    no_store(Redirect::to("/moderate/login").into_response())
}

/// A 400 page that is not cached.
fn bad_request(page: impl IntoResponse) -> Response {
    no_store((StatusCode::BAD_REQUEST, page).into_response())
}

/// A redirect carrying the moderator cookie (`max_age` 0 clears it).
fn with_cookie(state: &AppState, to: &str, value: &str, max_age: i64) -> Response {
    let secure = if state.groups.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        cookie_name(state)
    );
    let mut r = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    no_store(r)
}

/// Runs store work off the async threads; any failure there becomes a 500.
async fn on_store<T, E>(
    state: &AppState,
    f: impl FnOnce(&crate::App) -> Result<T, E> + Send + 'static,
) -> Result<T, WebError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let app = state.app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)
}

/// The signed-in moderator of a GET, or the sign-in redirect (or error) to send.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    match session(state, headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(to_login()),
        Err(e) => Err(e.into_response()),
    }
}

fn pairs(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The session of a moderator POST with a valid CSRF token, or the response to send.
async fn authorised(
    state: &AppState,
    headers: &HeaderMap,
    body: &[(String, String)],
) -> Result<Session, Response> {
    match session(state, headers).await {
        Err(e) => Err(e.into_response()),
        Ok(None) => Err(to_login()),
        Ok(Some(s)) if same(value(body, "csrf"), &s.csrf) => Ok(s),
        Ok(Some(_)) => Err(no_store(
            (
                StatusCode::FORBIDDEN,
                gv::refused_page(
                    "That form had expired",
                    "Go back to the moderation queue and try again.",
                ),
            )
                .into_response(),
        )),
    }
}

pub async fn login_form(State(state): State<AppState>) -> Response {
    no_store(
        mv::login_page(
            None,
            "",
            &state.groups.signer.issue(chrono::Utc::now().timestamp()),
        )
        .into_response(),
    )
}

pub async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let p = pairs(&body);
    let username = value(&p, "username").trim().to_string();
    let password = value(&p, "password").to_string();
    let ft = state.groups.signer.issue(chrono::Utc::now().timestamp());
    let again = |status: StatusCode, msg: &str| {
        no_store((status, mv::login_page(Some(msg), &username, &ft)).into_response())
    };
    if state
        .groups
        .signer
        .check(value(&p, "ft"), chrono::Utc::now().timestamp())
        .is_err()
    {
        return again(
            StatusCode::BAD_REQUEST,
            "The sign-in form had expired. Try again",
        );
    }
    if username.is_empty() || password.is_empty() || username.len() > 100 || password.len() > 1_000
    {
        return again(StatusCode::BAD_REQUEST, "Enter your username and password");
    }
    let user = username.clone();
    let outcome = on_store(
        &state,
        move |app| -> Result<Result<String, &'static str>, crate::store::StoreError> {
            if app
                .store
                .recent_failures(&user, chrono::Duration::minutes(LOCKOUT_MINUTES))?
                >= MAX_FAILURES
            {
                return Ok(Err("locked"));
            }
            let found = app.store.moderator(&user)?;
            // Verify against a dummy hash for unknown names so timing does not tell.
            let ok = match &found {
                Some((_, hash)) => verify_password(&password, hash),
                None => {
                    let _ = verify_password(&password, dummy_hash());
                    false
                }
            };
            app.store.record_login(&user, ok)?;
            let Some((id, _)) = found.filter(|_| ok) else {
                return Ok(Err("bad"));
            };
            let token = tokens::random_token();
            app.store.create_session(
                &tokens::hash_token(&token),
                id,
                &tokens::random_token(),
                SESSION_HOURS,
            )?;
            app.store
                .log_action(&user, "sign in", &format!("moderator {user}"))?;
            Ok(Ok(token))
        },
    )
    .await;
    let token = match outcome {
        Ok(Ok(t)) => t,
        Ok(Err("locked")) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts. Wait {LOCKOUT_MINUTES} minutes, then try again"
                ),
            );
        }
        Ok(Err(_)) => {
            return again(
                StatusCode::UNAUTHORIZED,
                "The username or password is not right",
            );
        }
        Err(e) => return e.into_response(),
    };
    with_cookie(&state, "/moderate", &token, SESSION_HOURS * 3600)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let p = pairs(&body);
    let s = match authorised(&state, &headers, &p).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(token) = session_cookie(&headers, cookie_name(&state)) {
        let user = s.user.clone();
        let _ = on_store(&state, move |app| {
            app.store.end_session(&tokens::hash_token(&token))?;
            app.store
                .log_action(&user, "sign out", &format!("moderator {user}"))
        })
        .await;
    }
    with_cookie(&state, "/moderate/login", "", 0)
}

pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cutoff = chrono::Utc::now()
        .checked_sub_months(chrono::Months::new(state.groups.fresh_months))
        .unwrap_or_else(chrono::Utc::now);
    let loaded = on_store(&state, move |app| -> Result<_, crate::store::StoreError> {
        let subs = app.store.pending_submissions()?;
        let items = subs
            .into_iter()
            .map(|sub| {
                let title = serde_json::from_str::<ListingForm>(&sub.form)
                    .map(|f| f.get("title").trim().to_string())
                    .unwrap_or_default();
                mv::QueueItem { sub, title }
            })
            .collect::<Vec<_>>();
        Ok((
            items,
            app.store.open_reports()?,
            app.store.listings_checked_before(cutoff, 200)?,
        ))
    })
    .await;
    let (items, reports, due) = match loaded {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let flash = q.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "done")
            .map(|(_, v)| match v.as_ref() {
                "approved" => "Approved. It is in search now.",
                "rejected" => "Rejected. The group has been told why.",
                "archived" => "Archived. It has left search.",
                "checked" => "Marked as checked.",
                "closed" => "Report closed.",
                _ => "Done.",
            })
    });
    no_store(mv::queue_page(&s.user, &s.csrf, &items, &reports, &due, flash).into_response())
}

/// `GET /moderate/find?q=...`: any published listing, stale ones included.
pub async fn find(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (mut req, _) = super::search::parse(&state, raw.as_deref());
    let q = req.q.clone();
    if q.trim().is_empty() {
        return no_store(mv::find_page(&s.user, &s.csrf, "", None).into_response());
    }
    // Words only: where and when are for the public search.
    req = crate::search::SearchRequest {
        q: req.q,
        page: 1,
        within: crate::search::request::DEFAULT_WITHIN_MILES,
        include_stale: true,
        ..Default::default()
    };
    let results = match super::search::run(&state, req).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let stale_months = state.groups.stale_months;
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let loaded = on_store(&state, move |app| -> Result<_, crate::store::StoreError> {
        let cutoff = chrono::Utc::now().checked_sub_months(chrono::Months::new(stale_months));
        let mut found = Vec::new();
        for id in ids {
            if let Some(l) = app.store.get(id)? {
                let last_checked = l.provenance.verified_at.or(l.provenance.updated_at);
                found.push(mv::Found {
                    id,
                    title: l.title,
                    organisation: l.organisation.name,
                    source: l.provenance.source,
                    last_checked,
                    stale: stale_months > 0
                        && cutoff.is_some_and(|c| last_checked.is_some_and(|d| d < c)),
                });
            }
        }
        Ok(found)
    })
    .await;
    match loaded {
        Ok(found) => no_store(
            mv::find_page(&s.user, &s.csrf, &q, Some((results.total, &found))).into_response(),
        ),
        Err(e) => e.into_response(),
    }
}

async fn load_submission(
    state: &AppState,
    id: &str,
) -> Result<
    (
        crate::store::Submission,
        ListingForm,
        Option<crate::listing::Listing>,
    ),
    WebError,
> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let app = state.app.clone();
    tokio::task::spawn_blocking(move || -> Result<_, WebError> {
        let sub = app
            .store
            .submission(id)
            .map_err(WebError::internal)?
            .ok_or(WebError::NotFound)?;
        let form: ListingForm = serde_json::from_str(&sub.form).map_err(WebError::internal)?;
        let live = match sub.listing_id {
            Some(l) if sub.kind == "edit" => app.store.get(l).map_err(WebError::internal)?,
            _ => None,
        };
        Ok((sub, form, live))
    })
    .await
    .map_err(WebError::internal)?
}

pub async fn submission(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (sub, form, live) = match load_submission(&state, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let problems = if sub.status == "pending" {
        match build(&state, form.clone()).await {
            Ok((_, Err(errors))) => errors,
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let live_form = live.as_ref().map(ListingForm::from_listing);
    no_store(
        mv::submission_page(
            &s.user,
            &s.csrf,
            &sub,
            &form,
            live_form.as_ref(),
            state.app.taxonomy,
            &problems,
        )
        .into_response(),
    )
}

/// Builds and publishes a pending submission; the index is updated before returning.
async fn approve_form(state: &AppState, user: &str, id: i64, form: ListingForm) -> Response {
    let (form, built) = match build(state, form).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let listing = match built {
        Ok(l) => l,
        Err(_) => {
            return no_store(
                Redirect::to(&format!("/moderate/submissions/{id}/edit")).into_response(),
            );
        }
    };
    let user = user.to_string();
    let done = on_store(
        state,
        move |app| -> Result<Option<(i64, Option<String>)>, crate::store::StoreError> {
            let sub = app.store.submission(id)?;
            let mut l = listing;
            if let Some(live_id) = sub.as_ref().and_then(|s| s.listing_id)
                && let Some(live) = app.store.get(live_id)?
            {
                l = crate::groups::form::merge_into(&live, l);
            }
            Ok(app
                .store
                .approve_submission(id, &user, &l)?
                .map(|lid| (lid, sub.and_then(|s| s.email))))
        },
    )
    .await;
    match done {
        Ok(Some((lid, email))) => {
            index_now(state).await;
            if let Some(to) = email {
                send_mail(&state.groups.outbox, Message {
                    to,
                    subject: format!("Your Signpost listing is approved: reference {}", reference(id)),
                    body: format!("Good news: \"{}\" has been approved and is now on Signpost as listing {lid}.\n", form.get("title").trim()),
                })
                .await;
            }
            no_store(Redirect::to("/moderate?done=approved").into_response())
        }
        Ok(None) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let s = match authorised(&state, &headers, &pairs(&body)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (sub, form, _) = match load_submission(&state, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    approve_form(&state, &s.user, sub.id, form).await
}

pub async fn reject(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = pairs(&body);
    let s = match authorised(&state, &headers, &p).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (sub, form, live) = match load_submission(&state, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let reason = value(&p, "reason").trim().to_string();
    if reason.is_empty() || reason.chars().count() > 2_000 {
        let live_form = live.as_ref().map(ListingForm::from_listing);
        let problems = vec![(
            "reason".to_string(),
            "Enter a reason of up to 2,000 characters to send to the group".to_string(),
        )];
        return bad_request(mv::submission_page(
            &s.user,
            &s.csrf,
            &sub,
            &form,
            live_form.as_ref(),
            state.app.taxonomy,
            &problems,
        ));
    }
    let (user, r2) = (s.user.clone(), reason.clone());
    let done = on_store(&state, move |app| {
        app.store.reject_submission(sub.id, &user, &r2)
    })
    .await;
    match done {
        Ok(Some(sub)) => {
            if let Some(to) = sub.email {
                send_mail(&state.groups.outbox, Message {
                    to,
                    subject: format!("Your Signpost listing: reference {}", reference(sub.id)),
                    body: format!("Thank you for sending \"{}\". A volunteer could not approve it, for this reason:\n\n{reason}\n\nYou can send it again with the changes at /add, or reply to ask.\n", form.get("title").trim()),
                })
                .await;
            }
            no_store(Redirect::to("/moderate?done=rejected").into_response())
        }
        Ok(None) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

fn edit_target(id: i64, csrf: &str) -> FormTarget<'static> {
    FormTarget {
        h1: "Edit before approving",
        intro: "Correct the answers, then approve. The group's original answers stay in the audit log.",
        action: format!("/moderate/submissions/{id}/edit"),
        send: format!("/moderate/submissions/{id}/edit"),
        token_name: "csrf",
        token: csrf.to_string(),
        send_label: "Approve",
        ask_email: false,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (sub, form, _) = match load_submission(&state, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let errors = match build(&state, form.clone()).await {
        Ok((_, Err(errors))) => errors,
        _ => Vec::new(),
    };
    no_store(
        gv::listing_form_page(
            &edit_target(sub.id, &s.csrf),
            &form,
            &errors,
            state.app.taxonomy,
        )
        .into_response(),
    )
}

/// Saves the moderator's corrections (logged) and approves.
pub async fn edit_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = pairs(&body);
    let s = match authorised(&state, &headers, &p).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (sub, old, _) = match load_submission(&state, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let mut form = ListingForm::from_pairs(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // The group's email is not on the moderator's form; keep it.
    if let Some(e) = old.your_email() {
        form = ListingForm::from_pairs(
            form.pairs()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([("your_email", e)]),
        );
    }
    let (form, built) = match build(&state, form).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    if let Err(errors) = built {
        return bad_request(gv::listing_form_page(
            &edit_target(sub.id, &s.csrf),
            &form,
            &errors,
            state.app.taxonomy,
        ));
    }
    let json = serde_json::to_string(&form).expect("a form always serialises");
    let user = s.user.clone();
    match on_store(&state, move |app| {
        app.store.edit_submission(sub.id, &user, &json)
    })
    .await
    {
        Ok(true) => approve_form(&state, &s.user, sub.id, form).await,
        Ok(false) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn listing_action(
    state: AppState,
    headers: HeaderMap,
    id: String,
    body: Bytes,
    action: &'static str,
) -> Response {
    let s = match authorised(&state, &headers, &pairs(&body)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return WebError::NotFound.into_response();
    };
    let user = s.user.clone();
    let done = on_store(&state, move |app| match action {
        "archive" => app.store.archive_listing(id, &user),
        "checked" => app.store.confirm_listing(id, &user),
        _ => app.store.close_report(id, &user, "closed by a moderator"),
    })
    .await;
    match done {
        Ok(true) => {
            index_now(&state).await;
            let done = match action {
                "archive" => "archived",
                "checked" => "checked",
                _ => "closed",
            };
            no_store(Redirect::to(&format!("/moderate?done={done}")).into_response())
        }
        Ok(false) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn archive(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    listing_action(state, headers, id, body, "archive").await
}

pub async fn mark_checked(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    listing_action(state, headers, id, body, "checked").await
}

pub async fn close_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    listing_action(state, headers, id, body, "close").await
}

pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let page_no: i64 = q
        .as_deref()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
        })
        .filter(|p: &i64| (1..=100_000).contains(p))
        .unwrap_or(1);
    let per = 50;
    match on_store(&state, move |app| {
        app.store.audit_log(per + 1, (page_no - 1) * per)
    })
    .await
    {
        Ok(mut entries) => {
            let more = entries.len() as i64 > per;
            entries.truncate(per as usize);
            no_store(mv::audit_page(&s.user, &s.csrf, &entries, page_no, more).into_response())
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /moderate/categories`: imported listings that fit none of Signpost's types and
/// have only the general one, for a moderator to choose better.
pub async fn categories(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let done = q
        .as_deref()
        .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "done"));
    match on_store(&state, |app| app.store.needs_category(100)).await {
        Ok((items, total)) => no_store(
            mv::categories_page(
                &s.user,
                &s.csrf,
                &items,
                total,
                state.app.taxonomy,
                done.then_some("Types saved. They are kept when the source is harvested again."),
            )
            .into_response(),
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /moderate/listings/{id}/types`: a moderator's choice of types for a listing,
/// kept across re-harvests of its source and written to the audit log.
pub async fn set_types(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let s = match authorised(&state, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return WebError::NotFound.into_response();
    };
    let taxonomy = state.app.taxonomy;
    let mut types: Vec<String> = Vec::new();
    for (k, v) in &form {
        if k == "type" && taxonomy.activity_type(v).is_some() && !types.contains(v) {
            types.push(v.clone());
        }
    }
    if types.is_empty() {
        return bad_request(gv::refused_page(
            "Choose at least one type",
            "Go back, tick one or more types of activity, and save again.",
        ));
    }
    let user = s.user.clone();
    match on_store(&state, move |app| app.store.set_types(id, &types, &user)).await {
        Ok(true) => {
            index_now(&state).await;
            no_store(Redirect::to("/moderate/categories?done=1").into_response())
        }
        Ok(false) => WebError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}
