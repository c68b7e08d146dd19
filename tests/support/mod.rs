//! What the black-box tests of the `shop` binary share: running it with a clean
//! environment, free ports, and plain HTTP without a client library.

#![allow(dead_code)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// `shop` with no inherited `SHOP_*` or `OTEL_*` variables and quiet logs.
pub fn shop() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shop"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SHOP_") || key.starts_with("OTEL_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn");
    // `shop serve` on SQLite also runs the operator console; tests run side by side, so not
    // on its fixed default port (a test that cares sets its own).
    command.env("SHOP_CONSOLE_ADDR", "127.0.0.1:0");
    command
}

/// The seller a worker or `serve` on PostgreSQL must be given: invoices name it.
pub const SELLER_ENV: [(&str, &str); 3] = [
    ("SHOP_SELLER_NAME", "Test Seller GmbH"),
    ("SHOP_SELLER_ADDRESS", "Teststraße 1; 10115 Berlin"),
    ("SHOP_SELLER_TAX_ID", "DE999999999"),
];

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A raw HTTP/1.1 request (`head` is the request line plus any headers); the whole answer.
pub fn request(addr: &str, head: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// Kills a child process when dropped (a failing test leaves nothing running).
pub struct KillOnDrop<'a>(pub &'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `shop args` with `env`, expecting it to fail at once with one line on stderr that
/// names `variable`.
pub fn assert_rejects(args: &[&str], env: &[(&str, &str)], variable: &str) {
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

/// A running `shop serve`, its stdout read line by line.
pub struct Serve {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Serve {
    pub fn start(dir: &std::path::Path, env: &[(&str, String)]) -> Self {
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
    pub fn read_until(&mut self, marker: &str) -> String {
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

    pub fn stop(&mut self) {
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
