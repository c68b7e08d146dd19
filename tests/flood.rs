//! The facade against clients that hold connections and send nothing, or too little: `shop
//! serve` (embedded SQLite) limited to 1,024 open files, flooded with 1,200 silent loopback
//! connections, still answers `/healthz` and a webhook within a second and closes every
//! silent connection on its own; a half-sent head, a stalled body and an idle kept-alive
//! connection are cut off after their timeouts. Bounded: fixed counts, a deadline on every
//! wait, loopback only.

mod support;

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use support::{free_port, shop};

/// RLIMIT_NOFILE of the `shop serve` under test: the usual container default.
const FILE_LIMIT: u64 = 1024;
/// Silent connections opened against it: more than it may open files.
const IDLE_CONNECTIONS: usize = 1200;
const KEY: &str = "flood-test-key";

#[test]
fn a_flood_of_silent_connections_neither_locks_out_health_checks_nor_webhooks_nor_stays_open() {
    // This test holds 1,200 sockets of its own.
    raise_own_file_limit(IDLE_CONNECTIONS as u64 + 256);
    let serve = Serve::start(Some(FILE_LIMIT), &[]);

    let opened = Instant::now();
    let mut idle: Vec<TcpStream> = (0..IDLE_CONNECTIONS)
        .map(|i| {
            TcpStream::connect_timeout(&serve.http, Duration::from_secs(2))
                .unwrap_or_else(|e| panic!("connection {i}: {e}"))
        })
        .collect();
    eprintln!(
        "{} silent connections opened in {:?}",
        idle.len(),
        opened.elapsed()
    );

    let (health, took) = timed_request(serve.http, "GET /healthz HTTP/1.1", "");
    assert!(
        health.starts_with("HTTP/1.1 200"),
        "{health}\n{}",
        serve.log()
    );
    assert!(took < Duration::from_secs(1), "/healthz took {took:?}");

    let body = format!(
        r#"{{"order_id": "{}", "status": "paid"}}"#,
        uuid::Uuid::new_v4()
    );
    let (webhook, took) = timed_request(
        serve.http,
        &format!(
            "POST /api/webhooks/payment/ HTTP/1.1\r\nX-Webhook-Key: {KEY}\r\nContent-Type: application/json"
        ),
        &body,
    );
    // The contract's answer for an unknown order is 404 (400 would do): anything but a 5xx.
    assert!(
        webhook.starts_with("HTTP/1.1 404") || webhook.starts_with("HTTP/1.1 400"),
        "{webhook}\n{}",
        serve.log()
    );
    assert!(took < Duration::from_secs(1), "the webhook took {took:?}");

    // Every silent connection is closed by the server: those beyond the cap at once, to make
    // room, the others by the header timeout (10 s by default).
    let deadline = opened + Duration::from_secs(35);
    for (i, connection) in idle.iter_mut().enumerate() {
        if let Err(e) = wait_for_close(connection, deadline) {
            panic!(
                "connection {i} still open {:?} after it was opened: {e}\n{}",
                opened.elapsed(),
                serve.log()
            );
        }
    }
    eprintln!(
        "all closed by the server {:?} after opening",
        opened.elapsed()
    );

    let metrics = serve.metrics();
    for line in metrics.lines().filter(|l| l.starts_with("shop_http_")) {
        eprintln!("{line}");
    }
    let limit = metric(&metrics, "shop_http_connections_limit");
    assert!(
        limit > 0.0 && limit < FILE_LIMIT as f64,
        "the cap fits the open-file limit: {metrics}"
    );
    assert!(
        metric(&metrics, "shop_http_connections_evicted_total") >= IDLE_CONNECTIONS as f64 - limit,
        "idle connections made room: {metrics}"
    );
    assert!(
        metric(&metrics, "shop_http_connections") <= 3.0,
        "{metrics}"
    );
    assert!(metric(&metrics, "shop_http_accept_errors_total") >= 0.0);
    serve.stop();
}

#[test]
fn slow_heads_stalled_bodies_and_idle_kept_alive_connections_are_cut_off() {
    let serve = Serve::start(
        None,
        &[
            ("SHOP_HTTP_HEADER_TIMEOUT", "1s"),
            ("SHOP_HTTP_BODY_TIMEOUT", "1s"),
        ],
    );
    let cut_off_in_time = |what: &str, took: Duration| {
        assert!(
            Duration::from_millis(800) <= took && took < Duration::from_secs(4),
            "{what} cut off after {took:?}, not about 1 s\n{}",
            serve.log()
        );
    };

    // Connected, never a byte.
    let mut silent = connect(serve.http);
    let start = Instant::now();
    wait_for_close(&mut silent, start + Duration::from_secs(5)).expect("silent: closed");
    cut_off_in_time("a silent connection", start.elapsed());

    // Half a head, then nothing.
    let mut half = connect(serve.http);
    let start = Instant::now();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\n")
        .unwrap();
    wait_for_close(&mut half, start + Duration::from_secs(5)).expect("half a head: closed");
    cut_off_in_time("half a head", start.elapsed());

    // A webhook whose body stops after its first bytes: 408 (or a closed connection).
    let mut stalled = connect(serve.http);
    let start = Instant::now();
    write!(
        stalled,
        "POST /api/webhooks/payment/ HTTP/1.1\r\nHost: shop\r\nX-Webhook-Key: {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 60\r\n\r\n{{\"order_id\": "
    )
    .unwrap();
    let answer = read_until_closed(&mut stalled, start + Duration::from_secs(5))
        .expect("stalled body: closed");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    cut_off_in_time("a stalled body", start.elapsed());

    // A kept-alive connection after its answer: hyper's header timer runs again from there.
    let mut kept = connect(serve.http);
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\n\r\n")
        .unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0; 1024];
    while !answer.ends_with(br#"{"status":"ok"}"#) {
        let n = kept
            .read(&mut buf)
            .expect("the answer, connection kept open");
        assert!(n > 0, "closed before the whole answer");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let start = Instant::now();
    wait_for_close(&mut kept, start + Duration::from_secs(5)).expect("kept alive: closed");
    cut_off_in_time("an idle kept-alive connection", start.elapsed());

    serve.stop();
}

