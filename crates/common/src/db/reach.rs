//! Why a PostgreSQL server could not be reached, in the words of the network: sqlx's pool only
//! says "pool timed out while waiting for an open connection" after its acquire timeout, which
//! hides the usual cause (nothing listening at the address given).

use std::time::Duration;

/// How long the diagnosing TCP connection may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// For a `postgres://` URL naming a TCP host: why a TCP connection to it fails ("connection
/// refused at host:port", …), or `None` when it succeeds (the cause lies beyond: credentials,
/// the database name…) or the URL names no TCP host (a Unix socket).
pub(super) async fn tcp_failure(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return None;
    }
    let host = parsed.host_str().filter(|host| !host.is_empty())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = parsed.port().unwrap_or(5432);
    let at = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(format!(
            "connection refused at {at} (is PostgreSQL running there?)"
        )),
        Ok(Err(e)) => Some(format!("cannot reach {at}: {e}")),
        Err(_) => Some(format!(
            "no answer from {at} within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_port_is_reported_as_connection_refused_at_its_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let reason = tcp_failure(&format!("postgres://shop:secret@127.0.0.1:{port}/shop")).await;
        assert_eq!(
            reason.as_deref(),
            Some(
                format!("connection refused at 127.0.0.1:{port} (is PostgreSQL running there?)")
                    .as_str()
            )
        );
    }

    #[tokio::test]
    async fn a_listening_server_or_a_non_tcp_url_gives_no_reason() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(
            tcp_failure(&format!("postgres://u@127.0.0.1:{port}/db")).await,
            None
        );
        assert_eq!(tcp_failure("sqlite://data/shop.db?mode=rwc").await, None);
        assert_eq!(
            tcp_failure("postgres:///shop?host=/run/postgresql").await,
            None
        );
    }
}
