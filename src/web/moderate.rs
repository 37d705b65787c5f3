//! The moderation area, under `/moderate`.
//!
//! Moderators sign in (accounts come from `signpost add-moderator`; passwords are
//! argon2id hashes). A session is a random id in an HttpOnly, SameSite=Strict cookie
//! (`Secure` and `__Host-` prefixed when served over TLS); only its SHA-256 is stored.
//! Every moderator POST carries the session's CSRF token. Failed sign-ins are counted
//! per username and lock it for a while after a few in a row. Nothing here is cached.
//!
//! Handlers take a [`Moderator`] (signed in, else sent to sign in) or, for a POST, a
//! [`ModeratorForm`] (signed in and carrying the session's CSRF token). The one-click
//! actions are a [`ListingAction`], each with its store call and what the queue says
//! afterwards.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use tower_http::set_header::SetResponseHeaderLayer;

use super::form::Pairs;
use super::groups::{build, index_now, send_mail};
use super::views::groups::{self as gv, FormTarget};
use super::views::moderate as mv;
use super::{AppState, WebError, blocking};
use crate::groups::mail::Message;
use crate::groups::tokens;
use crate::groups::{ListingForm, reference};
use crate::listing::Listing;
use crate::store::{Store, StoreError, Submission};

/// Failed sign-ins in a row (within `LOCKOUT_MINUTES`) that lock a username.
pub const MAX_FAILURES: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 8;

/// Hashes a password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
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

/// The moderation routes. Nothing under them is cached.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/moderate/login", get(login_form).post(login))
        .route("/moderate/logout", post(logout))
        .route("/moderate", get(queue))
        .route("/moderate/audit", get(audit))
        .route("/moderate/find", get(find))
        .route("/moderate/categories", get(categories))
        .route("/moderate/searches", get(searches))
        .route("/moderate/listings/{id}/types", post(set_types))
        .route("/moderate/submissions/{id}", get(submission))
        .route("/moderate/submissions/{id}/approve", post(approve))
        .route("/moderate/submissions/{id}/reject", post(reject))
        .route(
            "/moderate/submissions/{id}/edit",
            get(edit_form).post(edit_save),
        )
        .route("/moderate/listings/{id}/archive", post(archive))
        .route("/moderate/listings/{id}/checked", post(mark_checked))
        .route("/moderate/reports/{id}/close", post(close_report))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.site.secure_cookies {
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

/// A signed-in moderator, from the session cookie. A handler that takes one is for
/// moderators only: anyone else is sent to the sign-in page.
pub struct Moderator {
    user: String,
    csrf: String,
    /// The session id from the cookie (only its hash is stored).
    session: String,
}

impl FromRequestParts<AppState> for Moderator {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let session = session_cookie(&parts.headers, cookie_name(state)).ok_or(WebError::SignIn)?;
        let hash = tokens::hash_token(&session);
        let (user, csrf) = blocking(state, move |app| app.store.session(&hash))
            .await?
            .ok_or(WebError::SignIn)?;
        Ok(Moderator {
            user,
            csrf,
            session,
        })
    }
}

/// A moderator's POST: the signed-in moderator and the form, which carried the
/// session's CSRF token (else 403 and nothing is done).
pub struct ModeratorForm {
    moderator: Moderator,
    form: Pairs,
}

impl FromRequest<AppState> for ModeratorForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let moderator = Moderator::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = Pairs::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !tokens::same_secret(form.get("csrf"), &moderator.csrf) {
            return Err(WebError::refused(
                StatusCode::FORBIDDEN,
                "That form had expired",
                "Go back to the moderation queue and try again.",
            )
            .into_response());
        }
        Ok(ModeratorForm { moderator, form })
    }
}

/// A redirect carrying the moderator cookie (`max_age` 0 clears it).
fn with_cookie(state: &AppState, to: &str, value: &str, max_age: i64) -> Response {
    let secure = if state.site.secure_cookies {
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
    r
}

/// What the queue says after a moderator's action (`/moderate?done=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Approved,
    Rejected,
    Archived,
    Checked,
    Closed,
}

