//! The web layer's one error type.
//!
//! Input problems are 4xx with a message a person can act on (JSON for the API, the
//! page again for HTML). Internal failures are logged with detail and shown as a
//! plain apology; their detail never reaches the response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::search::ParamError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{}", .0.first().map(|e| e.message.as_str()).unwrap_or("Bad request"))]
    BadParams(Vec<ParamError>),
    #[error("not found")]
    NotFound,
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> WebError {
        WebError::Internal(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadParams(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
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
            WebError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                json!({"error": "Sorry, something went wrong on our side. Please try again."})
            }
        };
        (status, Json(body)).into_response()
    }
}

/// HTML form, for pages.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let WebError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        (status, super::views::error_page(&self)).into_response()
    }
}
