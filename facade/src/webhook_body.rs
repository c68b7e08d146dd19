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
    http::{HeaderValue, StatusCode, header},
};
use shop_common::names::StoredName;
use uuid::Uuid;

use crate::{
    error::{ApiError, FieldErrors},
    notification::{PaymentNotification, PaymentReport},
};
use media::Encoding;

const REQUIRED: &str = "this field is required";
const REPEATED: &str = "must be given only once";
const NOT_A_UUID: &str = "must be a UUID";
const NOT_A_STATUS: &str = "must be \"paid\" or \"failed\"";
const A_FILE: &str = "must be a form field, not a file";

/// A webhook body read whole but not parsed yet: the bytes exactly as received, so that a
/// signature can be checked over them before anything interprets them.
#[derive(Debug, Clone)]
pub struct RawWebhookBody {
    encoding: Encoding,
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
            Encoding::Multipart(content_type) => {
                RawFields::from_multipart(content_type, self.bytes).await?
            }
            // An empty body without a Content-Type: every field is missing (400, as the
            // system we replace answered), not an unsupported type.
            Encoding::Empty => RawFields::default(),
        };
        fields.into_notification()
    }
}

/// 415 for a `Content-Type` other than the three accepted, a charset other than UTF-8 or a
/// `Content-Encoding` (decided from the headers alone, before the body is read), then 413
/// for a body over the router's `DefaultBodyLimit`. A body without a `Content-Type` is 415
/// unless it is empty.
impl<S: Send + Sync> FromRequest<S> for RawWebhookBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let declared = Encoding::of(request.headers())?;
        let bytes = read_body(request, state).await?;
        let encoding = match declared {
            Some(encoding) => encoding,
            None if bytes.is_empty() => Encoding::Empty,
            None => return Err(ApiError::UnsupportedMediaType),
        };
        Ok(Self { encoding, bytes })
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
    /// Given once, as a file (a multipart part with a file name).
    File,
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
        self.put(name, RawField::Given(value));
    }

    fn put(&mut self, name: &str, field: RawField) {
        if let Some(slot) = self.slot(name) {
            *slot = match slot {
                RawField::Missing => field,
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
            // Unknown parts are skipped unread; `next_field` drains them. A file is refused
            // unread: an order id does not come as an upload.
            if field.file_name().is_some() {
                fields.put(&name, RawField::File);
            } else if fields.slot(&name).is_some() {
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
        RawField::File => A_FILE,
        RawField::Given(text) => match text.as_deref().and_then(parse) {
            Some(value) => return Some(value),
            None => invalid,
        },
    };
    errors.insert(name, problem);
    None
}

mod json;
mod media;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