impl Done {
    const ALL: [Done; 5] = [
        Done::Approved,
        Done::Rejected,
        Done::Archived,
        Done::Checked,
        Done::Closed,
    ];

    fn key(self) -> &'static str {
        match self {
            Done::Approved => "approved",
            Done::Rejected => "rejected",
            Done::Archived => "archived",
            Done::Checked => "checked",
            Done::Closed => "closed",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Done::Approved => "Approved. It is in search now.",
            Done::Rejected => "Rejected. The group has been told why.",
            Done::Archived => "Archived. It has left search.",
            Done::Checked => "Marked as checked.",
            Done::Closed => "Report closed.",
        }
    }

    /// The `done` a queue address names; an unknown one says nothing.
    fn from_key(key: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|d| d.key() == key)
    }

    /// Back to the queue, saying what was done.
    fn redirect(self) -> Redirect {
        Redirect::to(&format!("/moderate?done={}", self.key()))
    }
}

/// The one-click moderator actions on a listing or a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingAction {
    /// Take a listing out of search.
    Archive,
    /// Confirm a listing is still running ("last checked" today).
    MarkChecked,
    /// Close a report about a listing.
    CloseReport,
}

impl ListingAction {
    /// Does it in the store, logged as `user`; false when there is nothing with that
    /// id to act on.
    fn run(self, store: &Store, id: i64, user: &str) -> Result<bool, StoreError> {
        match self {
            ListingAction::Archive => store.archive_listing(id, user),
            ListingAction::MarkChecked => store.confirm_listing(id, user),
            ListingAction::CloseReport => store.close_report(id, user, "closed by a moderator"),
        }
    }

    fn done(self) -> Done {
        match self {
            ListingAction::Archive => Done::Archived,
            ListingAction::MarkChecked => Done::Checked,
            ListingAction::CloseReport => Done::Closed,
        }
    }
}

pub async fn login_form(State(state): State<AppState>) -> Markup {
    mv::login_page(
        None,
        "",
        &state.site.signer.issue(chrono::Utc::now().timestamp()),
    )
}

/// How a sign-in went.
enum SignIn {
    /// A new session id for the cookie.
    Session(String),
    WrongPassword,
    Locked,
}

pub async fn login(State(state): State<AppState>, p: Pairs) -> Result<Response, WebError> {
    let username = p.get("username").trim().to_string();
    let password = p.get("password").to_string();
    let ft = state.site.signer.issue(chrono::Utc::now().timestamp());
    let again = |status: StatusCode, msg: &str| {
        Ok((status, mv::login_page(Some(msg), &username, &ft)).into_response())
    };
    if state
        .site
        .signer
        .check(p.get("ft"), chrono::Utc::now().timestamp())
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
    let outcome = blocking(&state, move |app| -> Result<SignIn, StoreError> {
        if app
            .store
            .recent_failures(&user, chrono::Duration::minutes(LOCKOUT_MINUTES))?
            >= MAX_FAILURES
        {
            return Ok(SignIn::Locked);
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
            return Ok(SignIn::WrongPassword);
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
        Ok(SignIn::Session(token))
    })
    .await?;
    match outcome {
        SignIn::Session(token) => Ok(with_cookie(
            &state,
            "/moderate",
            &token,
            SESSION_HOURS * 3600,
        )),
        SignIn::Locked => again(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed attempts. Wait {LOCKOUT_MINUTES} minutes, then try again"),
        ),
        SignIn::WrongPassword => again(
            StatusCode::UNAUTHORIZED,
            "The username or password is not right",
        ),
    }
}

pub async fn logout(State(state): State<AppState>, posted: ModeratorForm) -> Response {
    let Moderator { user, session, .. } = posted.moderator;
    // Signing out clears the cookie even if the store could not end the session.
    let _ = blocking(&state, move |app| {
        app.store.end_session(&tokens::hash_token(&session))?;
        app.store
            .log_action(&user, "sign out", &format!("moderator {user}"))
    })
    .await;
    with_cookie(&state, "/moderate/login", "", 0)
}

pub async fn queue(
    State(state): State<AppState>,
    m: Moderator,
    RawQuery(q): RawQuery,
) -> Result<Markup, WebError> {
    let cutoff = state.site.freshness.due_cutoff((state.clock)().and_utc());
    let (items, reports, due) = blocking(&state, move |app| -> Result<_, StoreError> {
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
    .await?;
    let flash = Pairs::query(q.as_deref())
        .first("done")
        .and_then(Done::from_key)
        .map(Done::message);
    Ok(mv::queue_page(
        &m.user, &m.csrf, &items, &reports, &due, flash,
    ))
}

/// `GET /moderate/find?q=...`: any published listing, stale ones included.
pub async fn find(
    State(state): State<AppState>,
    m: Moderator,
    RawQuery(raw): RawQuery,
) -> Result<Markup, WebError> {
    let (req, _) = super::search::parse(&state, raw.as_deref());
    let q = req.q.clone();
    if q.trim().is_empty() {
        return Ok(mv::find_page(&m.user, &m.csrf, "", None));
    }
    // Words only: where and when are for the public search.
    let req = crate::search::SearchRequest {
        q: req.q,
        page: 1,
        within: crate::search::request::DEFAULT_WITHIN_MILES,
        include_stale: true,
        // Moderators see how many listings a search finds, however many.
        exact_counts: true,
        matches_only: true,
        without_type_counts: true,
        ..Default::default()
    };
    let results = super::search::run(&state, req).await?;
    let freshness = state.site.freshness;
    let today = (state.clock)().date();
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let found = blocking(&state, move |app| -> Result<_, StoreError> {
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
                    stale: freshness.is_stale(last_checked, today),
                });
            }
        }
        Ok(found)
    })
    .await?;
    Ok(mv::find_page(
        &m.user,
        &m.csrf,
        &q,
        Some((results.total, &found)),
    ))
}

