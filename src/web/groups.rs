//! Handlers for groups: add an activity, the private edit link, "still running".
//!
//! Every POST is checked in the same order: size limits (router), rate limit (router),
//! honeypot, signed form token, then the answers. A submission is committed to the
//! store before the confirmation page is built, and the email is written after the
//! commit, so nobody is ever told "sent" for something we do not have.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::form::Pairs;
use super::views::groups::{self as gv, FormTarget};
use super::{AppState, WebError, blocking};
use crate::geo::locate::Geocoder;
use crate::groups::mail::{Message, Outbox};
use crate::groups::tokens::{self, FormTokenProblem};
use crate::groups::{FieldErrors, ListingForm, reference};
use crate::listing::{Listing, Status};

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The listing form's own fields out of everything posted.
fn listing_form(pairs: &Pairs) -> ListingForm {
    ListingForm::from_pairs(pairs.iter())
}

/// Which form: a new listing, or a change through a private link.
enum Mode {
    New,
    Change { token: String },
}

impl Mode {
    fn target(&self, state: &AppState) -> FormTarget<'static> {
        let ft = state.site.signer.issue(unix_now());
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
    Ok(tokio::task::spawn_blocking(move || {
        let geocoder = Geocoder::new(&app.store);
        let r = form.to_listing(app.taxonomy, &geocoder);
        (form, r)
    })
    .await?)
}

/// A public POST's signed form token, once the honeypot and signature have passed.
enum Token {
    Valid,
    /// Older than a day: show the answers again to resend.
    Expired,
}

/// The honeypot and the signed token; a refusal says why and changes nothing.
fn spam_check(state: &AppState, pairs: &Pairs) -> Result<Token, WebError> {
    const TITLE: &str = "Your form could not be sent";
    if !pairs.get("nickname").is_empty() {
        return Err(WebError::refused(
            StatusCode::BAD_REQUEST,
            TITLE,
            "It looked like it was filled in automatically. If you are a person, please start again and leave the field that says \u{201c}Leave this empty\u{201d} empty.",
        ));
    }
    match state.site.signer.check(pairs.get("ft"), unix_now()) {
        Ok(()) => Ok(Token::Valid),
        Err(FormTokenProblem::Expired) => Ok(Token::Expired),
        Err(_) => Err(WebError::refused(
            StatusCode::BAD_REQUEST,
            TITLE,
            "It did not come from this website's form. Please start again from the form on this site.",
        )),
    }
}

/// Stores a submission with `add` unless the moderation queue is full, so a flood
/// cannot grow the queue without bound.
async fn store_if_room(
    state: &AppState,
    add: impl FnOnce(&crate::App) -> Result<i64, crate::store::StoreError> + Send + 'static,
) -> Result<i64, WebError> {
    let max_pending = state.site.max_pending;
    let stored = blocking(state, move |app| -> Result<_, crate::store::StoreError> {
        if app.store.pending_count()? >= max_pending {
            return Ok(None);
        }
        add(app).map(Some)
    })
    .await?;
    stored.ok_or_else(|| {
        WebError::refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "We cannot take new listings right now",
            "We have more listings waiting to be checked than we can hold. Please try again tomorrow. Nothing has been saved.",
        )
    })
}

/// `GET /add`.
pub async fn add_form(State(state): State<AppState>) -> Markup {
    gv::listing_form_page(
        &Mode::New.target(&state),
        &ListingForm::default(),
        &Vec::new(),
        state.app.taxonomy,
    )
}

/// The form again with its errors, status 400.
fn form_again(state: &AppState, mode: &Mode, form: &ListingForm, errors: &FieldErrors) -> Response {
    (
        StatusCode::BAD_REQUEST,
        gv::listing_form_page(&mode.target(state), form, errors, state.app.taxonomy),
    )
        .into_response()
}

/// `POST /add` and `POST /manage/{token}/edit`: back to the form (a "Change" button),
/// the form with errors, or the check-answers page.
async fn check(state: AppState, mode: Mode, pairs: Pairs) -> Result<Response, WebError> {
    let form = listing_form(&pairs);
    let taxonomy = state.app.taxonomy;
    if !pairs.get("change").is_empty() {
        let target = mode.target(&state);
        return Ok(gv::listing_form_page(&target, &form, &Vec::new(), taxonomy).into_response());
    }
    let (form, built) = build(&state, form).await?;
    let l = match built {
        Ok(l) => l,
        Err(errors) => return Ok(form_again(&state, &mode, &form, &errors)),
    };
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
    Ok(gv::check_page(&mode.target(&state), &form, taxonomy, &notes).into_response())
}

