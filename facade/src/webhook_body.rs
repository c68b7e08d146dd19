//! The webhook body, parsed (not merely validated) into a [`PaymentNotification`] from any
//! of the three encodings the provider may use: JSON, a URL-encoded form or a multipart form.
//!
//! The body is first read whole ([`RawWebhookBody`], within the router's 64 KiB limit), so
//! that a signature can be checked over exactly the bytes received, then parsed from those
//! bytes. Every encoding goes through the same [`RawFields`] collector, so they behave alike:
//! unknown fields are ignored, and a known field that is missing, repeated or invalid is
//! named in the 400 answer. Repeated fields are refused rather than "last one wins" because
//! two different statuses for one order in one request cannot be interpreted safely.

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, FieldErrors};

/// What the payment provider reports about an order's payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PaymentReport {
    /// The customer paid.
    Paid,
    /// The payment failed.
    Failed,
}

impl PaymentReport {
    /// The wire value (`paid` or `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        // Case-sensitive on purpose: the provider sends exactly these values.
        match raw {
            "paid" => Some(Self::Paid),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A well-formed payment webhook. Sent as JSON, `application/x-www-form-urlencoded` or
/// `multipart/form-data`; other fields are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(as = PaymentWebhookRequest)]
pub struct PaymentNotification {
    /// The order the payment is for.
    pub order_id: Uuid,
    /// `paid` or `failed` (case-sensitive).
    pub status: PaymentReport,
}

const REQUIRED: &str = "this field is required";
const REPEATED: &str = "must be given only once";
const NOT_A_UUID: &str = "must be a UUID";
const NOT_A_STATUS: &str = "must be \"paid\" or \"failed\"";

/// A webhook body read whole but not parsed yet: the bytes exactly as received, so that a
/// signature can be checked over them before anything interprets them.
#[derive(Debug, Clone)]
pub struct RawWebhookBody {
    encoding: Encoding,
    /// The `Content-Type` as sent: a multipart body needs its boundary.
    content_type: HeaderValue,
    bytes: Bytes,
}

impl RawWebhookBody {
    /// The body's bytes, exactly as received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses the body according to its `Content-Type`; 400 naming what is wrong.
    pub async fn parse(self) -> Result<PaymentNotification, ApiError> {
        let fields = match self.encoding {
            Encoding::Json => RawFields::from_json(&self.bytes)?,
            Encoding::Form => RawFields::from_form(&self.bytes),
            Encoding::Multipart => RawFields::from_multipart(self.content_type, self.bytes).await?,
        };
        fields.into_notification()
    }
}

/// 415 for a `Content-Type` other than the three accepted (decided from the header alone,
/// before the body is read), then 413 for a body over the router's `DefaultBodyLimit`.
impl<S: Send + Sync> FromRequest<S> for RawWebhookBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let encoding = Encoding::of(request.headers())?;
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .ok_or(ApiError::UnsupportedMediaType)?;
        let bytes = read_body(request, state).await?;
        Ok(Self {
            encoding,
            content_type,
            bytes,
        })
    }
}

/// Reads and parses in one go, for when no signature is to be checked in between.
impl<S: Send + Sync> FromRequest<S> for PaymentNotification {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        RawWebhookBody::from_request(request, state)
            .await?
            .parse()
            .await
    }
}

/// The body encodings the provider may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Form,
    Multipart,
}

impl Encoding {
    /// From the `Content-Type` essence (parameters such as `charset` are ignored);
    /// anything else, or none, is 415.
    fn of(headers: &HeaderMap) -> Result<Self, ApiError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .ok_or(ApiError::UnsupportedMediaType)?;
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/json") {
            Ok(Self::Json)
        } else if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            Ok(Self::Form)
        } else if essence.eq_ignore_ascii_case("multipart/form-data") {
            Ok(Self::Multipart)
        } else {
            Err(ApiError::UnsupportedMediaType)
        }
    }
}

/// Reads the whole body within the router's `DefaultBodyLimit`.
async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::MalformedBody("could not read the request body".to_owned()),
        })
}

/// One known field as it arrived.
#[derive(Debug, Default)]
enum RawField {
    #[default]
    Missing,
    /// Given once: its text, or `None` when it was not text (e.g. a JSON number).
    Given(Option<String>),
    Repeated,
}

/// The known fields of a body, in whatever encoding it came.
#[derive(Debug, Default)]
struct RawFields {
    order_id: RawField,
    status: RawField,
}

impl RawFields {
    fn slot(&mut self, name: &str) -> Option<&mut RawField> {
        match name {
            "order_id" => Some(&mut self.order_id),
            "status" => Some(&mut self.status),
            _ => None,
        }
    }

    fn push(&mut self, name: &str, value: Option<String>) {
        if let Some(slot) = self.slot(name) {
            *slot = match slot {
                RawField::Missing => RawField::Given(value),
                _ => RawField::Repeated,
            };
        }
    }

    fn from_form(body: &[u8]) -> Self {
        let mut fields = Self::default();
        for (name, value) in form_urlencoded::parse(body) {
            fields.push(&name, Some(value.into_owned()));
        }
        fields
    }

    async fn from_multipart(content_type: HeaderValue, body: Bytes) -> Result<Self, ApiError> {
        let malformed = |e: axum::extract::multipart::MultipartError| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::MalformedBody(format!("malformed multipart body: {}", e.body_text())),
        };
        // The bytes are already in memory (and within the limit): axum's multipart parser
        // reads them from a request rebuilt around them, without copying.
        let request = Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("a request with one valid header");
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| ApiError::MalformedBody(format!("malformed multipart body: {e}")))?;
        let mut fields = Self::default();
        while let Some(field) = multipart.next_field().await.map_err(malformed)? {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            // Unknown parts are skipped unread; `next_field` drains them.
            if fields.slot(&name).is_some() {
                let value = field.text().await.map_err(malformed)?;
                fields.push(&name, Some(value));
            }
        }
        Ok(fields)
    }

    /// Parses the known fields, naming every one that is missing, repeated or invalid.
    fn into_notification(self) -> Result<PaymentNotification, ApiError> {
        let mut errors = FieldErrors::new();
        let order_id = parse_field(self.order_id, "order_id", NOT_A_UUID, &mut errors, |s| {
            Uuid::try_parse(s).ok()
        });
        let status = parse_field(
            self.status,
            "status",
            NOT_A_STATUS,
            &mut errors,
            PaymentReport::parse,
        );
        match (order_id, status) {
            (Some(order_id), Some(status)) => Ok(PaymentNotification { order_id, status }),
            _ => Err(ApiError::InvalidFields(errors)),
        }
    }
}

fn parse_field<T>(
    raw: RawField,
    name: &'static str,
    invalid: &'static str,
    errors: &mut FieldErrors,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let problem = match raw {
        RawField::Missing => REQUIRED,
        RawField::Repeated => REPEATED,
        RawField::Given(text) => match text.as_deref().and_then(parse) {
            Some(value) => return Some(value),
            None => invalid,
        },
    };
    errors.insert(name, problem);
    None
}

mod json;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
