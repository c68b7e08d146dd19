//! Signing in and out, the session cookie's attributes, and CSRF tokens.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::helpers::{OPERATOR, csrf_of, location, spawn_console};

test_on_both_databases! {
    an_operator_signs_in_with_a_strict_http_only_cookie_and_signs_out => sign_in_and_out;
    a_wrong_password_is_answered_late_and_gets_no_session => wrong_password;
    a_form_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing => csrf;
}

async fn sign_in_and_out(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let response = app.http.get(app.url("/orders")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/login",
        "signed out: to the sign-in form"
    );

    let response = app.http.get(app.url("/login")).send().await.unwrap();
    let headers = response.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers["cache-control"], "no-store");
    let (status, form) = (response.status(), response.text().await.unwrap());
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"<label for="name">Name</label>"#), "{form}");
    assert!(form.contains(r#"<label for="password">Password</label>"#));
    let response = app
        .post(
            "/login",
            &[
                ("name", OPERATOR.0),
                ("password", OPERATOR.1),
                ("csrf", &csrf_of(&form)),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/orders");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("shop_console="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");

    let (status, page) = app.get("/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Signed in as ada"), "{page}");

    let response = app.post("/logout", &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    let response = app.http.get(app.url("/orders")).send().await.unwrap();
    assert_eq!(location(&response), "/login", "signed out");

    // A forged cookie (unsigned) is no session.
    let forged = crate::helpers::browser();
    let response = forged
        .get(app.url("/orders"))
        .header(
            "cookie",
            "shop_console=ada|9999999999|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login");
}

async fn wrong_password(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    for (name, password) in [(OPERATOR.0, "wrong password"), ("eve", OPERATOR.1)] {
        let (_, form) = app.get("/login").await;
        let started = Instant::now();
        let response = app
            .post(
                "/login",
                &[
                    ("name", name),
                    ("password", password),
                    ("csrf", &csrf_of(&form)),
                ],
            )
            .await;
        assert!(started.elapsed() >= Duration::from_secs(1), "slowed down");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let page = response.text().await.unwrap();
        assert!(page.contains("Wrong name or password."), "{page}");
        assert!(
            page.contains(r#"aria-invalid="true""#),
            "the field is marked: {page}"
        );
        let response = app.http.get(app.url("/orders")).send().await.unwrap();
        assert_eq!(location(&response), "/login", "no session");
    }
    // Without the sign-in form's token: refused before the password is even looked at.
    let response = app
        .post("/login", &[("name", OPERATOR.0), ("password", OPERATOR.1)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn csrf(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", "Blue mug", 10).await;
    let token = app.sign_in().await;
    let path = format!("/products/{}/adjust", mug.id);
    for form in [
        vec![("delta", "5"), ("reason", "delivery")],
        vec![("delta", "5"), ("reason", "delivery"), ("csrf", "forged")],
    ] {
        let response = app.post(&path, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{form:?}");
        assert!(response.text().await.unwrap().contains("reload the page"));
    }
    let response = app.post("/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.product(&mug.id).await.stock, 10, "nothing changed");

    let response = app
        .post(
            &path,
            &[("delta", "5"), ("reason", "delivery"), ("csrf", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "with the token");
    assert_eq!(app.product(&mug.id).await.stock, 15);
}
