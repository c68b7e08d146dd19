//! `ApiError`: every way a request can fail, and the single place where failures become
//! HTTP responses. Bodies say in plain words what went wrong, always with a `detail` key
//! (like the Django REST Framework original); gRPC messages and other internals stay in logs.

use std::collections::BTreeMap;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tonic::Code;
use utoipa::ToSchema;

use crate::{outcome::WebhookOutcome, signature::SignatureError};

/// What the provider is told to wait before retrying a 503, in seconds.
pub const RETRY_AFTER_SECS: u32 = 5;

/// The largest webhook body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Invalid fields of a webhook body: field name → what is wrong with it.
pub type FieldErrors = BTreeMap<&'static str, &'static str>;

/// A request that could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 403: `X-Webhook-Key` missing or not accepted.
    #[error("invalid or missing X-Webhook-Key")]
    Forbidden,
    /// 403: signing is enabled and `X-Webhook-Signature` is missing, malformed, stale or
    /// wrong; says which.
    #[error(transparent)]
    BadSignature(#[from] SignatureError),
    /// 415: the body is not JSON, a URL-encoded form or a multipart form.
    #[error(
        "unsupported Content-Type: send application/json, \
         application/x-www-form-urlencoded or multipart/form-data"
    )]
    UnsupportedMediaType,
    /// 415: the body is compressed or otherwise encoded (`Content-Encoding` other than
    /// `identity`); it would otherwise be parsed as if it were plain.
    #[error("unsupported Content-Encoding: send the body uncompressed")]
    UnsupportedContentEncoding,
    /// 415: a `charset` other than UTF-8, which the body would otherwise be misread as.
    #[error("unsupported charset: send the body in UTF-8")]
    UnsupportedCharset,
    /// 413: the body is larger than [`MAX_BODY_BYTES`].
    #[error("request body too large (at most 64 KiB)")]
    PayloadTooLarge,
    /// 400: the body cannot be parsed at all (e.g. malformed JSON); says why.
    #[error("{0}")]
    MalformedBody(String),
    /// 400: fields missing, repeated or invalid; names each one.
    #[error("invalid request")]
    InvalidFields(FieldErrors),
    /// 404: the orders service does not know the order.
    #[error("order not found")]
    OrderNotFound,
    /// 400: the order cannot be confirmed because there is not enough stock.
    #[error("insufficient stock to confirm the order")]
    InsufficientStock,
    /// 400: the orders service refused the request as invalid.
    #[error("invalid request")]
    Rejected,
    /// 503: the orders service could not be reached or failed transiently; retry later.
    #[error("the order service is temporarily unavailable; retry later")]
    Unavailable,
    /// 404: no such route.
    #[error("not found")]
    NoRoute,
    /// 405: the route exists but not with this method (the `Allow` header lists those it has).
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    /// The metrics label of this error.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::BadSignature(_) => "bad_signature",
            Self::UnsupportedMediaType
            | Self::UnsupportedContentEncoding
            | Self::UnsupportedCharset => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MalformedBody(_) => "malformed",
            Self::InvalidFields(_) => "invalid",
            Self::OrderNotFound => "order_not_found",
            Self::InsufficientStock => "insufficient_stock",
            Self::Rejected => "rejected",
            Self::Unavailable => "unavailable",
            Self::NoRoute => "no_route",
            Self::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Forbidden | Self::BadSignature(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType
            | Self::UnsupportedContentEncoding
            | Self::UnsupportedCharset => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MalformedBody(_)
            | Self::InvalidFields(_)
            | Self::InsufficientStock
            | Self::Rejected => StatusCode::BAD_REQUEST,
            Self::OrderNotFound | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// Maps an error from `OrderService.RecordPayment`. Every code that is not a definite
    /// answer about the order becomes 503: the provider retries, and everything behind the
    /// facade is idempotent, so a retry is always safe while a wrong 200 or 4xx loses a
    /// payment.
    pub fn from_orders_status(status: &tonic::Status) -> Self {
        match status.code() {
            Code::NotFound => Self::OrderNotFound,
            Code::FailedPrecondition => Self::InsufficientStock,
            Code::InvalidArgument => Self::Rejected,
            _ => Self::Unavailable,
        }
    }
}

/// Body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in plain words.
    #[schema(example = "order not found")]
    pub detail: String,
    /// For invalid fields: field name → what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!({"order_id": "must be a UUID"}))]
    pub errors: Option<BTreeMap<String, String>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let errors = match &self {
            Self::InvalidFields(fields) => Some(
                fields
                    .iter()
                    .map(|(field, problem)| ((*field).to_owned(), (*problem).to_owned()))
                    .collect(),
            ),
            _ => None,
        };
        let body = ErrorBody {
            detail: self.to_string(),
            errors,
        };
        let outcome = WebhookOutcome::of_error(&self);
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(outcome);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn body_json(response: Response) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn transient_and_unexpected_grpc_codes_become_retryable_503s() {
        for code in [
            Code::Unavailable,
            Code::DeadlineExceeded,
            Code::Cancelled,
            Code::Internal,
            Code::Unknown,
            Code::ResourceExhausted,
            Code::Aborted,
            Code::Unimplemented,
            Code::PermissionDenied,
        ] {
            let error = ApiError::from_orders_status(&tonic::Status::new(code, "x"));
            assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE, "{code:?}");
        }
    }

    #[test]
    fn definite_grpc_answers_become_client_errors() {
        let map = |code| ApiError::from_orders_status(&tonic::Status::new(code, "x")).status();
        assert_eq!(map(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(map(Code::FailedPrecondition), StatusCode::BAD_REQUEST);
        assert_eq!(map(Code::InvalidArgument), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_503_carries_retry_after_and_no_internals() {
        let response = ApiError::Unavailable.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body = body_json(response).await;
        assert_eq!(
            body,
            serde_json::json!({"detail": "the order service is temporarily unavailable; retry later"})
        );
    }

    #[tokio::test]
    async fn invalid_fields_are_named_under_errors() {
        let fields = FieldErrors::from([("order_id", "must be a UUID")]);
        let body = body_json(ApiError::InvalidFields(fields).into_response()).await;
        assert_eq!(
            body,
            serde_json::json!({"detail": "invalid request", "errors": {"order_id": "must be a UUID"}})
        );
    }
}
