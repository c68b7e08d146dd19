//! Every `SHOP_*` variable a subcommand lists in its `--help` reaches that subcommand's
//! settings (`--print-config` shows what it would run with), secrets never printed; and the
//! security settings fail loudly, naming their variable, when they cannot be used.
//!
//! The variables are taken from the binary's own help, so a new setting cannot be added
//! without a sample value here, and a setting cannot be listed by a subcommand that ignores it.

mod support;

use std::collections::BTreeSet;

use support::{assert_rejects, shop};

const SUBCOMMANDS: &[&[&str]] = &[
    &["serve"],
    &["inventory"],
    &["orders"],
    &["facade"],
    &["worker"],
    &["console"],
    &["check"],
    &["migrate"],
    &["probe", "grpc", "http://127.0.0.1:1"],
];

/// A value for `variable`, what `--print-config` shows for it (`None`: a secret, never
/// shown), and the variables it needs beside it.
fn sample(variable: &str) -> (&'static str, Option<&'static str>, &'static [&'static str]) {
    match variable {
        "SHOP_DATABASE_URL" => (
            "postgres://shop:pw-secret@db.example:5432/shop",
            Some("postgres://shop:***@db.example:5432/shop"),
            &[],
        ),
        "SHOP_DATABASE_MAX_CONNECTIONS" => ("17", Some("max_connections: Some(\n"), &[]),
        "SHOP_LOG_FORMAT" => ("json", Some("Json"), &[]),
        "SHOP_INVENTORY_ADDR" => ("127.0.0.1:41001", Some("127.0.0.1:41001"), &[]),
        "SHOP_ORDERS_ADDR" => ("127.0.0.1:41002", Some("127.0.0.1:41002"), &[]),
        "SHOP_HTTP_ADDR" => ("127.0.0.1:41003", Some("127.0.0.1:41003"), &[]),
        "SHOP_METRICS_ADDR" => ("127.0.0.1:41004", Some("127.0.0.1:41004"), &[]),
        "SHOP_INVENTORY_URL" => (
            "http://inventory-a.example:1,http://inventory-b.example:1",
            Some("http://inventory-a.example:1,http://inventory-b.example:1"),
            &[],
        ),
        "SHOP_ORDERS_URL" => (
            "https://orders.example:2",
            Some("https://orders.example:2"),
            &[],
        ),
        "SHOP_RESERVATION_TTL" => ("1001s", Some("1001s"), &[]),
        "SHOP_SWEEP_INTERVAL" => ("1002s", Some("1002s"), &[]),
        "SHOP_CHECK_INTERVAL" => ("1003s", Some("1003s"), &[]),
        "SHOP_INVENTORY_TIMEOUT" => ("1004s", Some("1004s"), &[]),
        "SHOP_ORDERS_SWEEP_INTERVAL" => ("1005s", Some("1005s"), &[]),
        "SHOP_ORDERS_TIMEOUT" => ("1006s", Some("1006s"), &[]),
        "SHOP_HTTP_HEADER_TIMEOUT" => ("1007s", Some("1007s"), &[]),
        "SHOP_HTTP_BODY_TIMEOUT" => ("1008s", Some("1008s"), &[]),
        "SHOP_WORKER_POLL_INTERVAL" => ("1010s", Some("1010s"), &[]),
        "SHOP_INVOICE_RETRY_DELAY" => ("1011s", Some("1011s"), &[]),
        "SHOP_INVOICE_LEASE" => ("1012s", Some("1012s"), &[]),
        "SHOP_INVOICE_RETRY_FOR" => ("1013s", Some("1013s"), &[]),
        "SHOP_INVOICE_MAX_RETRY_DELAY" => ("1014s", Some("1014s"), &[]),
        "SHOP_HTTP_MAX_CONNECTIONS" => ("777", Some("777"), &[]),
        "SHOP_WORKER_CONCURRENCY" => ("13", Some("concurrency: 13"), &[]),
        "SHOP_INVOICE_MAX_ATTEMPTS" => ("21", Some("max_attempts: Some(\n"), &[]),
        "SHOP_MAIL_FROM" => (
            "Billing <billing@shop.example>",
            Some("billing@shop.example"),
            &[],
        ),
        "SHOP_MAIL_DIR" => ("/var/tmp/shop-mail-sample", Some("shop-mail-sample"), &[]),
        "SHOP_SELLER_NAME" => ("Sample Seller GmbH", Some("Sample Seller GmbH"), &[]),
        "SHOP_SELLER_ADDRESS" => (
            "Sample Street 1; 10115 Berlin",
            Some("Sample Street 1; 10115 Berlin"),
            &[],
        ),
        "SHOP_SELLER_TAX_ID" => ("DE000000017", Some("DE000000017"), &[]),
        "SHOP_SELLER_LOGO" => ("/etc/shop/sample-logo.png", Some("sample-logo.png"), &[]),
        "SHOP_SMTP_URL" => (
            "smtp://mailer:pw-secret@smtp.example:2525",
            Some("smtp://mailer:***@smtp.example:2525"),
            &[],
        ),
        "SHOP_GRPC_TOKEN" | "SHOP_WEBHOOK_KEY" | "SHOP_WEBHOOK_SIGNING_SECRETS" => {
            ("pw-secret", None, &[])
        }
        "SHOP_CONSOLE_ADDR" => ("127.0.0.1:41005", Some("127.0.0.1:41005"), &[]),
        "SHOP_CONSOLE_USERS" => ("ada:$argon2id$v=19$m=19456,t=2,p=1$pw-secret", None, &[]),
        "SHOP_CONSOLE_SESSION_KEY" => ("pw-secret-pw-secret-pw-secret-pw-secret", None, &[]),
        "SHOP_CONSOLE_SECURE_COOKIE" => ("true", Some("secure_cookie: true"), &[]),
        "SHOP_CONSOLE_SESSION_TTL" => ("1015s", Some("1015s"), &[]),
        "SHOP_CONSOLE_GRPC_TIMEOUT" => ("1016s", Some("1016s"), &[]),
        "SHOP_GRPC_TLS_CERT" => (
            "/etc/t/server.crt",
            Some("/etc/t/server.crt"),
            &["SHOP_GRPC_TLS_KEY"],
        ),
        "SHOP_GRPC_TLS_KEY" => (
            "/etc/t/server.key",
            Some("/etc/t/server.key"),
            &["SHOP_GRPC_TLS_CERT"],
        ),
        "SHOP_GRPC_TLS_CLIENT_CA" => (
            "/etc/t/client-ca.crt",
            Some("/etc/t/client-ca.crt"),
            &["SHOP_GRPC_TLS_CERT", "SHOP_GRPC_TLS_KEY"],
        ),
        "SHOP_GRPC_TLS_CA" => ("/etc/t/ca.crt", Some("/etc/t/ca.crt"), &[]),
        "SHOP_GRPC_TLS_CLIENT_CERT" => (
            "/etc/t/client.crt",
            Some("/etc/t/client.crt"),
            &["SHOP_GRPC_TLS_CLIENT_KEY"],
        ),
        "SHOP_GRPC_TLS_CLIENT_KEY" => (
            "/etc/t/client.key",
            Some("/etc/t/client.key"),
            &["SHOP_GRPC_TLS_CLIENT_CERT"],
        ),
        other => panic!("{other} has no sample value in tests/settings.rs: add one"),
    }
}

