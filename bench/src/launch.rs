//! Launching the shop under test: `shop serve`, or the four components as separate
//! processes, on free ports, a fresh database and a temporary mail directory; waiting until
//! it is ready; reading the processes' peak RSS; stopping them with SIGTERM.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::{
    cli::{Common, Mode},
    database::ScratchDatabase,
    http,
};

/// A launched shop, stopped by [`System::stop`].
pub struct System {
    /// The facade's HTTP address.
    pub http: SocketAddr,
    /// The orders service's gRPC address.
    pub orders: SocketAddr,
    /// The inventory service's gRPC address.
    pub inventory: SocketAddr,
    /// The accepted `X-Webhook-Key`.
    pub key: String,
    /// Where the worker writes the invoice mails.
    pub mail_dir: PathBuf,
    processes: Vec<Process>,
    dir: tempfile::TempDir,
    database: Option<ScratchDatabase>,
    keep: bool,
}

/// One launched `shop` process.
pub struct Process {
    /// The subcommand it runs.
    pub name: &'static str,
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
    /// `mode` and waits until the facade is ready and inventory serves.
    pub async fn launch(
        mode: Mode,
        common: &Common,
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        if !common.shop_bin.is_file() {
            bail!(
                "{} not found: build it with `cargo build --release` or pass --shop-bin",
                common.shop_bin.display()
            );
        }
        let dir = tempfile::Builder::new().prefix("shop-bench-").tempdir()?;
        let mail_dir = dir.path().join("mail");
        std::fs::create_dir_all(&mail_dir)?;
        let (database_url, database) = if mode.postgres() {
            let db = ScratchDatabase::create(&common.postgres_url).await?;
            (db.url.clone(), Some(db))
        } else {
            let path = dir.path().join("shop.db");
            (format!("sqlite://{}?mode=rwc", path.display()), None)
        };
        let key = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let (http, orders, inventory) = (free_port()?, free_port()?, free_port()?);
        let base_env: Vec<(String, String)> = vec![
            ("SHOP_DATABASE_URL".into(), database_url),
            ("SHOP_WEBHOOK_KEY".into(), key.clone()),
            ("SHOP_MAIL_DIR".into(), mail_dir.display().to_string()),
            ("SHOP_HTTP_ADDR".into(), http.to_string()),
            ("SHOP_ORDERS_ADDR".into(), orders.to_string()),
            ("SHOP_INVENTORY_ADDR".into(), inventory.to_string()),
            ("SHOP_ORDERS_URL".into(), format!("http://{orders}")),
            ("SHOP_INVENTORY_URL".into(), format!("http://{inventory}")),
            // Invoices name the seller; on PostgreSQL the worker refuses to start without it.
            ("SHOP_SELLER_NAME".into(), "Bench Shop GmbH".into()),
            (
                "SHOP_SELLER_ADDRESS".into(),
                "Bench Street 1; 10115 Berlin".into(),
            ),
            ("SHOP_SELLER_TAX_ID".into(), "DE000000000".into()),
        ];
        let mut system = Self {
            http,
            orders,
            inventory,
            key,
            mail_dir,
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
            env: base_env.iter().chain(env).cloned().collect(),
        };
        let started = async {
            // Migrate once up front: split processes would otherwise race to migrate SQLite.
            launcher.migrate().await?;
            let names: &[&'static str] = if mode.split() {
                &["inventory", "orders", "worker", "facade"]
            } else {
                &["serve"]
            };
            for name in names {
                system.processes.push(launcher.spawn(name)?);
            }
            system.wait_ready().await
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

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            for process in &mut self.processes {
                if let Some(status) = process.child.try_wait()? {
                    bail!("shop {} exited at start with {status}", process.name);
                }
            }
            let facade_ready = http::get_status(self.http, "/readyz").await.ok() == Some(200);
            if facade_ready && inventory_serving(self.inventory).await {
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
            eprintln!("kept {} (logs, mails)", dir.display());
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
    fn command(&self, subcommand: &str) -> anyhow::Result<Command> {
        let log = std::fs::File::create(self.dir.join(format!("{subcommand}.log")))?;
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
        let status = self.command("migrate")?.status().await?;
        if !status.success() {
            bail!("shop migrate failed with {status}");
        }
        Ok(())
    }

    fn spawn(&self, name: &'static str) -> anyhow::Result<Process> {
        let child = self
            .command(name)?
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

async fn inventory_serving(addr: SocketAddr) -> bool {
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