/// A submission by the id in its address, its form, and (for a change) the live
/// listing it would change; 404 when there is none.
async fn load_submission(
    state: &AppState,
    id: &str,
) -> Result<(Submission, ListingForm, Option<Listing>), WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    blocking(state, move |app| {
        let sub = app.store.submission(id)?.ok_or(WebError::NotFound)?;
        let form: ListingForm = serde_json::from_str(&sub.form)?;
        let live = match sub.listing_id {
            Some(l) if sub.kind == "edit" => app.store.get(l)?,
            _ => None,
        };
        Ok::<_, WebError>((sub, form, live))
    })
    .await
}

/// The problems a moderator should see with a submission's answers (none when they
/// could not be checked: the moderator can still read and edit them).
async fn problems(state: &AppState, form: &ListingForm) -> Vec<(String, String)> {
    match build(state, form.clone()).await {
        Ok((_, Err(errors))) => errors,
        _ => Vec::new(),
    }
}

pub async fn submission(
    State(state): State<AppState>,
    m: Moderator,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    let (sub, form, live) = load_submission(&state, &id).await?;
    let problems = if sub.status == "pending" {
        problems(&state, &form).await
    } else {
        Vec::new()
    };
    Ok(submission_page(
        &state,
        &m,
        &sub,
        &form,
        live.as_ref(),
        &problems,
    ))
}

/// A submission for a moderator, beside the live listing it would change.
fn submission_page(
    state: &AppState,
    m: &Moderator,
    sub: &Submission,
    form: &ListingForm,
    live: Option<&Listing>,
    problems: &[(String, String)],
) -> Markup {
    let live_form = live.map(ListingForm::from_listing);
    mv::submission_page(
        &m.user,
        &m.csrf,
        sub,
        form,
        live_form.as_ref(),
        state.app.taxonomy,
        problems,
    )
}

