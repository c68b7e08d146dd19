//! The compose services as `shop` processes on this machine: each replica with its service's
//! command and environment (over the image's), mapped by the [`Network`]; killed on drop.

use std::{
    collections::BTreeMap,
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use crate::{
    compose::{SHOP_SERVICES, Service},
    network::Network,
    support,
};

/// The `ENV` of the Dockerfile's last (runtime) stage: what every container starts with.
pub fn image_environment() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile");
    let dockerfile = std::fs::read_to_string(path).unwrap();
    let runtime = dockerfile
        .rsplit("\nFROM ")
        .next()
        .unwrap()
        .replace("\\\n", " ");
    runtime
        .lines()
        .filter_map(|line| line.strip_prefix("ENV "))
        .flat_map(str::split_whitespace)
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("ENV NAME=value");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// One running replica of a service.
pub struct Replica {
    pub service: String,
    pub n: usize,
    /// Its environment, as the process got it.
    pub env: BTreeMap<String, String>,
    /// Its healthcheck command, mapped like its environment.
    pub healthcheck: Option<Vec<String>>,
    log: PathBuf,
    child: Child,
}

impl Replica {
    /// Starts replica `n` of `service` (its log under `dir`).
    pub fn start(network: &Network, name: &str, service: &Service, n: usize, dir: &Path) -> Self {
        let mut env = image_environment();
        env.extend(
            service
                .environment
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.clone()?))),
        );
        for value in env.values_mut() {
            *value = network.rewrite(name, n, value);
        }
        let healthcheck = service.healthcheck.as_ref().map(|argv| {
            argv.iter()
                .map(|arg| network.rewrite(name, n, arg))
                .collect()
        });
        let log = dir.join(format!("{name}-{n}.log"));
        let child = support::shop()
            .args(&service.command)
            .envs(&env)
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            service: name.to_owned(),
            n,
            env,
            healthcheck,
            log,
            child,
        }
    }

    /// Waits for it to exit (a one-shot service); panics with its log unless it exits 0.
    pub fn wait_success(&mut self, deadline: Duration) {
        let status = wait(&mut self.child, deadline);
        assert!(
            status == Some(true),
            "{} did not exit 0 within {deadline:?}:\n{}",
            self.name(),
            self.log_tail()
        );
    }

    /// Runs `argv` (`shop …`) in its environment, as `docker exec` would: Ok when it exits 0
    /// within 5 s (Compose's healthcheck timeout is 3 s).
    pub fn exec(&self, argv: &[String]) -> Result<(), String> {
        assert_eq!(
            argv[0],
            "shop",
            "{}: the image has only `shop` to run",
            self.name()
        );
        let mut child = support::shop()
            .args(&argv[1..])
            .envs(&self.env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let exited = wait(&mut child, Duration::from_secs(5));
        if exited.is_none() {
            let _ = child.kill();
        }
        let output = child.wait_with_output().unwrap();
        match exited {
            Some(true) => Ok(()),
            _ => Err(format!(
                "{argv:?} in {}: {} {}{}",
                self.name(),
                exited.map_or("hung".to_owned(), |_| output.status.to_string()),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )),
        }
    }

    /// Its healthcheck, run once.
    pub fn check_health(&self) -> Result<(), String> {
        match &self.healthcheck {
            Some(argv) => self.exec(argv),
            None => Err(format!("{} has no healthcheck", self.name())),
        }
    }

    pub fn name(&self) -> String {
        format!("{}-{}", self.service, self.n)
    }

    /// The end of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Some(success)` once `child` exits within `deadline`, else `None`.
fn wait(child: &mut Child, deadline: Duration) -> Option<bool> {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.success());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Every shop service running: `migrate` run once, then the replicas of the others.
pub struct Stack(Vec<Replica>);

impl Stack {
    /// Starts it and waits until every healthcheck passes (Compose's `service_healthy`).
    pub async fn up(network: &Network, services: &BTreeMap<String, Service>, dir: &Path) -> Self {
        Replica::start(network, "migrate", &services["migrate"], 0, dir)
            .wait_success(Duration::from_secs(60));
        let mut replicas = Vec::new();
        for name in &SHOP_SERVICES[1..] {
            for n in 0..network.replicas[*name] {
                replicas.push(Replica::start(network, name, &services[*name], n, dir));
            }
        }
        let stack = Self(replicas);
        stack.wait_healthy(Duration::from_secs(40)).await;
        stack
    }

    async fn wait_healthy(&self, deadline: Duration) {
        let started = Instant::now();
        loop {
            let failures: Vec<String> = self
                .0
                .iter()
                .filter_map(|r| {
                    r.check_health()
                        .err()
                        .map(|e| format!("{e}\n{}", r.log_tail()))
                })
                .collect();
            if failures.is_empty() {
                return;
            }
            assert!(
                started.elapsed() < deadline,
                "not healthy within {deadline:?}:\n{}",
                failures.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Replica `n` of `service`.
    pub fn replica(&self, service: &str, n: usize) -> &Replica {
        self.0
            .iter()
            .find(|r| r.service == service && r.n == n)
            .unwrap_or_else(|| panic!("no replica {n} of {service}"))
    }

    pub fn replicas(&self) -> &[Replica] {
        &self.0
    }

    /// Every replica's last log lines, for a failure report.
    pub fn logs(&self) -> String {
        self.0
            .iter()
            .map(|r| format!("--- {}\n{}", r.name(), r.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
