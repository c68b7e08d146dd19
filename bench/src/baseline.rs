//! The raw-SQL baseline: pgbench runs, on a fresh database with our real schema (made by
//! `shop migrate`), the statements our services issue for one confirmation
//! (`sql/confirm.sql`), each order confirmed once, at the same concurrency as the service
//! benchmark. Also runs the shared reference (`run.sh` of `/work/shared/bench/sql_limit`).

use std::{path::Path, process::Stdio};

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::process::Command;

use crate::{
    cli::{Common, Workload},
    database::ScratchDatabase,
    launch,
    report::Latency,
};

const SEED_SQL: &str = include_str!("../sql/seed.sql");
const CONFIRM_SQL: &str = include_str!("../sql/confirm.sql");

/// What one pgbench run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineReport {
    /// Orders confirmed (`concurrency × (orders / concurrency)`).
    pub orders: usize,
    /// pgbench clients.
    pub concurrency: usize,
    /// Confirmations per second (pgbench's tps, without connection time).
    pub throughput: f64,
    /// Latency of one confirmation (the whole script).
    pub latency_ms: Latency,
    /// Transactions pgbench reports as failed.
    pub failed: usize,
    /// Orders confirmed afterwards (should equal `orders`).
    pub confirmed: usize,
}

impl BaselineReport {
    /// Prints it as a table on stdout.
    pub fn print(&self) {
        let l = &self.latency_ms;
        println!(
            "raw-SQL baseline (pgbench, our schema and statements): orders {}  clients {}",
            self.orders, self.concurrency
        );
        println!(
            "{:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10}",
            "confirm/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed", "confirmed"
        );
        println!(
            "{:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7} {:>10}",
            self.throughput, l.mean, l.p50, l.p95, l.p99, l.max, self.failed, self.confirmed
        );
    }
}

/// Runs our baseline once on a fresh database: `script` instead of `sql/confirm.sql` if
/// given (e.g. `sql/confirm_before.sql`).
pub async fn run(
    workload: Workload,
    common: &Common,
    threads: usize,
    script: Option<&Path>,
) -> anyhow::Result<BaselineReport> {
    let confirm = match script {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => CONFIRM_SQL.to_owned(),
    };
    let clients = workload.concurrency.max(1);
    let per_client = (workload.orders / clients).max(1);
    let orders = per_client * clients;
    let dir = tempfile::Builder::new()
        .prefix("shop-baseline-")
        .tempdir()?;
    let db = ScratchDatabase::create(&common.postgres_url).await?;
    let measured = async {
        launch::migrate(&common.shop_bin, &db.url, dir.path()).await?;
        std::fs::write(dir.path().join("seed.sql"), SEED_SQL)?;
        std::fs::write(dir.path().join("confirm.sql"), &confirm)?;
        let products = workload.products.to_string();
        tool("psql", dir.path())
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-v", &format!("norders={orders}")])
            .args(["-v", &format!("nproducts={products}")])
            .args(["-f", "seed.sql", &db.url])
            .output_ok()
            .await?;
        let output = tool("pgbench", dir.path())
            .args(["-n", "-M", "prepared", "-l", "--log-prefix=lat"])
            .args([
                "-c",
                &clients.to_string(),
                "-j",
                &threads.max(1).to_string(),
            ])
            .args(["-t", &per_client.to_string()])
            .args(["-D", "i=0", "-D", &format!("per_client={per_client}")])
            .args(["-D", &format!("nproducts={products}")])
            .args(["-f", "confirm.sql", &db.url])
            .output_ok()
            .await?;
        let throughput = number_after(&output, "tps = ").context("no tps in pgbench output")?;
        let failed = number_after(&output, "number of failed transactions: ").unwrap_or(0.0);
        let confirmed = tool("psql", dir.path())
            .args([
                "-X",
                "-Atc",
                "SELECT count(*) FROM orders WHERE status = 'confirmed'",
            ])
            .arg(&db.url)
            .output_ok()
            .await?;
        anyhow::Ok(BaselineReport {
            orders,
            concurrency: clients,
            throughput,
            latency_ms: Latency::from_micros(pgbench_latencies(dir.path())?),
            failed: failed as usize,
            confirmed: confirmed
                .trim()
                .parse()
                .context("count of confirmed orders")?,
        })
    }
    .await;
    if common.keep {
        eprintln!(
            "kept PostgreSQL database {} and {}",
            db.name,
            dir.keep().display()
        );
    } else {
        db.drop_now().await?;
    }
    measured
}

