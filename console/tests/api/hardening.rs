//! The console runs on the facade's hardened HTTP server: a client that never finishes its
//! request head is cut off after the header timeout, and does not hold up anyone else.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shop_common::http_server::HttpLimits;
use shop_testkit::db::Backend;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::spawn_console;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_request_head_is_cut_off_after_the_header_timeout() {
    let app = spawn_console(Backend::Sqlite).await.expect("SQLite");
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: console\r\n")
        .await
        .unwrap();
    let started = Instant::now();

    // Meanwhile the console answers others.
    let response = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let timeout = HttpLimits::default().header_timeout;
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(timeout + Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("the half-sent request is cut off, not left open");
    // Closed (EOF or reset), with at most hyper's error response before it.
    if let Ok(n) = read
        && n > 0
    {
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert!(
        started.elapsed() >= timeout - Duration::from_millis(500),
        "cut off after the header timeout, not before: {:?}",
        started.elapsed()
    );
}
