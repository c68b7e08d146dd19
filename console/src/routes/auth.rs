//! Signing in and out. The sign-in form has a CSRF token too, kept in a short signed cookie
//! of its own (there is no session yet), so no other site can sign a browser in.

use axum::{
    Form,
    extract::{ConnectInfo, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use maud::html;
use serde::Deserialize;

use super::{AppState, check_csrf};
use crate::{
    error::PageResult,
    session::SignedIn,
    views::{self, page},
};

const LOGIN_COOKIE: &str = "shop_console_login";

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `GET /login`: the sign-in form (signed in already: on to the orders).
pub async fn form(State(state): State<AppState>, jar: SignedCookieJar) -> Response {
    if state.sessions.read(&jar).is_some() {
        return Redirect::to("/orders").into_response();
    }
    let (jar, token) = login_token(jar);
    (jar, sign_in_page(&token, "", None)).into_response()
}

/// `POST /login`: checks the name and password; a failure is logged and answered only
/// after a delay, so that guessing is slow.
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    jar: SignedCookieJar,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if expected.as_deref().is_none_or(|token| {
        !bool::from(subtle::ConstantTimeEq::ct_eq(
            token.as_bytes(),
            form.csrf.as_bytes(),
        ))
    }) {
        return crate::error::ConsoleError::Csrf.into_response();
    }
    let name = form.name.trim();
    if state.operators.verify(name, &form.password).await {
        tracing::info!(operator = name, %peer, "console: signed in");
        let mut used = Cookie::from(LOGIN_COOKIE);
        used.set_path("/login");
        let jar = jar.remove(used).add(state.sessions.start(name));
        return (jar, Redirect::to("/orders")).into_response();
    }
    tracing::warn!(operator = name, %peer, "console: sign-in failed");
    tokio::time::sleep(state.failed_sign_in_delay).await;
    let (jar, token) = login_token(jar);
    (
        StatusCode::UNAUTHORIZED,
        jar,
        sign_in_page(&token, name, Some("Wrong name or password.")),
    )
        .into_response()
}

/// `POST /logout`: ends the session.
pub async fn sign_out(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    jar: SignedCookieJar,
    Form(form): Form<super::CsrfOnly>,
) -> PageResult {
    check_csrf(&session, &form.csrf)?;
    tracing::info!(operator = %session.operator, "console: signed out");
    let jar = jar.remove(state.sessions.end());
    Ok((jar, Redirect::to("/login")).into_response())
}

/// A fresh sign-in CSRF token, set in its cookie.
fn login_token(jar: SignedCookieJar) -> (SignedCookieJar, String) {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut cookie = Cookie::new(LOGIN_COOKIE, token.clone());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/login");
    (jar.add(cookie), token)
}

fn sign_in_page(token: &str, name: &str, error: Option<&str>) -> maud::Markup {
    page(
        "Sign in",
        None,
        "",
        html! {
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                (views::field("name", "Name", "text", name, None, true))
                (views::field("password", "Password", "password", "", error, true))
                p { button type="submit" { "Sign in" } }
            }
        },
    )
}