/// What the shared reference (`run.sh CLIENTS SECONDS`) printed.
#[derive(Debug, Clone, Serialize)]
pub struct SharedReport {
    /// Confirmations per second.
    pub throughput: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile latency, ms.
    pub p99: f64,
}

/// Runs the shared reference script once, on its own database (dropped afterwards).
pub async fn run_shared(
    script: &Path,
    clients: usize,
    seconds: u64,
    common: &Common,
) -> anyhow::Result<SharedReport> {
    let url = url::Url::parse(&common.postgres_url).context("--postgres-url is not a URL")?;
    let db = "shop_bench_sql_limit";
    let mut command = tool("bash", script.parent().unwrap_or(Path::new(".")));
    command
        .arg(script)
        .args([clients.to_string(), seconds.to_string()])
        .env("SQL_LIMIT_DB", db)
        .env("PGHOST", url.host_str().unwrap_or("127.0.0.1"))
        .env("PGPORT", url.port().unwrap_or(5432).to_string())
        .env(
            "PGUSER",
            if url.username().is_empty() {
                "postgres"
            } else {
                url.username()
            },
        );
    if let Some(password) = url.password() {
        command.env("PGPASSWORD", password);
    }
    let output = command.output_ok().await?;
    let p = |label| {
        let line = output.lines().find(|l| l.starts_with("latency ms:"))?;
        number_after(line, label)
    };
    let report = SharedReport {
        throughput: number_after(&output, "tps = ").context("no tps in run.sh output")?,
        p50: p("p50 ").context("no p50 in run.sh output")?,
        p99: p("p99 ").context("no p99 in run.sh output")?,
    };
    let mut admin = url.clone();
    admin.set_path("postgres");
    tool("psql", Path::new("."))
        .args([
            "-X",
            "-qc",
            &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        ])
        .arg(admin.as_str())
        .output_ok()
        .await?;
    Ok(report)
}

fn tool(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir).stdin(Stdio::null());
    command
}

trait OutputOk {
    /// Runs it; its stdout, or an error with its stderr if it failed.
    async fn output_ok(&mut self) -> anyhow::Result<String>;
}

impl OutputOk for Command {
    async fn output_ok(&mut self) -> anyhow::Result<String> {
        let program = format!("{:?}", self.as_std().get_program());
        let output = self.output().await.with_context(|| {
            format!("cannot run {program} (is the PostgreSQL client installed?)")
        })?;
        if !output.status.success() {
            bail!(
                "{program} failed with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// The number right after the first `label` in `text`.
fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Every transaction's latency (µs, third field) from pgbench's `-l` logs in `dir`.
fn pgbench_latencies(dir: &Path) -> anyhow::Result<Vec<u64>> {
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("lat."));
        if !is_log {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(us) = line.split_whitespace().nth(2).and_then(|f| f.parse().ok()) {
                latencies.push(us);
            }
        }
    }
    Ok(latencies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_after_their_label() {
        let out = "latency average = 3.1 ms\ntps = 1234.5 (without initial connection time)\n";
        assert_eq!(number_after(out, "tps = "), Some(1234.5));
        let shared = "latency ms: p50 2.10  p90 4.00  p99 9.50  max 20.00  (100 confirmations)";
        assert_eq!(number_after(shared, "p99 "), Some(9.5));
        assert_eq!(number_after(out, "missing"), None);
    }
}
