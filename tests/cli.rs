//! The `shop` binary as an operator meets it: bad settings, migrations, graceful shutdown.

mod support;

use std::{
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use support::{assert_rejects, free_port, shop};

#[test]
fn a_malformed_setting_is_one_line_naming_the_variable() {
    assert_rejects(
        &["inventory"],
        &[("SHOP_INVENTORY_ADDR", "not-an-address")],
        "SHOP_INVENTORY_ADDR",
    );
    assert_rejects(
        &["serve"],
        &[("SHOP_RESERVATION_TTL", "forever")],
        "SHOP_RESERVATION_TTL",
    );
    assert_rejects(
        &["migrate"],
        &[("SHOP_DATABASE_URL", "mysql://db/shop")],
        "SHOP_DATABASE_URL",
    );
}

#[test]
fn an_unreachable_database_is_one_line_naming_the_variable_and_why_without_the_password() {
    let port = free_port();
    let url = format!("postgres://shop:hunter2@127.0.0.1:{port}/shop");
    assert_rejects(
        &["migrate"],
        &[("SHOP_DATABASE_URL", &url)],
        "SHOP_DATABASE_URL",
    );
    let output = shop()
        .arg("migrate")
        .env("SHOP_DATABASE_URL", &url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(
        stderr.contains(&format!("connection refused at 127.0.0.1:{port}")),
        "says why, not \"pool timed out\": {stderr}"
    );
}

#[test]
fn migrate_creates_the_embedded_database_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let status = shop()
        .arg("migrate")
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let db = dir.path().join("data").join("shop.db");
    assert!(db.metadata().unwrap().len() > 0, "{} exists", db.display());
}

#[test]
fn the_inventory_service_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = shop()
        .arg("inventory")
        .env("SHOP_INVENTORY_ADDR", &addr)
        .current_dir(dir.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the service never listened on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_facade_refuses_to_start_without_a_webhook_key() {
    assert_rejects(&["facade"], &[], "SHOP_WEBHOOK_KEY");
}

#[test]
fn serve_on_postgres_without_a_webhook_key_refuses_to_start() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let env = [
        ("SHOP_DATABASE_URL", url.as_str()),
        ("SHOP_INVENTORY_ADDR", "127.0.0.1:0"),
        ("SHOP_ORDERS_ADDR", "127.0.0.1:0"),
        ("SHOP_HTTP_ADDR", "127.0.0.1:0"),
    ];
    assert_rejects(&["serve"], &env, "SHOP_WEBHOOK_KEY");
}

#[test]
fn a_worker_or_serve_on_postgres_without_a_seller_refuses_to_start_naming_the_variable() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let database = ("SHOP_DATABASE_URL", url.as_str());
    // Refused before the database is touched: nothing is migrated into it.
    assert_rejects(&["worker"], &[database], "SHOP_SELLER_NAME");
    let [name, address, _] = support::SELLER_ENV;
    assert_rejects(&["worker"], &[database, name], "SHOP_SELLER_ADDRESS");
    assert_rejects(
        &["worker"],
        &[database, name, address],
        "SHOP_SELLER_TAX_ID",
    );
    let serve = [
        database,
        ("SHOP_WEBHOOK_KEY", "key"),
        ("SHOP_INVENTORY_ADDR", "127.0.0.1:0"),
        ("SHOP_ORDERS_ADDR", "127.0.0.1:0"),
        ("SHOP_HTTP_ADDR", "127.0.0.1:0"),
        name,
        address,
    ];
    assert_rejects(&["serve"], &serve, "SHOP_SELLER_TAX_ID");
}

#[test]
fn a_seller_logo_that_is_not_an_image_stops_the_worker_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let logo = dir.path().join("logo.png");
    std::fs::write(&logo, "not a PNG").unwrap();
    let logo = logo.display().to_string();
    assert_rejects(
        &["worker"],
        &[("SHOP_SELLER_LOGO", &logo)],
        "SHOP_SELLER_LOGO",
    );
    let missing = dir.path().join("missing.png").display().to_string();
    assert_rejects(
        &["serve"],
        &[("SHOP_SELLER_LOGO", &missing)],
        "SHOP_SELLER_LOGO",
    );
}
