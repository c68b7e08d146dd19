//! What a page answers when a call behind it fails: one mapping from gRPC status to an HTTP
//! status and a message for people.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use tonic::Code;

use crate::views;

/// A request the console cannot answer with its page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// A service refused or failed the call.
    #[error("{}", .0.message())]
    Upstream(#[from] tonic::Status),
    /// The form post did not carry the session's CSRF token.
    #[error(
        "the form is out of date or was not sent from this console: reload the page and try again"
    )]
    Csrf,
    /// A path parameter is not what the page expects.
    #[error("{0}")]
    BadRequest(String),
}

impl ConsoleError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Upstream(status) => match status.code() {
                Code::NotFound => StatusCode::NOT_FOUND,
                Code::InvalidArgument => StatusCode::BAD_REQUEST,
                Code::FailedPrecondition | Code::AlreadyExists => StatusCode::CONFLICT,
                Code::Unavailable | Code::DeadlineExceeded => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            },
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Upstream(s) if status.is_server_error() => {
                tracing::warn!(code = ?s.code(), message = s.message(), "console: a service call failed");
            }
            Self::Csrf => tracing::warn!("console: form post without a valid CSRF token refused"),
            _ => {}
        }
        let message = match (&self, status) {
            (Self::Upstream(_), StatusCode::SERVICE_UNAVAILABLE) => {
                "A service behind the console is unavailable; try again in a moment.".to_owned()
            }
            _ => self.to_string(),
        };
        (status, views::error_page(status, &message)).into_response()
    }
}

/// Every page handler's result.
pub type PageResult = Result<Response, ConsoleError>;
