//! `shop serve` on embedded defaults as a newcomer meets it, and `shop check` against a
//! running inventory.

mod support;

use std::{
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use support::{KillOnDrop, Serve, free_port, request, shop};

/// `shop serve` on embedded defaults, as a newcomer runs it, twice over the same `data/`:
/// each run prints a curl command that, pasted into a shell, pays an order awaiting payment
/// (the second run's is a new one), and the invoice lands under data/mail/. The first run
/// generates the key; the second takes it from SHOP_WEBHOOK_KEY, which the command then reads
/// from the shell (and refuses to run without, naming it).
#[test]
fn serve_on_embedded_defaults_prints_a_curl_command_that_pays_an_order_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let addrs = [
        ("SHOP_INVENTORY_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_ORDERS_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_HTTP_ADDR", format!("127.0.0.1:{}", free_port())),
    ];
    let mut serve = Serve::start(dir.path(), &addrs);
    let first = pay_as_pasted(&mut serve, &[]);
    assert_invoice_mailed(dir.path(), &first);
    serve.stop();

    let mut env = addrs.to_vec();
    env.push(("SHOP_WEBHOOK_KEY", "s3cret".to_owned()));
    let mut again = Serve::start(dir.path(), &env);
    let announcement = again.read_until("The invoice mail");
    assert!(
        !announcement.contains("s3cret"),
        "a configured key is never printed"
    );
    let unset = sh(curl_line(&announcement), &[]);
    assert!(
        !unset.status.success()
            && String::from_utf8_lossy(&unset.stderr).contains("SHOP_WEBHOOK_KEY"),
        "without the variable in the shell the command stops, naming it: {unset:?}"
    );
    let second = pay(curl_line(&announcement), &[("SHOP_WEBHOOK_KEY", "s3cret")]);
    assert_ne!(second, first, "the second run offers a new order");
    assert_invoice_mailed(dir.path(), &second);
    again.stop();
}

/// Reads the banner, runs its curl command in a shell with `env`; the order id it paid.
fn pay_as_pasted(serve: &mut Serve, env: &[(&str, &str)]) -> String {
    let announcement = serve.read_until("The invoice mail");
    pay(curl_line(&announcement), env)
}

fn curl_line(announcement: &str) -> &str {
    announcement
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap_or_else(|| panic!("no curl command in: {announcement}"))
}

