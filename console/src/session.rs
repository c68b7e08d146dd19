//! Sessions: a signed cookie holding the operator's name, the session's expiry and its CSRF
//! token. Nothing is kept on the server: the signature (HMAC-SHA256 with the session key)
//! is what makes the cookie trustworthy; signing out removes it from the browser.
//!
//! The cookie is HttpOnly (no script reads it), `SameSite=Strict` (no other site's page
//! sends it) and, behind TLS, `Secure`. On top of that every form post carries the
//! session's CSRF token, compared in constant time.

use std::time::Duration;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::users::valid_name;

/// The session cookie's name.
pub const COOKIE: &str = "shop_console";

/// Why a session key cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("SHOP_CONSOLE_SESSION_KEY must be at least 32 characters")]
pub struct ShortSessionKey;

/// Signs and reads session cookies.
#[derive(Clone)]
pub struct Sessions {
    key: Key,
    secure: bool,
    ttl: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("secure", &self.secure)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions signed with a key derived from `secret` (SHA-512 gives the 64 bytes the
    /// signing key needs), or with a random key when there is none.
    pub fn new(secret: Option<&str>, secure: bool, ttl: Duration) -> Result<Self, ShortSessionKey> {
        let key = match secret {
            Some(secret) if secret.len() < 32 => return Err(ShortSessionKey),
            Some(secret) => Key::from(Sha512::digest(secret.as_bytes()).as_slice()),
            None => Key::generate(),
        };
        Ok(Self { key, secure, ttl })
    }

    /// The session cookie of a fresh session for `operator`.
    pub fn start(&self, operator: &str) -> Cookie<'static> {
        let session = Session {
            operator: operator.to_owned(),
            expires: Utc::now() + self.ttl,
            csrf: random_token(),
        };
        let mut cookie = Cookie::new(COOKIE, session.encode());
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Strict);
        cookie.set_secure(self.secure);
        cookie.set_path("/");
        cookie
    }

    /// The cookie that ends a session (same attributes, removed by the browser).
    pub fn end(&self) -> Cookie<'static> {
        let mut cookie = Cookie::from(COOKIE);
        cookie.set_path("/");
        cookie
    }

    /// The session the request's cookie holds, if it is signed by us, well-formed and not
    /// expired.
    pub fn read(&self, jar: &SignedCookieJar) -> Option<Session> {
        let session = Session::decode(jar.get(COOKIE)?.value())?;
        (session.expires > Utc::now()).then_some(session)
    }

    /// An empty jar that signs with this key.
    pub fn jar(&self) -> SignedCookieJar {
        SignedCookieJar::new(self.key.clone())
    }

    /// The signing key (for the jar extractor).
    pub fn key(&self) -> Key {
        self.key.clone()
    }
}

/// A signed-in operator's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The operator's name.
    pub operator: String,
    /// When it ends.
    pub expires: DateTime<Utc>,
    /// The token every form post of this session must carry.
    pub csrf: String,
}

impl Session {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}",
            self.operator,
            self.expires.timestamp(),
            self.csrf
        )
    }

    fn decode(value: &str) -> Option<Self> {
        let mut parts = value.split('|');
        let (operator, expires, csrf) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !valid_name(operator) || csrf.len() < 32 {
            return None;
        }
        Some(Self {
            operator: operator.to_owned(),
            expires: DateTime::from_timestamp(expires.parse().ok()?, 0)?,
            csrf: csrf.to_owned(),
        })
    }

    /// Whether `token` (from a form) is this session's CSRF token; constant time.
    pub fn csrf_matches(&self, token: &str) -> bool {
        self.csrf.as_bytes().ct_eq(token.as_bytes()).into()
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Extracts the signed-in operator's session; without one, the answer is a redirect to the
/// sign-in page.
pub struct SignedIn(pub Session);

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    Sessions: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let sessions = Sessions::from_ref(state);
        let jar = SignedCookieJar::from_headers(&parts.headers, sessions.key());
        match sessions.read(&jar) {
            Some(session) => Ok(Self(session)),
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_round_trips_through_its_cookie_value_and_junk_does_not_parse() {
        let session = Session {
            operator: "ada".into(),
            expires: DateTime::from_timestamp(2_000_000_000, 0).unwrap(),
            csrf: random_token(),
        };
        assert_eq!(Session::decode(&session.encode()), Some(session.clone()));
        assert!(session.csrf_matches(&session.csrf));
        assert!(!session.csrf_matches("x"));
        for junk in [
            "",
            "ada",
            "ada|1|short",
            "a d a|1|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ada|x|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(Session::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn a_short_session_key_is_refused() {
        assert!(Sessions::new(Some("short"), false, Duration::from_secs(1)).is_err());
        assert!(Sessions::new(Some(&"k".repeat(32)), false, Duration::from_secs(1)).is_ok());
    }
}
