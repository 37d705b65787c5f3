//! Handlers for groups: add an activity, the private edit link, "still running".
//!
//! Every POST is checked in the same order: size limits (router), rate limit (router),
//! honeypot, signed form token, then the answers. A submission is committed to the
//! store before the confirmation page is built, and the email is written after the
//! commit, so nobody is ever told "sent" for something we do not have.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::pages::base_url;
use super::views::groups::{self as gv, FormTarget};
use super::{AppState, WebError};
use crate::SharedIndexer;
use crate::geo::locate::Geocoder;
use crate::groups::mail::{Message, Outbox};
use crate::groups::tokens::{self, FormSigner, FormTokenProblem};
use crate::groups::{FieldErrors, ListingForm, reference};
use crate::listing::Listing;

/// Settings and services for groups and moderation, shared by every request.
#[derive(Clone)]
pub struct Groups {
    pub signer: FormSigner,
    pub outbox: Outbox,
    /// Mark the moderator cookie `Secure` and give it the `__Host-` prefix (set when the
    /// site is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Months after which a listing is due for checking, and after which it leaves
    /// default search results.
    pub fresh_months: u32,
    pub stale_months: u32,
    /// When set, moderation writes are indexed at once (else the background follower
    /// picks them up).
    pub indexer: Option<SharedIndexer>,
    /// POST requests allowed per client per minute, and the burst; 0 turns limits off.
    pub posts_per_minute: u32,
    pub post_burst: u32,
    /// Most submissions waiting for moderation before new ones are refused.
    pub max_pending: i64,
}

impl std::fmt::Debug for Groups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Groups")
            .field("outbox", &self.outbox)
            .field("secure_cookies", &self.secure_cookies)
            .field("fresh_months", &self.fresh_months)
            .field("stale_months", &self.stale_months)
            .finish()
    }
}