/// The `SHOP_*` variables `shop args --help` lists.
fn variables(args: &[&str]) -> BTreeSet<String> {
    let output = shop().args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{args:?} --help");
    String::from_utf8(output.stdout)
        .unwrap()
        .split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap().to_owned())
        .collect()
}

/// What `shop args --print-config` prints with `env`.
fn print_config(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = shop()
        .args(args)
        .arg("--print-config")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{args:?} {env:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn every_variable_a_subcommand_lists_reaches_its_settings_and_secrets_stay_hidden() {
    for &args in SUBCOMMANDS {
        let baseline = print_config(args, &[]);
        for variable in variables(args) {
            let (value, shown, companions) = sample(&variable);
            let mut env = vec![(variable.as_str(), value)];
            env.extend(companions.iter().map(|c| (*c, sample(c).0)));
            let printed = print_config(args, &env);
            assert!(
                !printed.contains("pw-secret"),
                "{args:?}: {variable} printed a secret:\n{printed}"
            );
            match shown {
                // A secret shows only as set.
                None => assert_ne!(
                    printed, baseline,
                    "{args:?}: {variable} changes nothing in the settings"
                ),
                Some(shown) => assert!(
                    printed.contains(shown) && !baseline.contains(shown),
                    "{args:?}: {variable}={value} should show {shown:?}:\n{printed}"
                ),
            }
        }
    }
}

#[test]
fn each_subcommand_lists_only_the_settings_it_uses() {
    let listed = |args: &[&str]| variables(args);
    let security_of_clients = [
        "SHOP_GRPC_TLS_CA",
        "SHOP_GRPC_TLS_CLIENT_CERT",
        "SHOP_GRPC_TLS_CLIENT_KEY",
    ];
    let security_of_servers = [
        "SHOP_GRPC_TLS_CERT",
        "SHOP_GRPC_TLS_KEY",
        "SHOP_GRPC_TLS_CLIENT_CA",
    ];
    let facade = listed(&["facade"]);
    for v in security_of_clients.iter().chain(["SHOP_GRPC_TOKEN"].iter()) {
        assert!(facade.contains(*v), "facade must read {v}");
    }
    for v in security_of_servers
        .iter()
        .chain(["SHOP_DATABASE_URL"].iter())
    {
        assert!(
            !facade.contains(*v),
            "facade lists {v}, which it does not use"
        );
    }
    let inventory = listed(&["inventory"]);
    for v in security_of_clients.iter().chain(["SHOP_ORDERS_URL"].iter()) {
        assert!(!inventory.contains(*v), "inventory lists {v}");
    }
    let serve = listed(&["serve"]);
    for v in ["SHOP_INVENTORY_URL", "SHOP_ORDERS_URL"] {
        assert!(!serve.contains(v), "serve lists {v}, which it does not use");
    }
    let worker = listed(&["worker"]);
    assert!(
        !worker.iter().any(|v| v.starts_with("SHOP_GRPC_")),
        "the worker makes no gRPC call: {worker:?}"
    );
}

#[test]
fn unusable_security_settings_stop_each_component_at_start_naming_the_variable() {
    let missing = "/nonexistent/shop-test.pem";
    let https_orders = ("SHOP_ORDERS_URL", "https://127.0.0.1:1");
    let https_inventory = ("SHOP_INVENTORY_URL", "https://127.0.0.1:1");
    assert_rejects(
        &["facade"],
        &[
            ("SHOP_WEBHOOK_KEY", "k"),
            ("SHOP_HTTP_ADDR", "127.0.0.1:0"),
            https_orders,
            ("SHOP_GRPC_TLS_CA", missing),
        ],
        "SHOP_GRPC_TLS_CA",
    );
    // Client TLS files with plain-text URLs would be silently ignored: refused instead.
    assert_rejects(
        &["facade"],
        &[
            ("SHOP_WEBHOOK_KEY", "k"),
            ("SHOP_HTTP_ADDR", "127.0.0.1:0"),
            ("SHOP_GRPC_TLS_CA", missing),
        ],
        "SHOP_GRPC_TLS_CA",
    );
    assert_rejects(
        &["orders"],
        &[
            ("SHOP_ORDERS_ADDR", "127.0.0.1:0"),
            https_inventory,
            ("SHOP_GRPC_TLS_CLIENT_CERT", missing),
            ("SHOP_GRPC_TLS_CLIENT_KEY", missing),
        ],
        "SHOP_GRPC_TLS_CLIENT_CERT",
    );
    assert_rejects(
        &["orders"],
        &[
            ("SHOP_ORDERS_ADDR", "127.0.0.1:0"),
            ("SHOP_GRPC_TLS_CERT", missing),
            ("SHOP_GRPC_TLS_KEY", missing),
        ],
        "SHOP_GRPC_TLS_CERT",
    );
    assert_rejects(
        &["inventory"],
        &[
            ("SHOP_INVENTORY_ADDR", "127.0.0.1:0"),
            ("SHOP_GRPC_TLS_CERT", missing),
            ("SHOP_GRPC_TLS_KEY", missing),
        ],
        "SHOP_GRPC_TLS_CERT",
    );
    assert_rejects(
        &["check"],
        &[https_inventory, ("SHOP_GRPC_TLS_CA", missing)],
        "SHOP_GRPC_TLS_CA",
    );
}
