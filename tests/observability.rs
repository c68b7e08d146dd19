//! One webhook through `shop serve`, seen from the outside: its request id comes back, its
//! trace (the provider's `traceparent`) is continued by the facade, orders and inventory in
//! their JSON log lines, and the facade's `/metrics` counts it (read back: latencies, canonical
//! gRPC codes, the pool, the process), with every metric that deploy/observability's alert
//! rules and dashboard use.

mod support;

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    sync::mpsc,
    time::{Duration, Instant},
};

use support::{free_port, request, shop};

#[test]
fn a_webhooks_trace_and_request_id_join_up_across_the_services_and_every_metric_the_alerts_use_is_exported()
 {
    let dir = tempfile::tempdir().unwrap();
    let http = format!("127.0.0.1:{}", free_port());
    let mut child = shop()
        .arg("serve")
        .env("SHOP_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,shop_common=debug")
        .env("SHOP_WEBHOOK_KEY", "obs-key")
        .env("SHOP_HTTP_ADDR", &http)
        .env("SHOP_INVENTORY_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("SHOP_ORDERS_ADDR", format!("127.0.0.1:{}", free_port()))
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let order_id = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "shop serve printed no demo order"
        );
        if let Some(rest) = line.trim().strip_prefix("Pay the demo order ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let body = format!(r#"{{"order_id": "{order_id}", "status": "paid"}}"#);
    let response = request(
        &http,
        &format!(
            "POST /api/webhooks/payment/ HTTP/1.1\r\nX-Webhook-Key: obs-key\r\nContent-Type: application/json\r\n\
             X-Request-Id: req-obs-1\r\ntraceparent: 00-{trace_id}-00f067aa0ba902b7-01"
        ),
        &body,
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-request-id: req-obs-1"),
        "{response}"
    );

    // The log lines of this trace, from each service.
    let mut seen = (false, false, false);
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen != (true, true, true) {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("trace not seen in every service: {seen:?}"));
        let Ok(json) = serde_json_lite(&line) else {
            continue;
        };
        if !json.contains(&format!("\"trace_id\":\"{trace_id}\"")) {
            continue;
        }
        assert!(
            json.contains("\"request_id\":\"req-obs-1\""),
            "the request id travels with the trace: {json}"
        );
        if json.contains("\"message\":\"webhook recorded\"") {
            seen.0 = true;
        }
        if json.contains("\"rpc\":\"RecordPayment\"") {
            seen.1 = true;
        }
        if json.contains("\"rpc\":\"CommitReservation\"") {
            seen.2 = true;
        }
    }

    let metrics = request(&http, "GET /metrics HTTP/1.1", "");
    assert!(
        metrics.contains("shop_webhooks_total{outcome=\"confirmed\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shop_payments_recorded_total{outcome=\"confirmed\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shop_grpc_server_request_duration_seconds_bucket"),
        "{metrics}"
    );
    // Read back: the webhook's latency, the calls on both sides with canonical codes, the
    // pool and the process.
    let value = |name: &str, labels: &[(&str, &str)]| {
        sample(&metrics, name, labels).unwrap_or_else(|| panic!("{name} {labels:?}: {metrics}"))
    };
    assert_eq!(
        value(
            "shop_webhook_duration_seconds_count",
            &[("outcome", "confirmed")]
        ),
        1.0
    );
    for method in ["RecordPayment", "CommitReservation"] {
        let call = [("method", method), ("code", "OK")];
        assert_eq!(value("shop_grpc_server_requests_total", &call), 1.0);
        assert_eq!(
            value("shop_grpc_client_request_duration_seconds_count", &call),
            1.0
        );
    }
    assert!(!metrics.contains("code=\"Ok\""), "{metrics}");
    assert!(value("shop_db_pool_max_connections", &[]) >= 1.0);
    assert!(value("shop_db_pool_connections", &[("state", "idle")]) >= 0.0);
    assert!(value("process_resident_memory_bytes", &[]) > 1e6);
    assert!(value("process_open_fds", &[]) > 0.0);

    // Every metric the alert rules and the dashboard use is one this process exports (some
    // gauges are refreshed on a timer: scrape until they are all there).
    let used = metrics_used_in_deploy_observability();
    assert!(used.len() > 10, "{used:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = request(&http, "GET /metrics HTTP/1.1", "");
        let missing: Vec<&String> = used
            .iter()
            .filter(|name| {
                !page
                    .lines()
                    .any(|line| sample_name(line) == Some(name.as_str()))
            })
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "deploy/observability uses metrics the shop does not export: {missing:?}\n{page}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    let _ = child.kill();
    let _ = child.wait();
}

/// The `shop_*` and `process_*` metric names in the expressions of the alert rules and the
/// dashboard (`up` is Prometheus's own).
fn metrics_used_in_deploy_observability() -> std::collections::BTreeSet<String> {
    fn expressions(value: &serde_yaml_ng::Value, found: &mut Vec<String>) {
        match value {
            serde_yaml_ng::Value::Mapping(map) => {
                for (key, value) in map {
                    match (key.as_str(), value.as_str()) {
                        (Some("expr"), Some(expr)) => found.push(expr.to_owned()),
                        _ => expressions(value, found),
                    }
                }
            }
            serde_yaml_ng::Value::Sequence(items) => {
                items.iter().for_each(|item| expressions(item, found))
            }
            _ => {}
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/observability");
    let mut found = Vec::new();
    // JSON is YAML: one parser for both files.
    for file in ["alerts.yaml", "dashboard.json"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        expressions(&serde_yaml_ng::from_str(&text).unwrap(), &mut found);
    }
    found
        .iter()
        .flat_map(|expr| expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')))
        .filter(|token| token.starts_with("shop_") || token.starts_with("process_"))
        .map(str::to_owned)
        .collect()
}

/// The metric name of a sample line of a Prometheus text page.
fn sample_name(line: &str) -> Option<&str> {
    (!line.starts_with('#'))
        .then(|| line.split(['{', ' ']).next())
        .flatten()
        .filter(|name| !name.is_empty())
}

/// The value of the sample of `name` whose labels include `labels`, from a Prometheus text
/// page.
fn sample(page: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    page.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, series_labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let wanted = series_name == name
            && labels.iter().all(|(k, v)| {
                series_labels
                    .split(',')
                    .any(|pair| pair == format!("{k}=\"{v}\""))
            });
        wanted.then(|| value.parse().ok()).flatten()
    })
}

/// Every stderr line must be one JSON object (SHOP_LOG_FORMAT=json).
fn serde_json_lite(line: &str) -> Result<String, String> {
    let line = line.trim();
    if line.starts_with('{') && line.ends_with('}') {
        Ok(line.to_owned())
    } else {
        Err(format!("not a JSON log line: {line}"))
    }
}