impl Groups {
    pub fn new(data_dir: &std::path::Path) -> Groups {
        Groups {
            signer: FormSigner::load_or_create(data_dir),
            outbox: Outbox::new(data_dir),
            secure_cookies: false,
            fresh_months: 6,
            stale_months: 12,
            indexer: None,
            // Off for a router built directly (tests, embedding); `serve` sets the
            // configured limit (default 30 a minute).
            posts_per_minute: 0,
            post_burst: 10,
            max_pending: 10_000,
        }
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The form's own fields and everything else posted (buttons, token, honeypot).
fn parse(body: &Bytes) -> (ListingForm, Vec<(String, String)>) {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let form = ListingForm::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    (form, pairs)
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Which form: a new listing, or a change through a private link.
enum Mode {
    New,
    Change { token: String },
}

impl Mode {
    fn target(&self, state: &AppState) -> FormTarget<'static> {
        let ft = state.groups.signer.issue(unix_now());
        match self {
            Mode::New => FormTarget {
                h1: "Add your activity",
                intro: "Tell us about your group or activity. It is free, you do not need an account, and a volunteer checks every listing before it appears.",
                action: "/add".into(),
                send: "/add/send".into(),
                token_name: "ft",
                token: ft,
                send_label: "Send listing",
                ask_email: true,
            },
            Mode::Change { token } => FormTarget {
                h1: "Change your listing",
                intro: "Change anything that is out of date. Your listing stays as it is until a volunteer has checked the change.",
                action: format!("/manage/{token}/edit"),
                send: format!("/manage/{token}/send"),
                token_name: "ft",
                token: ft,
                send_label: "Send change",
                ask_email: true,
            },
        }
    }
}

/// Checks the answers and builds the listing, off the async threads (it looks up the
/// postcode in the store).
pub(super) async fn build(
    state: &AppState,
    form: ListingForm,
) -> Result<(ListingForm, Result<Listing, FieldErrors>), WebError> {
    let app = state.app.clone();
    tokio::task::spawn_blocking(move || {
        let geocoder = Geocoder::new(&app.store);
        let r = form.to_listing(app.taxonomy, &geocoder);
        (form, r)
    })
    .await
    .map_err(WebError::internal)
}

/// Why a public POST was refused before its answers were looked at.
enum Refusal {
    /// The form's token is older than a day: show the answers again to resend.
    Expired,
    Refused(Box<Response>),
}

fn spam_check(state: &AppState, pairs: &[(String, String)]) -> Result<(), Refusal> {
    if !value(pairs, "nickname").is_empty() {
        return Err(Refusal::Refused(Box::new(
            (
                StatusCode::BAD_REQUEST,
                gv::refused_page(
                    "Your form could not be sent",
                    "It looked like it was filled in automatically. If you are a person, please start again and leave the field that says \u{201c}Leave this empty\u{201d} empty.",
                ),
            )
                .into_response(),
        )));
    }
    match state.groups.signer.check(value(pairs, "ft"), unix_now()) {
        Ok(()) => Ok(()),
        Err(FormTokenProblem::Expired) => Err(Refusal::Expired),
        Err(_) => Err(Refusal::Refused(Box::new(
            (
                StatusCode::BAD_REQUEST,
                gv::refused_page(
                    "Your form could not be sent",
                    "It did not come from this website's form. Please start again from the form on this site.",
                ),
            )
                .into_response(),
        ))),
    }
}

/// `GET /add`.
/// Stores a submission with `add` unless the moderation queue is full (`None`), so
/// a flood cannot grow the queue without bound.
async fn store_if_room(
    state: &AppState,
    add: impl FnOnce(&crate::App) -> Result<i64, crate::store::StoreError> + Send + 'static,
) -> Result<Option<i64>, WebError> {
    let app = state.app.clone();
    let max_pending = state.groups.max_pending;
    tokio::task::spawn_blocking(move || -> Result<Option<i64>, crate::store::StoreError> {
        if app.store.pending_count()? >= max_pending {
            return Ok(None);
        }
        add(&app).map(Some)
    })
    .await
    .map_err(WebError::internal)?
    .map_err(WebError::internal)
}

pub async fn add_form(State(state): State<AppState>) -> Response {
    gv::listing_form_page(
        &Mode::New.target(&state),
        &ListingForm::default(),
        &Vec::new(),
        state.app.taxonomy,
    )
    .into_response()
}

/// `POST /add` and `POST /manage/{token}/edit`: back to the form (a "Change" button),
/// the form with errors, or the check-answers page.
async fn check(state: AppState, mode: Mode, body: Bytes) -> Response {
    let (form, pairs) = parse(&body);
    let target = mode.target(&state);
    let taxonomy = state.app.taxonomy;
    if !value(&pairs, "change").is_empty() {
        return gv::listing_form_page(&target, &form, &Vec::new(), taxonomy).into_response();
    }
    let (form, built) = match build(&state, form).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    match built {
        Err(errors) => (
            StatusCode::BAD_REQUEST,
            gv::listing_form_page(&target, &form, &errors, taxonomy),
        )
            .into_response(),
        Ok(l) => {
            let mut notes = Vec::new();
            if let Some(v) = &l.venue
                && let Some(pc) = &v.postcode
            {
                notes.push(match v.geo_precision {
                    Some(crate::listing::GeoPrecision::District) => format!(
                        "We found the postcode {pc}. We only know roughly where it is, so distances will be approximate."
                    ),
                    _ => format!("We found the postcode {pc}."),
                });
            }
            gv::check_page(&target, &form, taxonomy, &notes).into_response()
        }
    }
}

pub async fn add_check(State(state): State<AppState>, body: Bytes) -> Response {
    check(state, Mode::New, body).await
}

/// The sent form again, with a fresh token and a message, when its token had expired:
/// nothing typed is lost.
fn expired(state: &AppState, mode: &Mode, form: &ListingForm) -> Response {
    let target = mode.target(state);
    let errors = vec![(
        "title".to_string(),
        "This form was open for more than a day, so we could not send it. Check your answers and continue again".to_string(),
    )];
    (
        StatusCode::BAD_REQUEST,
        gv::listing_form_page(&target, form, &errors, state.app.taxonomy),
    )
        .into_response()
}

/// `POST /add/send`.
pub async fn add_send(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (form, pairs) = parse(&body);
    match spam_check(&state, &pairs) {
        Ok(()) => {}
        Err(Refusal::Expired) => return expired(&state, &Mode::New, &form),
        Err(Refusal::Refused(r)) => return *r,
    }
    let (form, built) = match build(&state, form).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    if let Err(errors) = built {
        let target = Mode::New.target(&state);
        return (
            StatusCode::BAD_REQUEST,
            gv::listing_form_page(&target, &form, &errors, state.app.taxonomy),
        )
            .into_response();
    }
    let token = tokens::random_token();
    let token_hash = tokens::hash_token(&token);
    let email = form.your_email().map(str::to_string);
    let json = serde_json::to_string(&form).expect("a form always serialises");
    let stored = store_if_room(&state, move |app| {
        app.store
            .add_new_submission(&json, email.as_deref(), &token_hash)
    })
    .await;
    let id = match stored {
        Ok(Some(id)) => id,
        Ok(None) => return busy(),
        Err(e) => return e.into_response(),
    };
    // Committed. From here on the group is told it worked.
    let link = format!("{}/manage/{token}", base_url(&state, &headers));
    let r = reference(id);
    let emailed = form.your_email().map(str::to_string);
    if let Some(to) = &emailed {
        send_mail(&state.groups.outbox, Message {
            to: to.clone(),
            subject: format!("Your Signpost listing: reference {r}"),
            body: format!(
                "Thank you for sending your listing \"{}\" to Signpost.\n\nYour reference is {r}.\n\nA volunteer will check it before it appears. Your private link to change it, or to tell us it is still running, is:\n\n{link}\n\nKeep this link safe: anyone with it can change your listing.\n",
                form.get("title").trim()
            ),
        })
        .await;
    }
    gv::sent_page(&r, &link, emailed.as_deref(), false).into_response()
}

fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        gv::refused_page(
            "We cannot take new listings right now",
            "We have more listings waiting to be checked than we can hold. Please try again tomorrow. Nothing has been saved.",
        ),
    )
        .into_response()
}

