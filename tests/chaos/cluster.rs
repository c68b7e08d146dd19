//! The system under test as real processes: `shop inventory`, `shop orders`, `shop worker`
//! and `shop facade`, each killable (SIGKILL) and restartable on its port.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Stdio},
    time::Duration,
};

use crate::support::{self, SELLER_ENV, free_port};

/// One `shop` subcommand running as a child process.
pub struct Component {
    pub name: &'static str,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    pub starts: usize,
}

impl Component {
    fn new(name: &'static str, env: Vec<(String, String)>, dir: &Path) -> Self {
        Self::replica(name, 1, env, dir)
    }

    /// Replica `n` of `shop <name>` (its log is `<name>-<n>.log`).
    pub fn replica(name: &'static str, n: usize, env: Vec<(String, String)>, dir: &Path) -> Self {
        Self {
            name,
            env,
            log: dir.join(format!("{name}-{n}.log")),
            child: None,
            starts: 0,
        }
    }

    /// Starts the process (appending to its log).
    pub fn start(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = support::shop()
            .arg(self.name)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "warn,shop_orders=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.starts += 1;
    }

    /// SIGKILL: no graceful shutdown, in-flight work is cut off.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether it is running (it may have exited on its own).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => child.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// The last lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The four components, wired to each other and to one database and SMTP server.
pub struct Cluster {
    pub inventory: Component,
    pub orders: Component,
    pub worker: Component,
    pub facade: Component,
    pub inventory_addr: String,
    pub orders_addr: String,
    pub http_addr: String,
    pub key: String,
}

impl Cluster {
    /// Starts every component (logs under `dir`).
    pub fn start(database_url: &str, smtp_url: &str, dir: &Path) -> Self {
        let inventory_addr = format!("127.0.0.1:{}", free_port());
        let orders_addr = format!("127.0.0.1:{}", free_port());
        let http_addr = format!("127.0.0.1:{}", free_port());
        let key = "chaos-key".to_owned();
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            let mut env = vec![("SHOP_DATABASE_URL".to_owned(), database_url.to_owned())];
            env.extend(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
            env
        };
        let inventory_url = format!("http://{inventory_addr}");
        let orders_url = format!("http://{orders_addr}");
        let mut cluster = Self {
            inventory: Component::new(
                "inventory",
                env(&[
                    ("SHOP_INVENTORY_ADDR", &inventory_addr),
                    ("SHOP_RESERVATION_TTL", "10m"),
                ]),
                dir,
            ),
            orders: Component::new(
                "orders",
                env(&[
                    ("SHOP_ORDERS_ADDR", &orders_addr),
                    ("SHOP_INVENTORY_URL", &inventory_url),
                    ("SHOP_INVENTORY_TIMEOUT", "2s"),
                ]),
                dir,
            ),
            worker: Component::new(
                "worker",
                env(&[
                    ("SHOP_SMTP_URL", smtp_url),
                    ("SHOP_INVOICE_RETRY_DELAY", "200ms"),
                    ("SHOP_INVOICE_MAX_ATTEMPTS", "100"),
                    ("SHOP_WORKER_POLL_INTERVAL", "100ms"),
                    ("SHOP_INVOICE_LEASE", "30s"),
                    SELLER_ENV[0],
                    SELLER_ENV[1],
                    SELLER_ENV[2],
                ]),
                dir,
            ),
            facade: Component::new(
                "facade",
                vec![
                    ("SHOP_HTTP_ADDR".to_owned(), http_addr.clone()),
                    ("SHOP_ORDERS_URL".to_owned(), orders_url),
                    ("SHOP_ORDERS_TIMEOUT".to_owned(), "3s".to_owned()),
                    ("SHOP_WEBHOOK_KEY".to_owned(), key.clone()),
                ],
                dir,
            ),
            inventory_addr,
            orders_addr,
            http_addr,
            key,
        };
        // Inventory first: every component migrates at start, one after the other.
        cluster.inventory.start();
        std::thread::sleep(Duration::from_millis(300));
        cluster.orders.start();
        cluster.worker.start();
        cluster.facade.start();
        cluster
    }

    /// Restarts any component that is not running.
    pub fn revive(&mut self) {
        for component in [
            &mut self.inventory,
            &mut self.orders,
            &mut self.worker,
            &mut self.facade,
        ] {
            if !component.is_running() {
                component.start();
            }
        }
    }

    /// The last log lines of every component, for a failure report.
    pub fn logs(&self) -> String {
        [&self.inventory, &self.orders, &self.worker, &self.facade]
            .iter()
            .map(|c| {
                format!(
                    "--- {} (started {} times)\n{}",
                    c.name,
                    c.starts,
                    c.log_tail(15)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
