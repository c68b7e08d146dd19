//! The `X-Webhook-Key` check: the only thing that stands between the internet and
//! `RecordPayment`, so it runs before the body is read and compares in constant time.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// The header the payment provider authenticates with.
pub const WEBHOOK_KEY_HEADER: &str = "x-webhook-key";

/// The accepted webhook keys (one or more, for rotation without downtime).
#[derive(Clone)]
pub struct WebhookKeys(Arc<[Box<[u8]>]>);

impl WebhookKeys {
    /// Parses `SHOP_WEBHOOK_KEY`: keys separated by commas, surrounding whitespace ignored.
    /// `None` when no non-empty key remains.
    pub fn parse(raw: &str) -> Option<Self> {
        let keys: Vec<Box<[u8]>> = raw
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(|key| key.as_bytes().into())
            .collect();
        (!keys.is_empty()).then(|| Self(keys.into()))
    }

    /// How many keys are accepted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `WebhookKeys` holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `presented` is one of the keys. Every key is compared, each in constant time,
    /// so the timing tells neither which key matched nor how much of one did.
    pub fn accepts(&self, presented: &[u8]) -> bool {
        let matched = self.0.iter().fold(subtle::Choice::from(0), |any, key| {
            any | key.as_ref().ct_eq(presented)
        });
        matched.into()
    }
}

// Never print the keys themselves.
impl std::fmt::Debug for WebhookKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookKeys(<{} redacted>)", self.0.len())
    }
}

/// Middleware: refuses (403) a request whose `X-Webhook-Key` is missing or not accepted,
/// before any extractor touches its body.
pub async fn require_webhook_key(
    State(keys): State<WebhookKeys>,
    request: Request,
    next: Next,
) -> Response {
    match request.headers().get(WEBHOOK_KEY_HEADER) {
        Some(presented) if keys.accepts(presented.as_bytes()) => next.run(request).await,
        // Logged once, by `observe`; the presented value never is: it may be a real key
        // with a typo.
        _ => ApiError::Forbidden.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_split_on_commas_and_trimmed() {
        let keys = WebhookKeys::parse(" old-key , new-key ,,").unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.accepts(b"old-key"));
        assert!(keys.accepts(b"new-key"));
        assert!(!keys.accepts(b" old-key "));
        assert!(!keys.accepts(b"old-key,new-key"));
    }

    #[test]
    fn a_blank_setting_gives_no_keys() {
        assert!(WebhookKeys::parse("").is_none());
        assert!(WebhookKeys::parse(" , ,").is_none());
    }

    #[test]
    fn prefixes_extensions_and_empty_keys_are_refused() {
        let keys = WebhookKeys::parse("secret").unwrap();
        assert!(keys.accepts(b"secret"));
        assert!(!keys.accepts(b"secre"));
        assert!(!keys.accepts(b"secret2"));
        assert!(!keys.accepts(b"SECRET"));
        assert!(!keys.accepts(b""));
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let keys = WebhookKeys::parse("abc,def").unwrap();
        assert_eq!(format!("{keys:?}"), "WebhookKeys(<2 redacted>)");
    }
}
