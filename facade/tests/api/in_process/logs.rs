//! What the facade logs, captured by one global subscriber for this test binary: global, so
//! every callsite is registered against it and none is ever cached as uninteresting by a
//! parallel test. A test picks out its own lines by the request id it sends, which the
//! facade's `webhook` span carries into each of them.

use std::sync::{Arc, Mutex, OnceLock};

use axum::{body::Body, http::Request};

/// Everything logged in this process, in the fmt layer's words.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .init();
        captured
    })
}

/// One test's requests, tagged with a request id of their own.
pub struct Run(String);

impl Run {
    pub fn new() -> Self {
        captured();
        Self(format!("logs-{}", uuid::Uuid::new_v4().simple()))
    }

    /// `request` with this run's `X-Request-Id`.
    pub fn tag(&self, mut request: Request<Body>) -> Request<Body> {
        let value = self.0.parse().unwrap();
        request.headers_mut().insert("x-request-id", value);
        request
    }

    /// The log lines of this run's requests.
    pub fn lines(&self) -> String {
        let bytes = captured().0.lock().unwrap().clone();
        let marker = format!("request_id={}", self.0);
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| line.contains(&marker))
            .map(|line| format!("{line}\n"))
            .collect()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tracing_subscriber::fmt::MakeWriter<'_> for Captured {
    type Writer = Self;

    fn make_writer(&self) -> Self {
        self.clone()
    }
}
