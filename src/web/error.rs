//! The web layer's one error type.
//!
//! Handlers return `Result<_, WebError>` and use `?`. Input problems are 4xx with a
//! message a person can act on (JSON for the API, a page for HTML). Internal failures
//! keep their cause (`#[source]`), are logged with the whole chain, and are shown as a
//! plain apology; their detail never reaches the response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use crate::geo::locate::{LocateError, TableError};
use crate::search::{ParamError, SearchError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Search parameters that are not valid, each with its message.
    #[error("{}", .0.first().map(|e| e.message.as_str()).unwrap_or("Bad request"))]
    BadParams(Vec<ParamError>),
    #[error("not found")]
    NotFound,
    /// A moderator page asked for without signing in: sent to the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// A request refused before anything was done, with a page saying why and what to
    /// do next (a form that did not come from this site, a full queue...).
    #[error("{title}: {message}")]
    Refused {
        status: StatusCode,
        title: &'static str,
        message: String,
    },
    /// The request ran past the site's timeout.
    #[error("the request took too long")]
    TimedOut,
    #[error("the store failed")]
    Store(#[source] StoreError),
    #[error("the postcode table failed")]
    Postcodes(#[source] TableError),
    #[error("the search failed")]
    Search(#[from] SearchError),
    #[error("JSON could not be read or written")]
    Json(#[from] serde_json::Error),
    #[error("a background task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// A store that cannot write because its disk is full refuses the request with a page
/// saying nothing was saved (and the operator is told in the log); any other store
/// failure is ours, shown as an apology.
impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        if e.is_disk_full() {
            tracing::error!("the disk holding the store is full: {e}");
            return WebError::refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "Not saved: we are out of space",
                "The site has run out of storage space, so nothing from this request was saved. Please try again later.",
            );
        }
        WebError::Store(e)
    }
}

/// A postcode or place we do not know, or a place name shared by several places, is
/// the person's to correct (an ambiguous name comes with the places to choose from);
/// the postcode table failing is ours.
impl From<LocateError> for WebError {
    fn from(e: LocateError) -> WebError {
        match e {
            LocateError::Table(e) => WebError::Postcodes(e),
            e => WebError::BadParams(ParamError::from_locate(&e).into_iter().collect()),
        }
    }
}

impl WebError {
    pub fn refused(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        WebError::Refused {
            status,
            title,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadParams(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::SignIn => StatusCode::SEE_OTHER,
            WebError::Refused { status, .. } => *status,
            WebError::TimedOut => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Store(_)
            | WebError::Postcodes(_)
            | WebError::Search(_)
            | WebError::Json(_)
            | WebError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Our failure, not the request's: logged, and shown only as an apology.
    pub fn is_internal(&self) -> bool {
        self.status() == StatusCode::INTERNAL_SERVER_ERROR
    }

    /// Logs an internal error with every cause in its chain.
    fn log(&self) {
        let mut chain = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            chain.push_str(": ");
            chain.push_str(&c.to_string());
            cause = c.source();
        }
        tracing::error!(error = %chain, "internal error");
    }
}

/// JSON form, for `/api/...` routes.
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let body = match &self.0 {
            WebError::BadParams(errors) => json!({
                "error": self.0.to_string(),
                "errors": errors,
            }),
            WebError::NotFound => json!({"error": "There is no listing with that id"}),
            WebError::Refused { message, .. } => json!({"error": message}),
            e if e.is_internal() => {
                e.log();
                json!({"error": "Sorry, something went wrong on our side. Please try again."})
            }
            e => json!({"error": e.to_string()}),
        };
        (status, Json(body)).into_response()
    }
}

/// HTML form, for pages.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn => Redirect::to("/moderate/login").into_response(),
            WebError::Refused {
                status,
                title,
                message,
            } => (status, super::views::groups::refused_page(title, &message)).into_response(),
            e => {
                if e.is_internal() {
                    e.log();
                }
                (e.status(), super::views::error_page(&e)).into_response()
            }
        }
    }
}
