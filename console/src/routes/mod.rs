//! The console's pages and actions. Pages are GETs; every action is a form POST carrying
//! the session's CSRF token, answered with a redirect (post/redirect/get) or, when a field
//! is wrong, the form again with the error beside the field.

mod auth;
mod invoices;
mod order;
mod orders;
mod products;
mod refunds;

use std::time::Duration;

use axum::{
    Router,
    extract::FromRef,
    http::header,
    response::{IntoResponse, Redirect},
    routing::{get, post},
};
use axum_extra::extract::cookie::Key;

use crate::{error::ConsoleError, grpc::Backends, session::Sessions, users::Operators, views};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The gRPC services.
    pub backends: Backends,
    /// Session cookies.
    pub sessions: Sessions,
    /// Who may sign in.
    pub operators: Operators,
    /// How long a failed sign-in waits before it answers.
    pub failed_sign_in_delay: Duration,
}

impl FromRef<AppState> for Sessions {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.clone()
    }
}

impl FromRef<AppState> for Key {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.key()
    }
}

/// Every route of the console.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/orders") }))
        .route("/assets/console.css", get(stylesheet))
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(auth::form).post(auth::sign_in))
        .route("/logout", post(auth::sign_out))
        .route("/products", get(products::list))
        .route("/products/{id}", get(products::show))
        .route("/products/{id}/adjust", post(products::adjust))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(order::show))
        .route("/orders/{id}/cancel", post(order::cancel))
        .route("/orders/{id}/resend", post(order::resend))
        .route("/orders/{id}/invoice.pdf", get(order::invoice_pdf))
        .route("/refunds", get(refunds::list))
        .route("/refunds/{id}", post(refunds::mark))
        .route("/invoices", get(invoices::list))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Every answer: no framing by other sites (clickjacking), nothing but our own stylesheet
/// (no inline script runs, should markup ever slip through), no content sniffing, and no
/// caching of pages that show customers' data.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        views::STYLESHEET,
    )
}

/// A form with nothing but the CSRF token (missing: empty, and refused).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Checks a form's CSRF token against the session's.
pub(crate) fn check_csrf(
    session: &crate::session::Session,
    token: &str,
) -> Result<(), ConsoleError> {
    if session.csrf_matches(token) {
        Ok(())
    } else {
        Err(ConsoleError::Csrf)
    }
}

/// A UUID path parameter, or 400.
pub(crate) fn uuid_param(raw: &str) -> Result<String, ConsoleError> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.to_string())
        .map_err(|_| ConsoleError::BadRequest(format!("{raw:?} is not an id")))
}
