//! Optional signed webhooks: `X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`,
//! the HMAC of `"<t>.<raw body>"` keyed with a shared secret (the scheme Stripe uses).
//!
//! `X-Webhook-Key` only proves the sender knows the key; a signature also proves that the
//! body is the one the provider sent, and the timestamp bounds how long a captured request
//! can be replayed. Enabled by `SHOP_WEBHOOK_SIGNING_SECRETS`; checked after the key and
//! before the body is parsed.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::http::HeaderValue;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-webhook-signature";

/// How far a signature's timestamp may be from the facade's clock, in either direction:
/// older ones may be replays, newer ones come from a clock that is off.
pub const SIGNATURE_TOLERANCE: Duration = Duration::from_secs(5 * 60);

type HmacSha256 = Hmac<Sha256>;

/// Bytes in an HMAC-SHA256 (64 hex digits).
const SIGNATURE_LEN: usize = 32;

/// Why a webhook's signature was refused. Carries neither a secret nor the signature itself,
/// so it can be logged and answered as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Webhook-Signature` header.
    #[error("missing X-Webhook-Signature")]
    Missing,
    /// The header cannot be read as `t=<unix seconds>,v1=<hex>`; says what is wrong.
    #[error("malformed X-Webhook-Signature ({0}): expected t=<unix seconds>,v1=<hex HMAC-SHA256>")]
    Malformed(&'static str),
    /// No `v1` signature matches the body with any configured secret.
    #[error("X-Webhook-Signature does not match")]
    Mismatch,
    /// Correctly signed, but the timestamp is too far from now (a replay or a skewed clock).
    #[error(
        "X-Webhook-Signature timestamp is outside the {}-minute tolerance",
        SIGNATURE_TOLERANCE.as_secs() / 60
    )]
    OutsideTolerance {
        /// The facade's clock minus the timestamp, in seconds (negative: in the future).
        skew_secs: i64,
    },
}

/// A parsed `X-Webhook-Signature`: the timestamp as sent and every `v1` signature.
#[derive(Debug, PartialEq, Eq)]
struct SignatureHeader<'a> {
    /// The digits exactly as sent: they are what was signed.
    timestamp_text: &'a str,
    timestamp: i64,
    signatures: Vec<Vec<u8>>,
}

impl<'a> SignatureHeader<'a> {
    /// Parses `t=<digits>,v1=<hex>[,v1=<hex>…]`, in any order, spaces around entries allowed.
    /// Other schemes (`v0=…`) are ignored, so the provider can add one without breaking us.
    fn parse(header: &'a str) -> Result<Self, SignatureError> {
        use SignatureError::Malformed;
        if header.trim().is_empty() {
            return Err(Malformed("it is empty"));
        }
        let mut timestamp_text = None;
        let mut signatures = Vec::new();
        for entry in header.split(',').map(str::trim) {
            let (scheme, value) = entry
                .split_once('=')
                .ok_or(Malformed("an entry is not scheme=value"))?;
            match scheme {
                "t" if timestamp_text.is_some() => return Err(Malformed("t is given twice")),
                "t" => timestamp_text = Some(value),
                "v1" => signatures.push(
                    hex::decode(value)
                        .ok()
                        .filter(|bytes| bytes.len() == SIGNATURE_LEN)
                        .ok_or(Malformed("a v1 signature is not 64 hex digits"))?,
                ),
                _ => {}
            }
        }
        let timestamp_text = timestamp_text.ok_or(Malformed("no t timestamp"))?;
        // Digits only: `str::parse` would also take a sign, which no clock sends.
        let timestamp = Some(timestamp_text)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or(Malformed("t is not a whole number of seconds"))?;
        if signatures.is_empty() {
            return Err(Malformed("no v1 signature"));
        }
        Ok(Self {
            timestamp_text,
            timestamp,
            signatures,
        })
    }
}

/// The accepted signing secrets (one or more, so a secret can be rotated without downtime).
#[derive(Clone)]
pub struct WebhookSigning(Arc<[Box<[u8]>]>);

impl WebhookSigning {
    /// Parses `SHOP_WEBHOOK_SIGNING_SECRETS`: secrets separated by commas, surrounding
    /// whitespace ignored. `None` when no non-empty secret remains.
    pub fn parse(raw: &str) -> Option<Self> {
        let secrets: Vec<Box<[u8]>> = raw
            .split(',')
            .map(str::trim)
            .filter(|secret| !secret.is_empty())
            .map(|secret| secret.as_bytes().into())
            .collect();
        (!secrets.is_empty()).then(|| Self(secrets.into()))
    }

    /// How many secrets are accepted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `WebhookSigning` holds at least one secret.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks `header` against the raw `body` at time `now`: some `v1` signature must be the
    /// HMAC of `"<t>.<body>"` with some secret, and `t` within [`SIGNATURE_TOLERANCE`] of now.
    ///
    /// The MAC is checked before the time, so only a caller holding a secret can learn that
    /// a timestamp was refused; everyone else hears "does not match".
    pub fn verify(
        &self,
        header: Option<&HeaderValue>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let header = header
            .to_str()
            .map_err(|_| SignatureError::Malformed("it is not ASCII text"))?;
        let header = SignatureHeader::parse(header)?;

        // Every secret against every signature, without stopping at the first match, so the
        // timing does not tell which secret (or which entry) matched.
        let mut matched = false;
        for secret in self.0.iter() {
            let mut mac =
                HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
            mac.update(header.timestamp_text.as_bytes());
            mac.update(b".");
            mac.update(body);
            for signature in &header.signatures {
                // `verify_slice` compares in constant time.
                matched |= mac.clone().verify_slice(signature).is_ok();
            }
        }
        if !matched {
            return Err(SignatureError::Mismatch);
        }

        let now = now.duration_since(UNIX_EPOCH).map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        });
        let skew_secs = now.saturating_sub(header.timestamp);
        if skew_secs.unsigned_abs() > SIGNATURE_TOLERANCE.as_secs() {
            return Err(SignatureError::OutsideTolerance { skew_secs });
        }
        Ok(())
    }
}

// Never print the secrets themselves.
impl std::fmt::Debug for WebhookSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSigning(<{} redacted>)", self.0.len())
    }
}

#[cfg(test)]
pub(crate) mod tests;
