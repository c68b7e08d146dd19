//! The comparison as a table.

use super::CompareReport;

impl CompareReport {
    /// Prints the rounds, the medians and the verdict.
    pub fn print(&self) {
        println!(
            "PostgreSQL, {} orders per run, concurrency {}, {} rounds",
            self.orders,
            self.concurrency,
            self.rounds.len()
        );
        println!(
            "{:>5} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>10} {:>12}",
            "round",
            "baseline/s",
            "base p99",
            "serve/s",
            "serve p99",
            "tput",
            "p99",
            "serve MiB",
            "shared/s p99"
        );
        for (i, r) in self.rounds.iter().enumerate() {
            let shared = r.shared.as_ref().map_or("-".to_owned(), |s| {
                format!("{:.0} {:.1}", s.throughput, s.p99)
            });
            println!(
                "{:>5} {:>12.1} {:>12.2} {:>12.1} {:>12.2} {:>9.2} {:>9.2} {:>10.1} {:>12}",
                i + 1,
                r.baseline.throughput,
                r.baseline.latency_ms.p99,
                r.service.throughput,
                r.service.latency_ms.p99,
                r.service.throughput / r.baseline.throughput,
                r.service.latency_ms.p99 / r.baseline.latency_ms.p99,
                r.service.peak_rss_mib_load(),
                shared
            );
            if let Some(v) = &r.versus {
                let base = r.versus_baseline.as_ref().unwrap_or(&r.baseline);
                println!(
                    "      versus: {:.1}/s, p99 {:.2} ms, {:.1} MiB; its baseline {:.1}/s, p99 {:.2} ms; ratios {:.2} {:.2}",
                    v.throughput,
                    v.latency_ms.p99,
                    v.peak_rss_mib_load(),
                    base.throughput,
                    base.latency_ms.p99,
                    v.throughput / base.throughput,
                    v.latency_ms.p99 / base.latency_ms.p99,
                );
            }
            if let Some(split) = &r.split {
                println!(
                    "      split-pg: {:.1}/s, p99 {:.2} ms, {:.1} MiB in {} processes",
                    split.throughput,
                    split.latency_ms.p99,
                    split.peak_rss_mib_load(),
                    split.processes.len()
                );
            }
        }
        println!(
            "{:>5} {:>12.1} {:>12.2} {:>12.1} {:>12.2} {:>9.2} {:>9.2} {:>10.1}",
            "med",
            self.baseline_throughput,
            self.baseline_p99_ms,
            self.service_throughput,
            self.service_p99_ms,
            self.throughput_ratio,
            self.p99_ratio,
            self.serve_rss_mib
        );
        if let Some(v) = &self.versus {
            println!(
                "versus (median): {:.1}/s, p99 {:.2} ms, {:.1} MiB; its baseline {:.1}/s, p99 {:.2} ms; ratios {:.2} {:.2}",
                v.throughput,
                v.p99_ms,
                v.serve_rss_mib,
                v.baseline_throughput,
                v.baseline_p99_ms,
                v.throughput_ratio,
                v.p99_ratio
            );
        }
        for t in &self.targets {
            let verdict = if t.met { "met" } else { "NOT MET" };
            println!(
                "{:<52} {:>8.2} (limit {:>5.2})  {verdict}",
                t.name, t.value, t.limit
            );
        }
    }
}