/// Writes an email after the commit it describes. A failure to write is logged, not
/// shown: the submission is safe and the link is on the page.
pub(super) async fn send_mail(outbox: &Outbox, m: Message) {
    let outbox = outbox.clone();
    match tokio::task::spawn_blocking(move || outbox.send(&m)).await {
        Ok(Ok(path)) => tracing::info!(file = %path.display(), "email written to the outbox"),
        Ok(Err(e)) => tracing::error!("could not write an email to the outbox: {e}"),
        Err(e) => tracing::error!("email task failed: {e}"),
    }
}

/// The listing and link details behind a private link, or 404.
async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<(crate::store::TokenInfo, Option<Listing>), WebError> {
    if !tokens::looks_like_token(token) {
        return Err(WebError::NotFound);
    }
    let app = state.app.clone();
    let hash = tokens::hash_token(token);
    tokio::task::spawn_blocking(move || -> Result<_, WebError> {
        let info = app
            .store
            .token(&hash)
            .map_err(WebError::internal)?
            .ok_or(WebError::NotFound)?;
        let listing = match info.listing_id {
            Some(id) => app.store.get(id).map_err(WebError::internal)?,
            None => None,
        };
        Ok((info, listing))
    })
    .await
    .map_err(WebError::internal)?
}

/// Is the listing confirmed within the freshness period? `now` is the site's clock
/// (pinned in tests, so pages do not change as real time passes).
pub fn is_fresh(groups: &Groups, l: &Listing, now: chrono::NaiveDateTime) -> bool {
    let checked = l.provenance.verified_at.or(l.provenance.updated_at);
    let Some(cutoff) = now
        .and_utc()
        .checked_sub_months(chrono::Months::new(groups.fresh_months))
    else {
        return true;
    };
    checked.is_some_and(|c| c >= cutoff)
}

/// `GET /manage/{token}`.
pub async fn manage(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (info, listing) = match resolve(&state, &token).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let status = match (&listing, &info.latest) {
        (_, Some((id, s))) if s == "pending" => format!("Your latest change (reference {}) is waiting for a volunteer to check it.", reference(*id)),
        (Some(l), _) if l.status == crate::listing::Status::Published => "Your listing is live.".to_string(),
        (Some(_), _) => "Your listing is not shown in search at the moment.".to_string(),
        (None, Some((_, s))) if s == "rejected" => "Your listing was not approved. We have emailed you the reason if you gave an email address.".to_string(),
        (None, _) => "Your listing is waiting for a volunteer to check it.".to_string(),
    };
    let link = format!("/manage/{token}");
    let fresh = listing
        .as_ref()
        .is_some_and(|l| is_fresh(&state.groups, l, (state.clock)()));
    let live = listing.filter(|l| l.status == crate::listing::Status::Published);
    gv::manage_page(
        &link,
        live.as_ref(),
        &status,
        fresh,
        &state.groups.signer.issue(unix_now()),
    )
    .into_response()
}

