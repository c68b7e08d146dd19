//! The verdict on made-up rounds: what is judged against what.

use super::*;
use crate::{
    baseline::SharedReport,
    mail::Delivery,
    report::{BenchCpu, Latency, ProcessStats},
};

fn latency(p99: f64) -> Latency {
    Latency {
        p99,
        ..Latency::default()
    }
}

fn serve(throughput: f64, p99: f64, rss_mib: u64) -> RunReport {
    RunReport {
        mode: "serve-pg".into(),
        orders: 100,
        concurrency: 32,
        seed_seconds: 1.0,
        seconds: 100.0 / throughput,
        throughput,
        latency_ms: latency(p99),
        errors: 0,
        statuses: [(200, 100)].into(),
        unconfirmed: 0,
        invoices: Delivery {
            received: 100,
            exactly_once: 100,
            ..Delivery::default()
        },
        drain_seconds: Some(0.5),
        processes: vec![ProcessStats {
            name: "serve".into(),
            peak_rss_kib_seeding: rss_mib * 1024,
            peak_rss_kib_load: rss_mib * 1024,
            cpu_ms_per_webhook: 1.0,
        }],
        bench_cpu: BenchCpu::default(),
        machine_cpu_ms_per_webhook: 2.0,
        machine_busy: 0.9,
    }
}

fn round(shared: Option<(f64, f64)>, service: RunReport) -> Round {
    Round {
        shared: shared.map(|(throughput, p99)| SharedReport {
            throughput,
            p50: p99 / 2.0,
            p99,
        }),
        baseline: BaselineReport {
            orders: 100,
            concurrency: 32,
            throughput: 800.0,
            latency_ms: latency(40.0),
            failed: 0,
            confirmed: 100,
        },
        service,
        split: None,
        split_x2: None,
        versus: None,
        versus_baseline: None,
    }
}

fn target<'a>(report: &'a CompareReport, prefix: &str) -> &'a Target {
    report
        .targets
        .iter()
        .find(|t| t.name.starts_with(prefix))
        .unwrap()
}

#[test]
fn serve_is_judged_against_the_shared_reference_not_our_baseline() {
    // 0.7 of the shared reference's throughput, 1.5 × its p99: met; stretch not met.
    let report = CompareReport::new(
        100,
        32,
        vec![round(Some((1000.0, 40.0)), serve(700.0, 60.0, 50))],
    );

    assert!(report.passed());
    assert_eq!(report.throughput_ratio, Some(0.7));
    assert_eq!(report.p99_ratio, Some(1.5));
    let stretch = target(&report, "  stretch");
    assert!(!stretch.met && !stretch.judged);
    assert_eq!(report.baseline_throughput_ratio, 700.0 / 800.0);
}

#[test]
fn a_missed_target_fails_the_verdict() {
    let slow = CompareReport::new(
        100,
        32,
        vec![round(Some((1000.0, 40.0)), serve(500.0, 60.0, 50))],
    );
    assert!(!slow.passed());
    assert!(!target(&slow, "serve throughput").met);

    let fat = CompareReport::new(
        100,
        32,
        vec![round(Some((1000.0, 40.0)), serve(900.0, 60.0, 65))],
    );
    assert!(!fat.passed());

    let mut duplicated = serve(900.0, 60.0, 50);
    duplicated.invoices.duplicates = 1;
    let report = CompareReport::new(100, 32, vec![round(Some((1000.0, 40.0)), duplicated)]);
    assert!(!report.passed());
    assert_eq!(target(&report, "serve invoices").value, 1.0);
}

#[test]
fn without_the_shared_reference_nothing_is_judged() {
    let report = CompareReport::new(100, 32, vec![round(None, serve(10.0, 900.0, 500))]);

    assert!(!report.judged && report.passed());
    assert!(report.targets.iter().all(|t| !t.judged));
    assert_eq!(report.throughput_ratio, None);
}
