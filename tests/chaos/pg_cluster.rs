//! A PostgreSQL cluster of the test's own (`initdb` + `pg_ctl` on a free port, in a temporary
//! directory), so that a test can stop and start the database under a running system. The
//! server binaries come from the PATH or Debian's `/usr/lib/postgresql/<version>/bin`
//! (`.ci/run` installs them when missing). PostgreSQL refuses to run as root, so as root the
//! commands run as the `postgres` user.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use crate::support::free_port;

/// A running cluster; stopped (immediately) and deleted when dropped.
pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

/// How `pg_ctl stop` shuts the server down.
#[derive(Debug, Clone, Copy)]
pub enum Shutdown {
    /// Rolls back open transactions, closes connections, checkpoints.
    Fast,
    /// No checkpoint: recovery at the next start, as after a crash.
    Immediate,
}

impl PgCluster {
    /// Creates and starts a cluster with a database `shop`; `None` (with a note) when the
    /// server binaries are not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = server_bin_dir() else {
            eprintln!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) found");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // The postgres user must reach its data directory when the test runs as root.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let cluster = Self {
            bin,
            data,
            port: free_port(),
            _dir: dir,
        };
        std::fs::create_dir(&cluster.data).unwrap();
        if is_root() {
            chown_to_postgres(&cluster.data);
        }
        cluster.run(
            "initdb",
            &[
                "-D",
                cluster.data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-instructions",
            ],
        );
        cluster.start_server();
        cluster.run(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.port.to_string(),
                "-U",
                "postgres",
                "-qc",
                "CREATE DATABASE shop",
            ],
        );
        Some(cluster)
    }

    /// The URL of its database `shop`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/shop", self.port)
    }

    /// Starts the server (after [`stop`](Self::stop)), waiting until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
            self.port
        );
        let log = self.data.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-D",
                self.data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
            ],
        );
    }

    /// Stops the server the way `mode` says.
    pub fn stop(&self, mode: Shutdown) {
        let mode = match mode {
            Shutdown::Fast => "fast",
            Shutdown::Immediate => "immediate",
        };
        self.run(
            "pg_ctl",
            &["stop", "-w", "-D", self.data.to_str().unwrap(), "-m", mode],
        );
    }

    fn run(&self, program: &str, args: &[&str]) {
        // psql is a client: the PATH's is fine; the server tools come from `bin`.
        let program = if program == "psql" {
            PathBuf::from("psql")
        } else {
            self.bin.join(program)
        };
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().unwrap_or_else(|e| {
            panic!("cannot run {}: {e}", program.display());
        });
        assert!(
            output.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Best effort: a server left running would outlive the test.
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            command
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = command
            .args(["stop", "-D", self.data.to_str().unwrap(), "-m", "immediate"])
            .output();
    }
}

/// Where `initdb` and `pg_ctl` are: the PATH, or the newest Debian server package.
fn server_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn chown_to_postgres(path: &Path) {
    let status = Command::new("chown")
        .args(["postgres:postgres", path.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "chown postgres {}", path.display());
}