/// `GET /manage/{token}/edit`: the form filled in from the live listing.
pub async fn edit_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (info, listing) = match resolve(&state, &token).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let Some(l) = listing.filter(|l| l.status == crate::listing::Status::Published) else {
        return WebError::NotFound.into_response();
    };
    let mut form = ListingForm::from_listing(&l);
    if let Some(e) = &info.email {
        form = ListingForm::from_pairs(
            form.pairs()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([("your_email", e.as_str())]),
        );
    }
    gv::listing_form_page(
        &Mode::Change { token }.target(&state),
        &form,
        &Vec::new(),
        state.app.taxonomy,
    )
    .into_response()
}

pub async fn edit_check(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(e) = resolve(&state, &token).await {
        return e.into_response();
    }
    check(state, Mode::Change { token }, body).await
}

/// `POST /manage/{token}/send`: stores the proposed change for moderation.
pub async fn edit_send(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (info, listing) = match resolve(&state, &token).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let Some(l) = listing else {
        return WebError::NotFound.into_response();
    };
    let (form, pairs) = parse(&body);
    let mode = Mode::Change {
        token: token.clone(),
    };
    match spam_check(&state, &pairs) {
        Ok(()) => {}
        Err(Refusal::Expired) => return expired(&state, &mode, &form),
        Err(Refusal::Refused(r)) => return *r,
    }
    let (form, built) = match build(&state, form).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    if let Err(errors) = built {
        return (
            StatusCode::BAD_REQUEST,
            gv::listing_form_page(&mode.target(&state), &form, &errors, state.app.taxonomy),
        )
            .into_response();
    }
    let json = serde_json::to_string(&form).expect("a form always serialises");
    let email = form.your_email().map(str::to_string).or(info.email.clone());
    let email2 = email.clone();
    let stored = store_if_room(&state, move |app| {
        app.store
            .add_edit_submission(info.token_id, l.id, &json, email2.as_deref())
    })
    .await;
    let id = match stored {
        Ok(Some(id)) => id,
        Ok(None) => return busy(),
        Err(e) => return e.into_response(),
    };
    let link = format!("{}/manage/{token}", base_url(&state, &headers));
    let r = reference(id);
    if let Some(to) = &email {
        send_mail(&state.groups.outbox, Message {
            to: to.clone(),
            subject: format!("Your change to Signpost: reference {r}"),
            body: format!("Thank you. We have your change to \"{}\", reference {r}.\n\nA volunteer will check it; until then your listing stays as it was.\n\nYour private link: {link}\n", form.get("title").trim()),
        })
        .await;
    }
    gv::sent_page(&r, &link, email.as_deref(), true).into_response()
}

/// `POST /manage/{token}/still-running`: one click refreshes "last checked".
pub async fn still_running(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let (_, listing) = match resolve(&state, &token).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let Some(l) = listing.filter(|l| l.status == crate::listing::Status::Published) else {
        return WebError::NotFound.into_response();
    };
    let (_, pairs) = parse(&body);
    match spam_check(&state, &pairs) {
        Ok(()) => {}
        Err(Refusal::Expired) => {
            return (
                StatusCode::BAD_REQUEST,
                gv::refused_page(
                    "That page had expired",
                    "Go back to your private link and press the button again.",
                ),
            )
                .into_response();
        }
        Err(Refusal::Refused(r)) => return *r,
    }
    let app = state.app.clone();
    let id = l.id;
    let done = tokio::task::spawn_blocking(move || app.store.confirm_listing(id, "group")).await;
    match done {
        Ok(Ok(_)) => {
            index_now(&state).await;
            gv::confirmed_page(&l).into_response()
        }
        Ok(Err(e)) => WebError::internal(e).into_response(),
        Err(e) => WebError::internal(e).into_response(),
    }
}

/// Brings the index up to date at once when this server holds the index writer.
pub(super) async fn index_now(state: &AppState) {
    let Some(ix) = state.groups.indexer.clone() else {
        return;
    };
    let app: Arc<crate::App> = state.app.clone();
    let r = tokio::task::spawn_blocking(move || {
        let mut guard = ix.lock().unwrap_or_else(|p| p.into_inner());
        app.sync(&mut guard)
    })
    .await;
    match r {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!("indexing after a moderation change failed: {e}"),
        Err(e) => tracing::error!("indexing task failed: {e}"),
    }
}