/// Builds and publishes a pending submission; the index is updated before returning.
async fn approve_form(
    state: &AppState,
    user: &str,
    id: i64,
    form: ListingForm,
) -> Result<Redirect, WebError> {
    let (form, built) = build(state, form).await?;
    let Ok(listing) = built else {
        return Ok(Redirect::to(&format!("/moderate/submissions/{id}/edit")));
    };
    let user = user.to_string();
    let (lid, email) = blocking(state, move |app| -> Result<_, StoreError> {
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
    })
    .await?
    .ok_or(WebError::NotFound)?;
    index_now(state).await;
    if let Some(to) = email {
        send_mail(&state.site.outbox, Message {
            to,
            subject: format!("Your Signpost listing is approved: reference {}", reference(id)),
            body: format!("Good news: \"{}\" has been approved and is now on Signpost as listing {lid}.\n", form.get("title").trim()),
        })
        .await;
    }
    Ok(Done::Approved.redirect())
}

pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: ModeratorForm,
) -> Result<Redirect, WebError> {
    let (sub, form, _) = load_submission(&state, &id).await?;
    approve_form(&state, &posted.moderator.user, sub.id, form).await
}

pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ModeratorForm {
        moderator: m,
        form: p,
    }: ModeratorForm,
) -> Result<Response, WebError> {
    let (sub, form, live) = load_submission(&state, &id).await?;
    let reason = p.get("reason").trim().to_string();
    if reason.is_empty() || reason.chars().count() > 2_000 {
        let problems = vec![(
            "reason".to_string(),
            "Enter a reason of up to 2,000 characters to send to the group".to_string(),
        )];
        let page = submission_page(&state, &m, &sub, &form, live.as_ref(), &problems);
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let (user, r2) = (m.user.clone(), reason.clone());
    let sub = blocking(&state, move |app| {
        app.store.reject_submission(sub.id, &user, &r2)
    })
    .await?
    .ok_or(WebError::NotFound)?;
    if let Some(to) = sub.email {
        send_mail(&state.site.outbox, Message {
            to,
            subject: format!("Your Signpost listing: reference {}", reference(sub.id)),
            body: format!("Thank you for sending \"{}\". A volunteer could not approve it, for this reason:\n\n{reason}\n\nYou can send it again with the changes at /add, or reply to ask.\n", form.get("title").trim()),
        })
        .await;
    }
    Ok(Done::Rejected.redirect().into_response())
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
    m: Moderator,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    let (sub, form, _) = load_submission(&state, &id).await?;
    let errors = problems(&state, &form).await;
    Ok(gv::listing_form_page(
        &edit_target(sub.id, &m.csrf),
        &form,
        &errors,
        state.app.taxonomy,
    ))
}

/// Saves the moderator's corrections (logged) and approves.
pub async fn edit_save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ModeratorForm {
        moderator: m,
        form: p,
    }: ModeratorForm,
) -> Result<Response, WebError> {
    let (sub, old, _) = load_submission(&state, &id).await?;
    let mut form = ListingForm::from_pairs(p.iter());
    // The group's email is not on the moderator's form; keep it.
    if let Some(e) = old.your_email() {
        form = ListingForm::from_pairs(
            form.pairs()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([("your_email", e)]),
        );
    }
    let (form, built) = build(&state, form).await?;
    if let Err(errors) = built {
        return Ok((
            StatusCode::BAD_REQUEST,
            gv::listing_form_page(
                &edit_target(sub.id, &m.csrf),
                &form,
                &errors,
                state.app.taxonomy,
            ),
        )
            .into_response());
    }
    let json = serde_json::to_string(&form)?;
    let user = m.user.clone();
    let saved = blocking(&state, move |app| {
        app.store.edit_submission(sub.id, &user, &json)
    })
    .await?;
    if !saved {
        return Err(WebError::NotFound);
    }
    Ok(approve_form(&state, &m.user, sub.id, form)
        .await?
        .into_response())
}

/// `POST` of a one-click action: done, logged, indexed, and back to the queue.
async fn act(
    state: AppState,
    action: ListingAction,
    id: String,
    posted: ModeratorForm,
) -> Result<Redirect, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let user = posted.moderator.user;
    let done = blocking(&state, move |app| action.run(&app.store, id, &user)).await?;
    if !done {
        return Err(WebError::NotFound);
    }
    index_now(&state).await;
    Ok(action.done().redirect())
}

