//! `shop serve` with the OpenTelemetry variables: one process, one `service.name` (`shop`),
//! and the same one trace per webhook through the in-process calls.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    time::{Duration, Instant},
};

use crate::{
    receiver::{ReceivedSpan, Receiver},
    support::{KillOnDrop, free_port, request, shop},
};

pub async fn run() {
    let (receiver, addr) =
        Receiver::start(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let http = format!("127.0.0.1:{}", free_port());
    let mut child = shop()
        .arg("serve")
        .env("SHOP_WEBHOOK_KEY", "otlp-key")
        .env("SHOP_HTTP_ADDR", &http)
        .env("SHOP_INVENTORY_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("SHOP_ORDERS_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("SHOP_WORKER_POLL_INTERVAL", "100ms")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}"))
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let _child = KillOnDrop(&mut child);
    let order_id = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no demo order printed"
        );
        if let Some(rest) = line.trim().strip_prefix("Pay the demo order ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let body = format!(r#"{{"order_id": "{order_id}", "status": "paid"}}"#);
    let head = "POST /api/webhooks/payment/ HTTP/1.1\r\nX-Webhook-Key: otlp-key\r\n\
                Content-Type: application/json";
    let response = request(&http, head, &body);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let spans = loop {
        let spans = receiver.spans();
        if let Some(delivery) = spans.iter().find(|s| s.name == "invoice.send") {
            let trace_id = delivery.trace_id.clone();
            break spans
                .into_iter()
                .filter(|s| s.trace_id == trace_id)
                .collect::<Vec<ReceivedSpan>>();
        }
        assert!(Instant::now() < deadline, "no delivery span: {spans:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(spans.iter().all(|s| s.service == "shop"), "{spans:#?}");
    let find = |name_ends: &str| {
        spans
            .iter()
            .find(|s| s.name.ends_with(name_ends))
            .unwrap_or_else(|| panic!("no {name_ends}: {spans:#?}"))
    };
    let (webhook, record, commit, delivery) = (
        find("/api/webhooks/payment/"),
        find("/RecordPayment"),
        find("/CommitReservation"),
        find("invoice.send"),
    );
    assert!(webhook.parent_span_id.is_empty(), "{webhook:#?}");
    assert_eq!(record.parent_span_id, webhook.span_id, "{spans:#?}");
    assert_eq!(commit.parent_span_id, record.span_id, "{spans:#?}");
    assert_eq!(delivery.parent_span_id, record.span_id, "{spans:#?}");
}
