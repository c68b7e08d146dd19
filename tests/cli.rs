//! The `shop` binary as an operator meets it: bad settings, migrations, graceful shutdown.

use std::{
    net::{TcpListener, TcpStream},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn shop() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shop"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SHOP_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

/// Runs `shop args` with `env`, expecting it to fail at once with one line on stderr that
/// names `variable`.
fn assert_rejects(args: &[&str], env: &[(&str, &str)], variable: &str) {
    let dir = tempfile::tempdir().unwrap();
    let output = shop()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} {env:?} should fail");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
    assert!(lines[0].contains(variable), "names {variable}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

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
fn an_unreachable_database_is_one_line_naming_the_variable_without_the_password() {
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
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"));
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// A raw HTTP/1.1 POST, so the test needs no HTTP client library.
fn post_webhook(addr: &str, key: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/webhooks/payment/ HTTP/1.1\r\nHost: {addr}\r\nX-Webhook-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
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
        let page = http_get(&metrics, "/metrics");
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

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
