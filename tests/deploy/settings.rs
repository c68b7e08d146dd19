//! What each component must be given, and may be given: the same expectations for compose
//! and Kubernetes. What a command reads is taken from the binary itself: `shop <command>
//! --help` lists each variable it reads as `[env: SHOP_…]`.

use std::collections::BTreeSet;

use crate::support;

pub type Names = BTreeSet<String>;

/// What each component needs, wherever it is deployed.
pub fn required(component: &str) -> Names {
    let names: &[&str] = match component {
        "migrate" => &["SHOP_DATABASE_URL"],
        "inventory" => &[
            "SHOP_DATABASE_URL",
            "SHOP_DATABASE_MAX_CONNECTIONS",
            "SHOP_GRPC_TOKEN",
            "SHOP_METRICS_ADDR",
        ],
        "orders" => &[
            "SHOP_DATABASE_URL",
            "SHOP_DATABASE_MAX_CONNECTIONS",
            "SHOP_GRPC_TOKEN",
            "SHOP_INVENTORY_URL",
            "SHOP_METRICS_ADDR",
        ],
        // SHOP_METRICS_ADDR also serves /healthz, the worker's probe.
        // On PostgreSQL the worker refuses to start without the seller (invoices name it).
        "worker" => &[
            "SHOP_DATABASE_URL",
            "SHOP_DATABASE_MAX_CONNECTIONS",
            "SHOP_SMTP_URL",
            "SHOP_METRICS_ADDR",
            "SHOP_SELLER_NAME",
            "SHOP_SELLER_ADDRESS",
            "SHOP_SELLER_TAX_ID",
        ],
        "facade" => &["SHOP_GRPC_TOKEN", "SHOP_WEBHOOK_KEY", "SHOP_ORDERS_URL"],
        other => panic!("no expectations for {other}"),
    };
    names.iter().map(|n| (*n).to_owned()).collect()
}

const SERVER_TLS: [&str; 3] = [
    "SHOP_GRPC_TLS_CERT",
    "SHOP_GRPC_TLS_KEY",
    "SHOP_GRPC_TLS_CLIENT_CA",
];
const CLIENT_TLS: [&str; 3] = [
    "SHOP_GRPC_TLS_CA",
    "SHOP_GRPC_TLS_CLIENT_CERT",
    "SHOP_GRPC_TLS_CLIENT_KEY",
];

/// What each component needs on top with mutual TLS: servers their certificate and the CA of
/// their clients; clients (the gRPC healthchecks of inventory and orders too) theirs.
pub fn required_with_tls(component: &str) -> Names {
    let groups: &[&[&str]] = match component {
        "inventory" | "orders" => &[&SERVER_TLS, &CLIENT_TLS],
        "facade" => &[&CLIENT_TLS],
        _ => &[],
    };
    let mut names = required(component);
    names.extend(
        groups
            .iter()
            .flat_map(|g| g.iter())
            .map(|n| (*n).to_owned()),
    );
    names
}

/// Real differences between compose and Kubernetes: (component, variable, where it is).
pub const ALLOWED_DIFFERENCES: &[(&str, &str, &str)] = &[
    // A cluster sends through a real relay, for a real domain (shop-config-worker); Mailpit
    // takes the binary's default sender (invoices@shop.localhost).
    ("worker", "SHOP_MAIL_FROM", "kubernetes"),
];

/// The `SHOP_*` variables `shop <args…>` reads, from its `--help`.
pub fn reads(args: &[String]) -> Names {
    let output = support::shop().args(args).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "shop {args:?} --help failed: {help}"
    );
    help.split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap().to_owned())
        .collect()
}

/// Problems with what a component is given: a name nothing in its container reads (`readers`
/// are the commands run there: the component, its healthcheck), or a name it needs missing.
pub fn check(place: &str, given: &Names, readers: &[Vec<String>], needed: &Names) -> Vec<String> {
    let read: Names = readers.iter().flat_map(|argv| reads(argv)).collect();
    let mut problems = Vec::new();
    for name in given.difference(&read) {
        problems.push(format!(
            "{place}: {name} is given but not read by {readers:?}"
        ));
    }
    for name in needed.difference(given) {
        problems.push(format!("{place}: {name} is needed but not given"));
    }
    problems
}
