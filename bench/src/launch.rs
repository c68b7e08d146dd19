//! Launching the shop under test: `shop serve`, or the four components as separate
//! processes (once, or two replicas of each), on free ports, a fresh database, sending their
//! mail to the benchmark's SMTP sink; waiting until it is ready; stopping it with SIGTERM.

use std::{
    net::SocketAddr,
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

mod topology;

use topology::{plan, urls};

use crate::{
    cli::{Common, Mode},
    database::ScratchDatabase,
    http,
};

/// A launched shop, stopped by [`System::stop`].
pub struct System {
    /// The facades' HTTP addresses (one per facade replica).
    pub http: Vec<SocketAddr>,
    /// The (first) orders service's gRPC address.
    pub orders: SocketAddr,
    /// The (first) inventory service's gRPC address.
    pub inventory: SocketAddr,
    /// The accepted `X-Webhook-Key`.
    pub key: String,
    inventories: Vec<SocketAddr>,
    processes: Vec<Process>,
    dir: tempfile::TempDir,
    database: Option<ScratchDatabase>,
    keep: bool,
}

/// One launched `shop` process.
pub struct Process {
    /// The subcommand it runs, with its replica number when there are several
    /// (`orders-2`).
    pub name: String,
    child: Child,
    pid: u32,
}

impl Process {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

impl System {
    /// Creates the database and temporary directory, migrates, launches the processes of
    /// `mode` (sending their mail to `smtp_url`) and waits until every facade is ready and
    /// every inventory serves.
    pub async fn launch(
        mode: Mode,
        common: &Common,
        env: &[(String, String)],
        smtp_url: &str,
    ) -> anyhow::Result<Self> {
        if !common.shop_bin.is_file() {
            bail!(
                "{} not found: build it with `cargo build --release` or pass --shop-bin",
                common.shop_bin.display()
            );
        }
        let dir = tempfile::Builder::new().prefix("shop-bench-").tempdir()?;
        let (database_url, database) = if mode.postgres() {
            let db = ScratchDatabase::create(&common.postgres_url).await?;
            (db.url.clone(), Some(db))
        } else {
            let path = dir.path().join("shop.db");
            (format!("sqlite://{}?mode=rwc", path.display()), None)
        };
        let key = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let ports = |n| {
            (0..n)
                .map(|_| free_port())
                .collect::<anyhow::Result<Vec<_>>>()
        };
        let replicas = mode.replicas();
        let (http, orders, inventory) = (ports(replicas)?, ports(replicas)?, ports(replicas)?);
        let base_env: Vec<(String, String)> = vec![
            ("SHOP_DATABASE_URL".into(), database_url),
            ("SHOP_WEBHOOK_KEY".into(), key.clone()),
            ("SHOP_SMTP_URL".into(), smtp_url.to_owned()),
            ("SHOP_ORDERS_URL".into(), urls(&orders)),
            ("SHOP_INVENTORY_URL".into(), urls(&inventory)),
            // Invoices name the seller; on PostgreSQL the worker refuses to start without it.
            ("SHOP_SELLER_NAME".into(), "Bench Shop GmbH".into()),
            (
                "SHOP_SELLER_ADDRESS".into(),
                "Bench Street 1; 10115 Berlin".into(),
            ),
            ("SHOP_SELLER_TAX_ID".into(), "DE000000000".into()),
        ];
        let tiers = plan(mode, &http, &orders, &inventory);
        let mut system = Self {
            http,
            orders: orders[0],
            inventory: inventory[0],
            key,
            inventories: inventory,
            processes: Vec::new(),
            dir,
            database,
            keep: common.keep,
        };
        let dir_path = system.dir.path().to_path_buf();
        // Absolute: the processes run in the temporary directory.
        let bin = std::path::absolute(&common.shop_bin)?;
        let launcher = Launcher {
            bin: &bin,
            dir: &dir_path,
            // `migrate` gets the caller's `--env` too.
            env: base_env.into_iter().chain(env.iter().cloned()).collect(),
        };
        let started = async {
            // Migrate once up front: split processes would otherwise race to migrate SQLite.
            launcher.migrate().await?;
            for tier in tiers {
                for process in tier.processes {
                    // The caller's `--env` comes last, so it can override anything.
                    let env: Vec<_> = process.env.into_iter().chain(env.iter().cloned()).collect();
                    system.processes.push(launcher.spawn(
                        process.subcommand,
                        process.name,
                        &env,
                    )?);
                }
                system.wait_serving(&tier.grpc, &[]).await?;
            }
            let (inventories, facades) = (system.inventories.clone(), system.http.clone());
            system.wait_serving(&inventories, &facades).await
        };
        match started.await {
            Ok(()) => Ok(system),
            Err(e) => {
                let logs = system.dir.path().display().to_string();
                system.keep = true;
                system.stop().await.ok();
                Err(e.context(format!("the shop did not start; logs kept in {logs}")))
            }
        }
    }

    /// The launched processes.
    pub fn processes(&self) -> &[Process] {
        &self.processes
    }

    /// Waits until the gRPC services at `grpc` report SERVING and the facades at `http` are
    /// ready, failing if a process exits or 60 s pass.
    async fn wait_serving(
        &mut self,
        grpc: &[SocketAddr],
        http: &[SocketAddr],
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            for process in &mut self.processes {
                if let Some(status) = process.child.try_wait()? {
                    bail!("shop {} exited at start with {status}", process.name);
                }
            }
            if all_serving(grpc, http).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("not ready after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops every process (SIGTERM, then SIGKILL after 15 s), then removes the temporary
    /// directory and drops the database unless they are kept.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for process in &self.processes {
            // SAFETY: kill(2) on a child we spawned and have not reaped yet.
            unsafe { libc::kill(process.pid as libc::pid_t, libc::SIGTERM) };
        }
        for process in &mut self.processes {
            let waited = tokio::time::timeout(Duration::from_secs(15), process.child.wait()).await;
            if waited.is_err() {
                eprintln!("shop {} ignored SIGTERM for 15 s; killing it", process.name);
                process.child.kill().await.ok();
            }
        }
        if self.keep {
            let dir = self.dir.keep();
            eprintln!("kept {} (logs)", dir.display());
            if let Some(db) = &self.database {
                eprintln!("kept PostgreSQL database {}", db.name);
            }
            return Ok(());
        }
        if let Some(db) = self.database.take() {
            db.drop_now().await?;
        }
        Ok(())
    }
}

struct Launcher<'a> {
    bin: &'a Path,
    dir: &'a Path,
    env: Vec<(String, String)>,
}

impl Launcher<'_> {
    fn command(&self, subcommand: &str, log_name: &str) -> anyhow::Result<Command> {
        let log = std::fs::File::create(self.dir.join(format!("{log_name}.log")))?;
        let mut command = Command::new(self.bin);
        command
            .arg(subcommand)
            .current_dir(self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        // Only what the run sets: a SHOP_* variable of the caller's shell must not leak in.
        for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("SHOP_")) {
            command.env_remove(key);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        Ok(command)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let status = self.command("migrate", "migrate")?.status().await?;
        if !status.success() {
            bail!("shop migrate failed with {status}");
        }
        Ok(())
    }

    fn spawn(
        &self,
        subcommand: &str,
        name: String,
        env: &[(String, String)],
    ) -> anyhow::Result<Process> {
        let child = self
            .command(subcommand, &name)?
            .envs(env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let pid = child.id().context("a just-started child has a pid")?;
        Ok(Process { name, child, pid })
    }
}

/// Runs `shop migrate` on `database_url` (its log goes to `log_dir`).
pub async fn migrate(bin: &Path, database_url: &str, log_dir: &Path) -> anyhow::Result<()> {
    let bin = std::path::absolute(bin)?;
    let launcher = Launcher {
        bin: &bin,
        dir: log_dir,
        env: vec![("SHOP_DATABASE_URL".into(), database_url.to_owned())],
    };
    launcher.migrate().await
}

/// A port nobody listens on right now (the kernel's pick; it is free again at once).
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

async fn all_serving(grpc: &[SocketAddr], http: &[SocketAddr]) -> bool {
    for &addr in http {
        if http::get_status(addr, "/readyz").await.ok() != Some(200) {
            return false;
        }
    }
    for &addr in grpc {
        if !grpc_serving(addr).await {
            return false;
        }
    }
    true
}

/// Whether the gRPC health service at `addr` reports SERVING.
async fn grpc_serving(addr: SocketAddr) -> bool {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(format!("http://{addr}")) else {
        return false;
    };
    let Ok(channel) = endpoint.connect().await else {
        return false;
    };
    let mut client = HealthClient::new(channel);
    let request = HealthCheckRequest {
        service: String::new(),
    };
    client
        .check(request)
        .await
        .is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving)
}