pub async fn add_check(State(state): State<AppState>, pairs: Pairs) -> Result<Response, WebError> {
    check(state, Mode::New, pairs).await
}

/// The sent form again, with a fresh token and a message, when its token had expired:
/// nothing typed is lost.
fn expired(state: &AppState, mode: &Mode, form: &ListingForm) -> Response {
    let errors = vec![(
        "title".to_string(),
        "This form was open for more than a day, so we could not send it. Check your answers and continue again".to_string(),
    )];
    form_again(state, mode, form, &errors)
}

/// The spam checks and the answers of a form being sent: the listing it builds, or the
/// page to show instead (the form again, with a fresh token or with its errors).
async fn checked_form(
    state: &AppState,
    mode: &Mode,
    pairs: &Pairs,
) -> Result<Result<ListingForm, Response>, WebError> {
    let form = listing_form(pairs);
    if let Token::Expired = spam_check(state, pairs)? {
        return Ok(Err(expired(state, mode, &form)));
    }
    let (form, built) = build(state, form).await?;
    Ok(match built {
        Ok(_) => Ok(form),
        Err(errors) => Err(form_again(state, mode, &form, &errors)),
    })
}

/// `POST /add/send`.
pub async fn add_send(
    State(state): State<AppState>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Result<Response, WebError> {
    let form = match checked_form(&state, &Mode::New, &pairs).await? {
        Ok(form) => form,
        Err(page) => return Ok(page),
    };
    let token = tokens::random_token();
    let token_hash = tokens::hash_token(&token);
    let email = form.your_email().map(str::to_string);
    let json = serde_json::to_string(&form)?;
    let id = store_if_room(&state, move |app| {
        app.store
            .add_new_submission(&json, email.as_deref(), &token_hash)
    })
    .await?;
    // Committed. From here on the group is told it worked.
    let link = format!("{}/manage/{token}", state.site.base_url(&headers));
    let r = reference(id);
    let emailed = form.your_email().map(str::to_string);
    if let Some(to) = &emailed {
        send_mail(&state.site.outbox, Message {
            to: to.clone(),
            subject: format!("Your Signpost listing: reference {r}"),
            body: format!(
                "Thank you for sending your listing \"{}\" to Signpost.\n\nYour reference is {r}.\n\nA volunteer will check it before it appears. Your private link to change it, or to tell us it is still running, is:\n\n{link}\n\nKeep this link safe: anyone with it can change your listing.\n",
                form.get("title").trim()
            ),
        })
        .await;
    }
    Ok(gv::sent_page(&r, &link, emailed.as_deref(), false).into_response())
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
    let hash = tokens::hash_token(token);
    blocking(state, move |app| {
        let info = app.store.token(&hash)?.ok_or(WebError::NotFound)?;
        let listing = match info.listing_id {
            Some(id) => app.store.get(id)?,
            None => None,
        };
        Ok::<_, WebError>((info, listing))
    })
    .await
}

/// The live listing behind a private link, or 404.
async fn resolve_live(
    state: &AppState,
    token: &str,
) -> Result<(crate::store::TokenInfo, Listing), WebError> {
    let (info, listing) = resolve(state, token).await?;
    let live = listing
        .filter(|l| l.status == Status::Published)
        .ok_or(WebError::NotFound)?;
    Ok((info, live))
}

/// `GET /manage/{token}`.
pub async fn manage(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Markup, WebError> {
    let (info, listing) = resolve(&state, &token).await?;
    let status = match (&listing, &info.latest) {
        (_, Some((id, s))) if s == "pending" => format!("Your latest change (reference {}) is waiting for a volunteer to check it.", reference(*id)),
        (Some(l), _) if l.status == Status::Published => "Your listing is live.".to_string(),
        (Some(_), _) => "Your listing is not shown in search at the moment.".to_string(),
        (None, Some((_, s))) if s == "rejected" => "Your listing was not approved. We have emailed you the reason if you gave an email address.".to_string(),
        (None, _) => "Your listing is waiting for a volunteer to check it.".to_string(),
    };
    let link = format!("/manage/{token}");
    let now = (state.clock)().and_utc();
    let fresh = listing.as_ref().is_some_and(|l| {
        let checked = l.provenance.verified_at.or(l.provenance.updated_at);
        !state.site.freshness.is_due(checked, now)
    });
    let live = listing.filter(|l| l.status == Status::Published);
    Ok(gv::manage_page(
        &link,
        live.as_ref(),
        &status,
        fresh,
        &state.site.signer.issue(unix_now()),
    ))
}

/// `GET /manage/{token}/edit`: the form filled in from the live listing.
pub async fn edit_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Markup, WebError> {
    let (info, l) = resolve_live(&state, &token).await?;
    let mut form = ListingForm::from_listing(&l);
    if let Some(e) = &info.email {
        form = ListingForm::from_pairs(
            form.pairs()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([("your_email", e.as_str())]),
        );
    }
    Ok(gv::listing_form_page(
        &Mode::Change { token }.target(&state),
        &form,
        &Vec::new(),
        state.app.taxonomy,
    ))
}

pub async fn edit_check(
    State(state): State<AppState>,
    Path(token): Path<String>,
    pairs: Pairs,
) -> Result<Response, WebError> {
    resolve(&state, &token).await?;
    check(state, Mode::Change { token }, pairs).await
}

/// `POST /manage/{token}/send`: stores the proposed change for moderation.
pub async fn edit_send(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Result<Response, WebError> {
    let (info, listing) = resolve(&state, &token).await?;
    let l = listing.ok_or(WebError::NotFound)?;
    let mode = Mode::Change {
        token: token.clone(),
    };
    let form = match checked_form(&state, &mode, &pairs).await? {
        Ok(form) => form,
        Err(page) => return Ok(page),
    };
    let json = serde_json::to_string(&form)?;
    let email = form.your_email().map(str::to_string).or(info.email.clone());
    let email2 = email.clone();
    let id = store_if_room(&state, move |app| {
        app.store
            .add_edit_submission(info.token_id, l.id, &json, email2.as_deref())
    })
    .await?;
    let link = format!("{}/manage/{token}", state.site.base_url(&headers));
    let r = reference(id);
    if let Some(to) = &email {
        send_mail(&state.site.outbox, Message {
            to: to.clone(),
            subject: format!("Your change to Signpost: reference {r}"),
            body: format!("Thank you. We have your change to \"{}\", reference {r}.\n\nA volunteer will check it; until then your listing stays as it was.\n\nYour private link: {link}\n", form.get("title").trim()),
        })
        .await;
    }
    Ok(gv::sent_page(&r, &link, email.as_deref(), true).into_response())
}

/// `POST /manage/{token}/still-running`: one click refreshes "last checked".
pub async fn still_running(
    State(state): State<AppState>,
    Path(token): Path<String>,
    pairs: Pairs,
) -> Result<Markup, WebError> {
    let (_, l) = resolve_live(&state, &token).await?;
    if let Token::Expired = spam_check(&state, &pairs)? {
        return Err(WebError::refused(
            StatusCode::BAD_REQUEST,
            "That page had expired",
            "Go back to your private link and press the button again.",
        ));
    }
    let id = l.id;
    blocking(&state, move |app| app.store.confirm_listing(id, "group")).await?;
    index_now(&state).await;
    Ok(gv::confirmed_page(&l))
}

/// How long a page waits for the index writer before answering anyway. The writer
/// is busy for milliseconds when the server indexes a harvest's changes, and for
/// minutes while it rebuilds a large index (331 s at 1.15M listings under load):
/// nobody should wait that long for a page whose change is already stored.
const INDEX_NOW_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Brings the index up to date at once when this server holds the index writer. The
/// change is already committed to the store: if the writer stays busy (a rebuild) for
/// [`INDEX_NOW_WAIT`], the page answers without it, and the server's index follower
/// picks the change up when the writer is free.
pub(super) async fn index_now(state: &AppState) {
    let Some(ix) = state.site.indexer.clone() else {
        return;
    };
    let app: Arc<crate::App> = state.app.clone();
    let r = tokio::task::spawn_blocking(move || {
        let waited = std::time::Instant::now();
        let mut guard = loop {
            match ix.try_lock() {
                Ok(guard) => break guard,
                Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) if waited.elapsed() < INDEX_NOW_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(std::sync::TryLockError::WouldBlock) => return Ok(false),
            }
        };
        app.sync(&mut guard).map(|_| true)
    })
    .await;
    match r {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => tracing::info!(
            "the index writer is busy (rebuilding?): the change is stored and will be searchable when it is free"
        ),
        Ok(Err(e)) => tracing::error!("indexing after a moderation change failed: {e}"),
        Err(e) => tracing::error!("indexing task failed: {e}"),
    }
}
