//! `shop console` as an administrator meets it: it refuses to start without operators,
//! `shop console hash-password` makes a hash from standard input, and `shop serve` runs the
//! console with those operators, or on the embedded defaults with a one-off password it
//! prints; either way a real sign-in works with it.

mod support;

use std::{io::Write, process::Stdio};

use support::{Serve, assert_rejects, free_port, shop};

#[test]
fn the_console_refuses_to_start_without_operators() {
    assert_rejects(&["console"], &[], "SHOP_CONSOLE_USERS");
    assert_rejects(
        &["console"],
        &[("SHOP_CONSOLE_USERS", "ada:not-a-hash")],
        "SHOP_CONSOLE_USERS",
    );
}

#[tokio::test]
async fn a_hashed_password_and_the_one_off_password_of_serve_both_sign_in() {
    let hash = hash_password("correct horse battery");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let short = hash_password_output("short");
    assert!(!short.status.success(), "a short password is refused");

    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![
        ("SHOP_INVENTORY_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_ORDERS_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_HTTP_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_CONSOLE_ADDR", format!("127.0.0.1:{}", free_port())),
    ];
    let console = format!("http://{}", env[3].1);

    let mut serve = Serve::start(dir.path(), &env);
    let banner = serve.read_until("sign in as");
    let password = banner
        .split("with password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the one-off password")
        .to_owned();
    assert!(
        banner.contains(&format!("Operator console: {console}/")),
        "{banner}"
    );
    assert!(
        sign_in(&console, "admin", &password).await,
        "the printed password works"
    );
    assert!(!sign_in(&console, "admin", "guess").await);
    serve.stop();

    env.push(("SHOP_CONSOLE_USERS", format!("ada:{hash}")));
    let mut serve = Serve::start(dir.path(), &env);
    let banner = serve.read_until("Operator console");
    assert!(
        !banner.contains("with password"),
        "no one-off password: {banner}"
    );
    assert!(sign_in(&console, "ada", "correct horse battery").await);
    assert!(
        !sign_in(&console, "admin", &password).await,
        "the one-off is gone"
    );
    serve.stop();
}

fn hash_password_output(password: &str) -> std::process::Output {
    let mut child = shop()
        .args(["console", "hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

fn hash_password(password: &str) -> String {
    let output = hash_password_output(password);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Signs in through the form as a browser does; whether the console let the operator in.
async fn sign_in(console: &str, name: &str, password: &str) -> bool {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(format!("{console}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = form.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
    let csrf = form[at..].split('"').next().unwrap();
    let answer = client
        .post(format!("{console}/login"))
        .form(&[("name", name), ("password", password), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    if answer.status() != reqwest::StatusCode::SEE_OTHER {
        return false;
    }
    let orders = client
        .get(format!("{console}/orders"))
        .send()
        .await
        .unwrap();
    orders.status() == reqwest::StatusCode::OK
}
