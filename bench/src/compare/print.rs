//! The comparison as a table: one row per system and round, then the medians, the ratios and
//! the verdict.

use super::{CompareReport, verdict::SystemMedians};
use crate::report::{GENERATOR_CORE_LIMIT, RunReport};

const HEADER: [&str; 9] = [
    "round",
    "system",
    "per s",
    "p99 ms",
    "CPU ms/wh",
    "RSS MiB",
    "drain s",
    "invoices",
    "bench CPU",
];

/// One row: round, system, then the measured columns (`-` where it does not apply).
fn row(round: &str, system: &str, cells: [String; 7]) {
    let [tput, p99, cpu, rss, drain, invoices, bench] = cells;
    println!(
        "{round:>5}  {system:<12} {tput:>8} {p99:>8} {cpu:>9} {rss:>8} {drain:>8} {invoices:>10}  {bench}"
    );
}

fn sql_row(round: &str, system: &str, throughput: f64, p99: f64) {
    let dash = || "-".to_owned();
    let cells = [
        format!("{throughput:.0}"),
        format!("{p99:.1}"),
        dash(),
        dash(),
        dash(),
        dash(),
        dash(),
    ];
    row(round, system, cells);
}

fn run_row(round: &str, system: &str, r: &RunReport) {
    let i = &r.invoices;
    let invoices = if i.ok() {
        format!("{} ok", i.exactly_once)
    } else {
        format!("{}/{} BAD", i.exactly_once, r.orders)
    };
    let b = &r.bench_cpu;
    row(
        round,
        system,
        [
            format!("{:.0}", r.throughput),
            format!("{:.1}", r.latency_ms.p99),
            format!("{:.3}", r.cpu_ms_per_webhook()),
            format!("{:.1}", r.peak_rss_mib_load()),
            r.drain_seconds
                .map_or("timeout".to_owned(), |s| format!("{s:.2}")),
            invoices,
            format!(
                "gen {:.0}% ({:.0} µs/wh), sink {:.0}%",
                b.generator_core_percent, b.generator_us_per_webhook, b.sink_core_percent
            ),
        ],
    );
}

fn median_row(m: &SystemMedians) {
    let faults = m.errors_and_unconfirmed + m.invoice_faults;
    row(
        "med",
        &m.system,
        [
            format!("{:.0}", m.throughput),
            format!("{:.1}", m.p99_ms),
            format!("{:.3}", m.cpu_ms_per_webhook),
            format!("{:.1}", m.rss_mib),
            m.drain_seconds
                .map_or("timeout".to_owned(), |s| format!("{s:.2}")),
            if faults == 0 {
                "ok".to_owned()
            } else {
                format!("{faults} BAD")
            },
            format!(
                "gen {:.0}%, sink {:.0}%",
                m.generator_core_percent, m.sink_core_percent
            ),
        ],
    );
}

impl CompareReport {
    /// Prints the rounds, the medians, the ratios and the verdict.
    pub fn print(&self) {
        let judge = if self.judged {
            "judged against the shared reference"
        } else {
            "nothing judged (no shared reference)"
        };
        println!(
            "PostgreSQL, {} orders per run, concurrency {}, {} round(s); {judge}",
            self.orders,
            self.concurrency,
            self.rounds.len()
        );
        let [round, system, measured @ ..] = HEADER;
        row(round, system, measured.map(str::to_owned));
        for (i, r) in self.rounds.iter().enumerate() {
            let n = (i + 1).to_string();
            if let Some(s) = &r.shared {
                sql_row(&n, "shared ref", s.throughput, s.p99);
            }
            sql_row(
                &n,
                "baseline",
                r.baseline.throughput,
                r.baseline.latency_ms.p99,
            );
            run_row(&n, "serve-pg", &r.service);
            for (name, run) in [
                ("split-pg", &r.split),
                ("split-pg-x2", &r.split_x2),
                ("versus", &r.versus),
            ] {
                if let Some(run) = run {
                    run_row(&n, name, run);
                }
            }
            if let Some(b) = &r.versus_baseline {
                sql_row(&n, "versus base", b.throughput, b.latency_ms.p99);
            }
        }
        if let Some(s) = &self.shared {
            sql_row("med", "shared ref", s.throughput, s.p99_ms);
        }
        sql_row(
            "med",
            "baseline",
            self.baseline.throughput,
            self.baseline.p99_ms,
        );
        for m in &self.systems {
            median_row(m);
        }
        println!(
            "(per s: webhooks/s, or confirmations/s for SQL; CPU: all shop processes while firing; \
             drain: last webhook answered to last invoice received; bench CPU: this process while firing, \
             % of one core: load generator, SMTP sink)"
        );
        match (self.throughput_ratio, self.p99_ratio) {
            (Some(t), Some(p)) => {
                println!("serve-pg / shared reference: throughput {t:.2}, p99 {p:.2}")
            }
            _ => println!("no shared reference (--shared-sql-limit none): nothing is judged"),
        }
        println!(
            "serve-pg / our baseline (not judged): throughput {:.2}, p99 {:.2}",
            self.baseline_throughput_ratio, self.baseline_p99_ratio
        );
        if let Some((t, p)) = self.versus_baseline_ratios {
            println!("versus / its baseline (not judged): throughput {t:.2}, p99 {p:.2}");
        }
        let limit = GENERATOR_CORE_LIMIT * 100.0;
        let busy = self.rounds.iter().flat_map(|r| {
            [
                Some(&r.service),
                r.split.as_ref(),
                r.split_x2.as_ref(),
                r.versus.as_ref(),
            ]
        });
        if busy.flatten().any(|r| r.bench_cpu.generator_may_limit()) {
            println!(
                "WARNING: the load generator used more than {limit:.0}% of a core in some run: it may be the bottleneck"
            );
        }
        for t in &self.targets {
            let verdict = match (t.judged, t.met) {
                (true, true) => "met",
                (true, false) => "NOT MET",
                (false, true) => "met (not judged)",
                (false, false) => "not met (not judged)",
            };
            // No shared reference: no ratio to show.
            let value = if t.value.is_nan() {
                "-".to_owned()
            } else {
                format!("{:.2}", t.value)
            };
            println!(
                "{:<56} {value:>8} (limit {:>5.2})  {verdict}",
                t.name, t.limit
            );
        }
    }
}
