//! `shop serve` on embedded defaults as a newcomer meets it, and `shop check` against a
//! running inventory.

mod support;

use std::{
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use support::{KillOnDrop, free_port, request, shop};

/// `shop serve` on embedded defaults, as a newcomer runs it: the printed curl command pays
/// the demo order, and the invoice lands under data/mail/. A restart seeds nothing new.
#[test]
fn serve_on_embedded_defaults_prints_a_curl_command_that_pays_the_demo_order() {
    let dir = tempfile::tempdir().unwrap();
    let addrs = [
        ("SHOP_INVENTORY_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_ORDERS_ADDR", format!("127.0.0.1:{}", free_port())),
        ("SHOP_HTTP_ADDR", format!("127.0.0.1:{}", free_port())),
    ];
    let mut serve = Serve::start(dir.path(), &addrs);
    let announcement = serve.read_until("The invoice mail");
    let curl = announcement
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap_or_else(|| panic!("no curl command in: {announcement}"));
    let key = between(curl, "X-Webhook-Key: ", "'");
    let body = between(curl, "-d '", "'");
    let http = &addrs[2].1;

    let response = post_webhook(http, &key, &body);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with(r#"{"message":"Webhook received"}"#),
        "{response}"
    );

    let mail_dir = dir.path().join("data").join("mail");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mail = loop {
        let found = std::fs::read_dir(&mail_dir)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path());
        if let Some(path) = found {
            break path;
        }
        assert!(
            Instant::now() < deadline,
            "no invoice mail under {}",
            mail_dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let eml = std::fs::read_to_string(&mail).unwrap();
    let order_id = between(&body, "\"order_id\": \"", "\"");
    assert!(
        eml.contains(&format!("Message-ID: <invoice-{order_id}@shop.invoices>")),
        "{eml}"
    );
    assert!(
        eml.contains("To: \"Demo Customer\" <demo@shop.localhost>"),
        "{eml}"
    );
    serve.stop();

    // Restarted on the same database: nothing is seeded again, and the paid demo order is
    // no longer offered.
    let mut again = Serve::start(dir.path(), &addrs);
    let announcement = again.read_until("no longer awaiting payment");
    assert!(!announcement.contains("curl "), "{announcement}");
    again.stop();
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

/// `POST /api/webhooks/payment/` with a JSON body.
fn post_webhook(addr: &str, key: &str, body: &str) -> String {
    request(
        addr,
        &format!(
            "POST /api/webhooks/payment/ HTTP/1.1\r\nX-Webhook-Key: {key}\r\nContent-Type: application/json"
        ),
        body,
    )
}

/// A running `shop serve`, its stdout read line by line.
struct Serve {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Serve {
    fn start(dir: &std::path::Path, env: &[(&str, String)]) -> Self {
        let mut child = shop()
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, lines }
    }

    /// Everything printed until a line containing `marker` (within 60 s).
    fn read_until(&mut self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut text = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    text.push_str(&line);
                    text.push('\n');
                    if line.contains(marker) {
                        return text;
                    }
                }
                Err(_) => panic!("{marker:?} never printed; got: {text}"),
            }
        }
    }

    fn stop(&mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "shop serve exited with {status}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
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
            && page.contains("shop_grpc_server_requests_total{service=\"shop.inventory.v1.InventoryService\",method=\"CheckStock\",code=\"Ok\"}")
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