/// A running `shop serve` on embedded SQLite in a temporary directory.
struct Serve {
    child: Child,
    http: SocketAddr,
    dir: tempfile::TempDir,
}

impl Serve {
    /// Starts it (with RLIMIT_NOFILE `file_limit`, if given) and waits until `/healthz`
    /// answers.
    fn start(file_limit: Option<u64>, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let http: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let log = std::fs::File::create(dir.path().join("shop.log")).unwrap();
        let mut command = shop();
        command
            .arg("serve")
            .env(
                "SHOP_DATABASE_URL",
                format!("sqlite://{}/shop.db?mode=rwc", dir.path().display()),
            )
            .env("SHOP_MAIL_DIR", dir.path().join("mail"))
            .env("SHOP_WEBHOOK_KEY", KEY)
            .env("SHOP_HTTP_ADDR", http.to_string())
            .env("SHOP_ORDERS_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("SHOP_INVENTORY_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(limit) = file_limit {
            // SAFETY: only setrlimit, which is async-signal-safe, runs in the child.
            unsafe {
                command.pre_exec(move || set_file_limit(limit, limit));
            }
        }
        let mut serve = Self {
            child: command.spawn().unwrap(),
            http,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut stream) = TcpStream::connect(http) {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let _ = stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n");
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") {
                    return serve;
                }
            }
            if let Ok(Some(status)) = serve.child.try_wait() {
                panic!("shop serve exited with {status}\n{}", serve.log());
            }
            assert!(
                Instant::now() < deadline,
                "shop serve never answered /healthz\n{}",
                serve.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Its log so far (stderr).
    fn log(&self) -> String {
        read_log(self.dir.path())
    }

    /// GET /metrics.
    fn metrics(&self) -> String {
        let (page, _) = timed_request(self.http, "GET /metrics HTTP/1.1", "");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        page
    }

    /// SIGTERM, then a clean exit within 15 s.
    fn stop(mut self) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: signals our own child process.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "shop serve did not stop\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "exited with {status}\n{}", self.log());
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_log(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("shop.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A connection with 1 s timeouts to connect, write and read.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    stream
}

/// One request on a new connection (`head`: request line and headers), all of it within
/// 1 s; the whole answer and how long it took, connecting included.
fn timed_request(addr: SocketAddr, head: &str, body: &str) -> (String, Duration) {
    let start = Instant::now();
    let mut stream = connect(addr);
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    write!(
        stream,
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap_or_else(|e| panic!("{head}: cannot send after {:?}: {e}", start.elapsed()));
    let mut answer = String::new();
    if let Err(e) = stream.read_to_string(&mut answer) {
        panic!(
            "{head}: no complete answer after {:?}: {e}",
            start.elapsed()
        );
    }
    (answer, start.elapsed())
}

/// Waits until the server closes `stream` (end of file or reset), at the latest by
/// `deadline`.
fn wait_for_close(stream: &mut TcpStream, deadline: Instant) -> Result<(), String> {
    read_until_closed(stream, deadline).map(drop)
}

/// Whatever the server sends until it closes `stream`, at the latest by `deadline`.
fn read_until_closed(stream: &mut TcpStream, deadline: Instant) -> Result<String, String> {
    let mut received = Vec::new();
    let mut buf = [0; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Ok(String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset) => {
                return Ok(String::from_utf8_lossy(&received).into_owned());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("not closed: {e}"));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
}

/// The value of an unlabelled metric on a Prometheus page (panics if absent).
fn metric(page: &str, name: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {page}"))
}

/// Sets this process's RLIMIT_NOFILE.
fn set_file_limit(soft: u64, hard: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Raises this test process's soft RLIMIT_NOFILE to at least `needed` (up to its hard limit).
fn raise_own_file_limit(needed: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    if limit.rlim_cur >= needed {
        return;
    }
    assert!(
        limit.rlim_max >= needed,
        "this test needs {needed} open files; the hard limit is {}",
        limit.rlim_max
    );
    set_file_limit(needed, limit.rlim_max).expect("raise the soft open-file limit");
}
