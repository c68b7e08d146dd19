//! The HTTP/1.1 server of the facade and the operator console, hardened with the servers'
//! own settings:
//!
//! - hyper's `header_read_timeout` (with a timer) closes a connection that does not send a
//!   complete request head in time. hyper starts that timer as soon as the connection waits
//!   for a head: when it opens (so one that never sends a byte is closed too) and again when
//!   a response is done (so it also bounds the idle wait of a kept-alive connection); see
//!   `hyper::proto::h1::conn` (`poll_read_head`, `State::idle`);
//! - tower-http's `TimeoutBody` answers 408 to a request whose body stalls, and its
//!   `TimeoutLayer` is a safety net over a whole request;
//! - a cap on open connections that fits the open-file limit: at the cap a new connection
//!   closes the one idle the longest ([`connections`]), so idle or silent connections can
//!   never lock out a health check or a webhook;
//! - accept errors (out of file descriptors, …) are logged once per burst, counted, make
//!   room and back off.

mod connections;

use std::{
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use crate::config::parse_duration;
use axum::{
    Json, Router,
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{StatusCode, header},
    middleware::{Next, from_fn_with_state},
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::timeout::{TimeoutBody, TimeoutError, TimeoutLayer};

use connections::{Admitted, Connections};

/// Safety net over one whole request (head received → response): longer than any honest
/// webhook (its body, then the orders call within `SHOP_ORDERS_TIMEOUT`), it bounds a body
/// that trickles in a byte at a time, which the pause-based body timeout cannot.
const REQUEST_DEADLINE: Duration = Duration::from_secs(60);

/// File descriptors kept free for everything else the process opens (its own outbound
/// connections, database files, mails, the gRPC servers of `shop serve`): at most this many,
/// and at most a quarter of the limit.
const RESERVED_FDS: u64 = 128;

/// First pause after an accept error; doubles up to [`MAX_ACCEPT_BACKOFF`].
const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Timeouts and the connection cap of the facade's HTTP server (the console's server runs
/// with the defaults).
#[derive(clap::Args, Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a client may take to send a request's head (request line and headers),
    /// counted from when the connection opens or its previous response ends: a connection
    /// that sends nothing, or only part of a head, is closed after it, and so is a
    /// kept-alive connection idle that long (hyper times both with one timer) (e.g. 10s).
    #[arg(
        id = "http_header_timeout",
        long = "http-header-timeout",
        env = "SHOP_HTTP_HEADER_TIMEOUT",
        value_name = "SHOP_HTTP_HEADER_TIMEOUT",
        default_value = "10s",
        value_parser = parse_duration
    )]
    pub header_timeout: Duration,

    /// How long a request's body may pause: a body that sends nothing for this long is
    /// answered 408 and its connection closed (e.g. 10s).
    #[arg(
        id = "http_body_timeout",
        long = "http-body-timeout",
        env = "SHOP_HTTP_BODY_TIMEOUT",
        value_name = "SHOP_HTTP_BODY_TIMEOUT",
        default_value = "10s",
        value_parser = parse_duration
    )]
    pub body_timeout: Duration,

    /// Most HTTP connections open at once; lowered to fit the process's open-file limit
    /// (RLIMIT_NOFILE, less a reserve). At the cap a new connection closes the one idle the
    /// longest; a connection with a request in flight is never closed.
    #[arg(
        id = "http_max_connections",
        long = "http-max-connections",
        env = "SHOP_HTTP_MAX_CONNECTIONS",
        value_name = "SHOP_HTTP_MAX_CONNECTIONS",
        default_value = "1024",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_connections: u32,
}

/// The documented defaults.
impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// The connection cap in force: the configured one, lowered to the open-file limit `nofile`
/// (the soft RLIMIT_NOFILE; `None` when unknown) less a reserve for everything else.
fn effective_cap(configured: u32, nofile: Option<u64>) -> usize {
    let configured = u64::from(configured);
    let cap = match nofile {
        Some(limit) => configured.min(limit - (limit / 4).min(RESERVED_FDS)),
        None => configured,
    };
    usize::try_from(cap.max(1)).unwrap_or(usize::MAX)
}

