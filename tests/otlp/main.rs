//! Traces exported from the split topology to a real OTLP/gRPC receiver: `shop inventory`,
//! `shop orders`, `shop facade` and `shop worker` as separate processes with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at the receiver built here. One paid webhook gives
//! one trace across the four processes, with the right parents, service names and statement
//! spans; without the variables nothing is exported.
//!
//! `shop serve` exports the same trace as one service, `shop`.
//!
//! `cargo test --test otlp`; the split topology needs `TEST_DATABASE_URL` (PostgreSQL) and
//! skips without it.

#[allow(dead_code)]
#[path = "../chaos/cluster.rs"]
mod cluster;
mod receiver;
mod serve;
#[path = "../support/mod.rs"]
mod support;
mod topology;

use std::time::{Duration, Instant};

use receiver::{ReceivedSpan, Receiver};
use shop_testkit::SmtpSink;
use shop_testkit::db::{Backend, TestDatabase};
use tokio::net::TcpListener;
use topology::Topology;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shop_serve_exports_one_trace_per_webhook_as_the_service_shop() {
    serve::run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_paid_webhook_is_one_trace_across_the_four_processes_and_none_without_the_variables() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    let (receiver, addr) = Receiver::start(TcpListener::bind("127.0.0.1:0").await.unwrap());
    // Nothing may go to the default endpoint either, when the variables are unset: listen
    // there too if the port is free.
    let default_endpoint = TcpListener::bind("127.0.0.1:4317")
        .await
        .ok()
        .map(|listener| Receiver::start(listener).0);
    let dir = tempfile::tempdir().unwrap();

    let traced = Topology::start(
        &database.url,
        &sink.url(),
        dir.path(),
        "traced",
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}")),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ],
    );
    let order_id = traced.create_order("traced").await;
    traced.pay(&order_id);
    sink.wait_for(1, Duration::from_secs(60)).await.unwrap();
    let spans = wait_for_trace(&receiver, Duration::from_secs(30), &traced);
    check_trace(&spans);
    drop(traced);
    // Whatever the traced processes had sent is in; they are gone (SIGKILL).
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The same topology without the OpenTelemetry variables: a paid order, its invoice, and
    // not one span more.
    let before = receiver.spans().len();
    let untraced = Topology::start(&database.url, &sink.url(), dir.path(), "untraced", &[]);
    let order_id = untraced.create_order("untraced").await;
    untraced.pay(&order_id);
    sink.wait_for(2, Duration::from_secs(60)).await.unwrap();
    // Several batch delays of the traced run's settings.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(untraced);
    let after = receiver.spans();
    assert!(
        after.len() == before,
        "exported without the variables: {:#?}",
        &after[before..]
    );
    if let Some(default_endpoint) = default_endpoint {
        assert!(
            default_endpoint.spans().is_empty(),
            "{:#?}",
            default_endpoint.spans()
        );
    }
}

/// The spans of the webhook's trace, once the worker's delivery span has arrived.
fn wait_for_trace(receiver: &Receiver, within: Duration, topology: &Topology) -> Vec<ReceivedSpan> {
    let deadline = Instant::now() + within;
    loop {
        let spans = receiver.spans();
        if let Some(delivery) = spans
            .iter()
            .find(|s| s.service == "shop-worker" && s.name == "invoice.send")
        {
            let trace_id = delivery.trace_id.clone();
            let in_trace: Vec<ReceivedSpan> = spans
                .into_iter()
                .filter(|s| s.trace_id == trace_id)
                .collect();
            let services = ["shop-facade", "shop-orders", "shop-inventory"];
            if services
                .iter()
                .all(|service| in_trace.iter().any(|s| s.service == *service))
            {
                return in_trace;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no complete trace; received {:#?}\n{}",
            receiver.spans(),
            topology.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The chain of one webhook: facade → orders `RecordPayment` → inventory
/// `CommitReservation`, statement spans inside, the worker's delivery under the request that
/// queued it (and linked to it).
fn check_trace(spans: &[ReceivedSpan]) {
    let find = |service: &str, name_ends: &str| -> &ReceivedSpan {
        spans
            .iter()
            .find(|s| s.service == service && s.name.ends_with(name_ends))
            .unwrap_or_else(|| panic!("no {service} span {name_ends}: {spans:#?}"))
    };
    let by_id = |id: &str| spans.iter().find(|s| s.span_id == id);
    // The services of `span`'s ancestors, nearest first, up to the root.
    let ancestors = |span: &ReceivedSpan| -> Vec<&ReceivedSpan> {
        let mut chain = Vec::new();
        let mut parent = span.parent_span_id.clone();
        while !parent.is_empty() {
            let span = by_id(&parent)
                .unwrap_or_else(|| panic!("parent {parent} was not exported: {spans:#?}"));
            chain.push(span);
            parent = span.parent_span_id.clone();
        }
        chain
    };

    let webhook = find("shop-facade", "/api/webhooks/payment/");
    assert!(webhook.parent_span_id.is_empty(), "{webhook:#?}");
    let record = find("shop-orders", "/RecordPayment");
    assert_eq!(
        record.name, "shop.orders.v1.OrderService/RecordPayment",
        "{record:#?}"
    );
    assert!(
        ancestors(record).iter().all(|s| s.service == "shop-facade"),
        "RecordPayment's parents are the facade's spans: {spans:#?}"
    );
    let commit = find("shop-inventory", "/CommitReservation");
    let above_commit = ancestors(commit);
    assert!(
        above_commit.iter().any(|s| s.span_id == record.span_id)
            && above_commit[0].service == "shop-orders",
        "CommitReservation is called within RecordPayment: {spans:#?}"
    );

    // Statement spans: the statement's kind, never its text.
    let statements: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.attribute("db.operation").is_some())
        .collect();
    for service in ["shop-orders", "shop-inventory"] {
        assert!(
            statements.iter().any(|s| s.service == service),
            "{service} statement spans: {spans:#?}"
        );
    }
    for statement in &statements {
        assert!(
            statement.attribute("db.statement").is_none(),
            "{statement:#?}"
        );
        assert!(!ancestors(statement).is_empty(), "{statement:#?}");
    }
    let confirming = statements
        .iter()
        .find(|s| {
            s.service == "shop-orders" && ancestors(s).iter().any(|a| a.span_id == record.span_id)
        })
        .expect("the confirmation's statements are inside RecordPayment");
    assert_eq!(confirming.attribute("db.system"), Some("postgresql"));

    // The worker's delivery: a child of the request that queued it, and linked to it.
    let delivery = find("shop-worker", "invoice.send");
    let queued_by = by_id(&delivery.parent_span_id).expect("the queuing span was exported");
    assert_eq!(queued_by.service, "shop-orders", "{queued_by:#?}");
    assert!(
        delivery
            .links
            .contains(&(queued_by.trace_id.clone(), queued_by.span_id.clone())),
        "{delivery:#?}"
    );
}
