//! What the headers say the body is: its `Content-Type` (one of three, in UTF-8) and its
//! `Content-Encoding` (none). Everything here is decided before the body is read.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::error::ApiError;

/// The body encodings the provider may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Encoding {
    Json,
    Form,
    /// With the `Content-Type` as sent: the parser needs its boundary.
    Multipart(HeaderValue),
    /// No `Content-Type` and no body at all.
    Empty,
}

impl Encoding {
    /// From the headers: `None` when there is no `Content-Type` (allowed only for an empty
    /// body, which the caller checks once it has read it); 415 for a compressed body, another
    /// type or a charset other than UTF-8.
    pub(super) fn of(headers: &HeaderMap) -> Result<Option<Self>, ApiError> {
        refuse_content_encoding(headers)?;
        let Some(value) = headers.get(header::CONTENT_TYPE) else {
            return Ok(None);
        };
        let mime: mime::Mime = value
            .to_str()
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or(ApiError::UnsupportedMediaType)?;
        if let Some(charset) = mime.get_param(mime::CHARSET) {
            // US-ASCII is a subset of UTF-8, so reading it as UTF-8 is exact.
            let charset = charset.as_str();
            if !["utf-8", "utf8", "us-ascii"]
                .iter()
                .any(|ok| charset.eq_ignore_ascii_case(ok))
            {
                return Err(ApiError::UnsupportedCharset);
            }
        }
        match (mime.type_(), mime.subtype()) {
            (mime::APPLICATION, mime::JSON) => Ok(Some(Self::Json)),
            (mime::APPLICATION, mime::WWW_FORM_URLENCODED) => Ok(Some(Self::Form)),
            (mime::MULTIPART, mime::FORM_DATA) => Ok(Some(Self::Multipart(value.clone()))),
            _ => Err(ApiError::UnsupportedMediaType),
        }
    }
}

/// 415 unless every coding listed in `Content-Encoding` is `identity`: a gzipped body would
/// otherwise be parsed as if it were plain.
fn refuse_content_encoding(headers: &HeaderMap) -> Result<(), ApiError> {
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = value
            .to_str()
            .map_err(|_| ApiError::UnsupportedContentEncoding)?;
        let identity = text
            .split(',')
            .map(str::trim)
            .all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case("identity"));
        if !identity {
            return Err(ApiError::UnsupportedContentEncoding);
        }
    }
    Ok(())
}