/// The soft open-file limit of this process.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    Some(limit.rlim_cur)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Serves `router` on `listener` with `limits` until `shutdown` is cancelled, then stops
/// accepting and lets every connection finish its request (each is bounded by the timeouts).
/// `component` names the server in its log lines. Handlers may extract
/// `ConnectInfo<SocketAddr>`, the peer's address.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    component: &'static str,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let nofile = open_file_limit();
    let connections = Connections::new(effective_cap(limits.max_connections, nofile));
    tracing::info!(
        addr = %listener.local_addr()?,
        max_connections = connections.limit(),
        configured_max_connections = limits.max_connections,
        open_file_limit = nofile,
        header_timeout = ?limits.header_timeout,
        body_timeout = ?limits.body_timeout,
        component,
        "HTTP server listening"
    );
    let app = router
        .layer(from_fn_with_state(
            limits.body_timeout,
            answer_408_to_a_stalled_body,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_DEADLINE,
        ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let mut errors = AcceptErrors::default();
    metrics::counter!("shop_http_accept_errors_total").increment(0);

    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                errors.recovered();
                accepted
            }
            // The client gave up before we accepted: nothing to do about it.
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                let pause = errors.failed(&e);
                if is_out_of_files(&e) {
                    // Free a descriptor for the connection waiting in the backlog, which may
                    // be the health check.
                    connections.evict_one();
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(pause) => continue,
                }
            }
        };
        let Some(admitted) = connections.admit() else {
            tracing::debug!(%peer, "connection refused: every connection has a request in flight");
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            // Small JSON answers: do not let Nagle hold them back.
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        tokio::spawn(serve_connection(
            stream,
            peer,
            admitted,
            app.clone(),
            http.clone(),
            graceful.watcher(),
        ));
    }

    drop(listener);
    tracing::info!(
        connections = connections.len(),
        component,
        "HTTP server shutting down: finishing in-flight requests"
    );
    graceful.shutdown().await;
    Ok(())
}

/// Serves one connection until it ends, or until it is chosen to make room while idle.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    admitted: Admitted,
    app: Router,
    http: http1::Builder,
    graceful: hyper_util::server::graceful::Watcher,
) {
    let connection = admitted.connection().clone();
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let in_flight = connection.start_request();
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await?;
            // Idle again once hyper has written the response and dropped its body.
            Ok::<_, std::convert::Infallible>(response.map(move |body| {
                body.map_frame(move |frame| {
                    let _ = &in_flight;
                    frame
                })
            }))
        }
    });
    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        biased;
        served = conn => {
            if let Err(e) = served {
                // Header timeouts, clients that hang up, …: routine on the open internet.
                tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
            }
        }
        () = admitted.connection().evicted() => {
            tracing::debug!(%peer, "idle HTTP connection closed to make room");
        }
    }
}

/// Wraps each request body in tower-http's `TimeoutBody` (an error once the body pauses for
/// `timeout`) and answers 408, closing the connection, when that is what ended the request
/// (the handler itself sees an unreadable body).
async fn answer_408_to_a_stalled_body(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let stalled = Arc::new(AtomicBool::new(false));
    let flag = stalled.clone();
    let request = request.map(|body| {
        Body::new(TimeoutBody::new(timeout, body).map_err(move |e| {
            if e.is::<TimeoutError>() {
                flag.store(true, Ordering::Relaxed);
            }
            e
        }))
    });
    let response = next.run(request).await;
    if !stalled.load(Ordering::Relaxed) {
        return response;
    }
    tracing::debug!(?timeout, "request body stalled");
    (
        StatusCode::REQUEST_TIMEOUT,
        [(header::CONNECTION, "close")],
        Json(serde_json::json!({
            "detail": "the request body did not arrive in time"
        })),
    )
        .into_response()
}