fn pay(curl: &str, env: &[(&str, &str)]) -> String {
    let output = sh(curl, env);
    let answer = String::from_utf8_lossy(&output.stdout);
    assert!(answer.starts_with("HTTP/1.1 200"), "{curl}\n{output:?}");
    assert!(
        answer.ends_with(r#"{"message":"Webhook received"}"#),
        "{answer}"
    );
    between(curl, "\"order_id\": \"", "\"")
}

/// `curl` run by `sh -c` exactly as printed, with only `env` (and PATH) in its environment.
fn sh(command: &str, env: &[(&str, &str)]) -> std::process::Output {
    Command::new("sh")
        .args(["-c", command])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// The invoice mail of `order_id` arrives under data/mail/, to the demo customer.
fn assert_invoice_mailed(dir: &std::path::Path, order_id: &str) {
    let mail_dir = dir.join("data").join("mail");
    let message_id = format!("Message-ID: <invoice-{order_id}@shop.invoices>");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = std::fs::read_dir(&mail_dir)
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .find(|eml| eml.contains(&message_id));
        if let Some(eml) = found {
            assert!(
                eml.contains("To: \"Demo Customer\" <demo@shop.localhost>"),
                "{eml}"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no invoice mail for {order_id} under {}",
            mail_dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in {text}"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} not after {start:?} in {text}"));
    text[from..from + len].to_owned()
}

/// `shop check` against a running `shop inventory`: exit 0 while the counters agree with the
/// reservations, exit 1 naming the product once one drifts; the inventory exports the drift
/// and its RPCs on SHOP_METRICS_ADDR.
#[test]
fn shop_check_reports_drift_with_its_exit_status_and_the_inventory_exports_it() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let metrics = format!("127.0.0.1:{}", free_port());
    let mut inventory = shop()
        .arg("inventory")
        .env("SHOP_INVENTORY_ADDR", &addr)
        .env("SHOP_METRICS_ADDR", &metrics)
        .env("SHOP_CHECK_INTERVAL", "200ms")
        .current_dir(dir.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _stop = KillOnDrop(&mut inventory);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "inventory never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let check = || {
        shop()
            .arg("check")
            .env("SHOP_INVENTORY_URL", format!("http://{addr}"))
            .output()
            .unwrap()
    };
    let clean = check();
    assert!(clean.status.success(), "{clean:?}");
    assert!(String::from_utf8_lossy(&clean.stdout).contains("checked 0 products: no drift"));

    // A product whose counter says 2 are reserved, with no reservation behind it.
    let url = format!(
        "sqlite://{}?mode=rw",
        dir.path().join("data/shop.db").display()
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sea_orm::{ConnectionTrait, Statement};
        let db = sea_orm::Database::connect(&url).await.unwrap();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "INSERT INTO products (id, sku, name, stock, stock_reserved, created_at, updated_at) \
             VALUES (X'0195f3a47b7e7c3e9a1b2c3d4e5f6a7b', 'GHOST', 'Ghost', 5, 2, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')",
        ))
        .await
        .unwrap();
    });
    let drift = check();
    let stdout = String::from_utf8_lossy(&drift.stdout);
    assert_eq!(drift.status.code(), Some(1), "{drift:?}");
    assert!(
        stdout.contains("DRIFT 0195f3a4-7b7e-7c3e-9a1b-2c3d4e5f6a7b (sku GHOST)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("checked 1 products: 1 drifting"),
        "{stdout}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = request(&metrics, "GET /metrics HTTP/1.1", "");
        let exported = page.contains("shop_stock_drift_products 1")
            && page.contains("shop_grpc_server_requests_total{service=\"shop.inventory.v1.InventoryService\",method=\"CheckStock\",code=\"OK\"}")
            && page.contains("shop_grpc_server_request_duration_seconds_bucket");
        if exported {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never showed the drift: {page}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `shop probe`, as the container healthchecks run it, against a running `shop serve`: 0 for
/// each gRPC server SERVING, the facade ready and the worker's loop alive; non-zero, saying
/// why, for a port where nothing serves and a service the server does not have.
#[test]
fn shop_probe_passes_only_for_components_that_say_they_are_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let addr = || format!("127.0.0.1:{}", free_port());
    let (inventory, orders, http, metrics) = (addr(), addr(), addr(), addr());
    let mut serve = Serve::start(
        dir.path(),
        &[
            ("SHOP_INVENTORY_ADDR", inventory.clone()),
            ("SHOP_ORDERS_ADDR", orders.clone()),
            ("SHOP_HTTP_ADDR", http.clone()),
            ("SHOP_METRICS_ADDR", metrics.clone()),
        ],
    );
    serve.read_until("The invoice mail");
    let probe = |args: &[&str]| shop().arg("probe").args(args).output().unwrap();

    for args in [
        vec!["grpc".to_owned(), format!("http://{inventory}")],
        vec![
            "grpc".to_owned(),
            "--service".to_owned(),
            "shop.orders.v1.OrderService".to_owned(),
            format!("http://{orders}"),
        ],
        vec!["http".to_owned(), format!("http://{http}/readyz")],
        vec!["http".to_owned(), format!("http://{metrics}/healthz")],
    ] {
        let output = probe(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(output.status.success(), "{args:?}: {output:?}");
    }

    let closed = format!("127.0.0.1:{}", free_port());
    for args in [
        vec!["grpc".to_owned(), format!("http://{closed}")],
        vec!["http".to_owned(), format!("http://{closed}/healthz")],
        vec![
            "grpc".to_owned(),
            "--service".to_owned(),
            "shop.nothing.v1.NoService".to_owned(),
            format!("http://{inventory}"),
        ],
        vec!["http".to_owned(), format!("http://{http}/no-such-path")],
    ] {
        let output = probe(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        assert!(!output.stderr.is_empty(), "{args:?} says why");
    }
    serve.stop();
}