pub async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: ModeratorForm,
) -> Result<Redirect, WebError> {
    act(state, ListingAction::Archive, id, posted).await
}

pub async fn mark_checked(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: ModeratorForm,
) -> Result<Redirect, WebError> {
    act(state, ListingAction::MarkChecked, id, posted).await
}

pub async fn close_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: ModeratorForm,
) -> Result<Redirect, WebError> {
    act(state, ListingAction::CloseReport, id, posted).await
}

pub async fn audit(
    State(state): State<AppState>,
    m: Moderator,
    RawQuery(q): RawQuery,
) -> Result<Markup, WebError> {
    let page_no: i64 = Pairs::query(q.as_deref())
        .first("page")
        .and_then(|v| v.parse().ok())
        .filter(|p: &i64| (1..=100_000).contains(p))
        .unwrap_or(1);
    let per = 50;
    let mut entries = blocking(&state, move |app| {
        app.store.audit_log(per + 1, (page_no - 1) * per)
    })
    .await?;
    let more = entries.len() as i64 > per;
    entries.truncate(per as usize);
    Ok(mv::audit_page(&m.user, &m.csrf, &entries, page_no, more))
}

/// `GET /moderate/categories`: imported listings that fit none of Signpost's types and
/// have only the general one, for a moderator to choose better.
pub async fn categories(
    State(state): State<AppState>,
    m: Moderator,
    RawQuery(q): RawQuery,
) -> Result<Markup, WebError> {
    let done = Pairs::query(q.as_deref()).first("done").is_some();
    let (items, total) = blocking(&state, |app| app.store.needs_category(100)).await?;
    Ok(mv::categories_page(
        &m.user,
        &m.csrf,
        &items,
        total,
        state.app.taxonomy,
        done.then_some("Types saved. They are kept when the source is harvested again."),
    ))
}

/// Weeks the "searches that found nothing" page shows.
const MISSED_WEEKS: u64 = 8;

/// `GET /moderate/searches`: what people searched for that found nothing or little,
/// per week and postcode district, newest week first.
pub async fn searches(State(state): State<AppState>, m: Moderator) -> Result<Markup, WebError> {
    // Counts still in memory are written first, so the page is up to date.
    super::missed::flush(&state).await?;
    let today = (state.clock)().date();
    let since = super::missed::week_of(today) - chrono::Days::new((MISSED_WEEKS - 1) * 7);
    let since_s = since.format("%Y-%m-%d").to_string();
    let rows = blocking(&state, move |app| {
        app.store.missed_searches(&since_s, 2_000)
    })
    .await?;
    Ok(mv::missed_page(
        &m.user,
        &m.csrf,
        &rows,
        state.site.missed.is_on(),
        since,
    ))
}

/// `POST /moderate/listings/{id}/types`: a moderator's choice of types for a listing,
/// kept across re-harvests of its source and written to the audit log.
pub async fn set_types(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: ModeratorForm,
) -> Result<Redirect, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let taxonomy = state.app.taxonomy;
    let mut types: Vec<String> = Vec::new();
    for t in posted.form.all("type") {
        if taxonomy.activity_type(t).is_some() && !types.iter().any(|x| x == t) {
            types.push(t.to_string());
        }
    }
    if types.is_empty() {
        return Err(WebError::refused(
            StatusCode::BAD_REQUEST,
            "Choose at least one type",
            "Go back, tick one or more types of activity, and save again.",
        ));
    }
    let user = posted.moderator.user;
    let done = blocking(&state, move |app| app.store.set_types(id, &types, &user)).await?;
    if !done {
        return Err(WebError::NotFound);
    }
    index_now(&state).await;
    Ok(Redirect::to("/moderate/categories?done=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_done_round_trips_and_unknown_says_nothing() {
        for d in Done::ALL {
            assert_eq!(Done::from_key(d.key()), Some(d));
        }
        assert_eq!(Done::from_key("nonsense"), None);
        for a in [
            ListingAction::Archive,
            ListingAction::MarkChecked,
            ListingAction::CloseReport,
        ] {
            assert!(Done::ALL.contains(&a.done()));
        }
    }
}