/// The peer reset or aborted the connection before it was accepted.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// EMFILE or ENFILE: this process or the system ran out of file descriptors.
fn is_out_of_files(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Accept errors of the current burst: logged on its first, counted each, with a back-off
/// that doubles while they last.
#[derive(Debug)]
struct AcceptErrors {
    in_burst: u64,
    pause: Duration,
}

impl Default for AcceptErrors {
    fn default() -> Self {
        Self {
            in_burst: 0,
            pause: MIN_ACCEPT_BACKOFF,
        }
    }
}

impl AcceptErrors {
    /// Counts `e` and returns how long to pause before accepting again.
    fn failed(&mut self, e: &io::Error) -> Duration {
        metrics::counter!("shop_http_accept_errors_total").increment(1);
        if self.in_burst == 0 {
            tracing::warn!(error = %e, "cannot accept HTTP connections; backing off (logged once until accepting works again)");
        }
        self.in_burst += 1;
        let pause = self.pause;
        self.pause = (self.pause * 2).min(MAX_ACCEPT_BACKOFF);
        pause
    }

    /// Accepting works again.
    fn recovered(&mut self) {
        if self.in_burst > 0 {
            tracing::info!(errors = self.in_burst, "accepting HTTP connections again");
            *self = Self::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        http: HttpLimits,
    }

    #[test]
    fn defaults_match_the_default_constructor_and_flags_are_parsed() {
        assert_eq!(
            Cli::try_parse_from(["shop"]).unwrap().http,
            HttpLimits::default()
        );
        let parsed = Cli::try_parse_from([
            "shop",
            "--http-header-timeout",
            "2s",
            "--http-body-timeout",
            "500ms",
            "--http-max-connections",
            "10",
        ])
        .unwrap()
        .http;
        assert_eq!(parsed.header_timeout, Duration::from_secs(2));
        assert_eq!(parsed.body_timeout, Duration::from_millis(500));
        assert_eq!(parsed.max_connections, 10);
    }

    #[test]
    fn bad_values_are_reported_under_the_variable_name() {
        for (flag, value, variable) in [
            ("--http-max-connections", "0", "SHOP_HTTP_MAX_CONNECTIONS"),
            ("--http-header-timeout", "10", "SHOP_HTTP_HEADER_TIMEOUT"),
            ("--http-body-timeout", "0s", "SHOP_HTTP_BODY_TIMEOUT"),
        ] {
            let error = Cli::try_parse_from(["shop", flag, value])
                .err()
                .unwrap_or_else(|| panic!("{flag} {value} accepted"))
                .to_string();
            assert!(error.contains(variable), "{error}");
        }
    }

    #[test]
    fn the_cap_fits_the_open_file_limit_with_a_reserve() {
        assert_eq!(effective_cap(1024, None), 1024);
        assert_eq!(effective_cap(1024, Some(1_048_576)), 1024);
        assert_eq!(effective_cap(1024, Some(1024)), 896);
        assert_eq!(effective_cap(100, Some(1024)), 100);
        assert_eq!(effective_cap(1024, Some(256)), 192);
        assert_eq!(effective_cap(1024, Some(1)), 1);
    }

    #[test]
    fn accept_errors_back_off_and_reset_when_accepting_works_again() {
        let mut errors = AcceptErrors::default();
        let e = io::Error::from_raw_os_error(24);
        let pauses: Vec<_> = (0..9).map(|_| errors.failed(&e)).collect();
        assert_eq!(pauses[0], MIN_ACCEPT_BACKOFF);
        assert_eq!(pauses[1], MIN_ACCEPT_BACKOFF * 2);
        assert_eq!(pauses[8], MAX_ACCEPT_BACKOFF);
        errors.recovered();
        assert_eq!(errors.failed(&e), MIN_ACCEPT_BACKOFF);
        #[cfg(unix)]
        assert!(is_out_of_files(&e));
    }
}
