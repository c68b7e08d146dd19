//! The deployment in deploy/ as written: compose.yaml (with the compose.tls.yaml overlay) run
//! as real `shop` processes, and the Kubernetes manifests as `kubectl kustomize` renders them,
//! both checked against what the binary reads (`shop <command> --help`) and against each
//! other.
//!
//! `cargo test --test deploy`; the run needs `TEST_DATABASE_URL` (PostgreSQL) and skips
//! without it, the other tests need `kubectl` (they fail, saying so, without it).

mod client;
mod compose;
mod interpolate;
mod k8s;
mod network;
mod pki;
mod scenario;
mod settings;
mod stack;
#[path = "../support/mod.rs"]
mod support;

use compose::SHOP_SERVICES;
use interpolate::Vars;
use settings::{ALLOWED_DIFFERENCES, Names, check, required, required_with_tls};

const COMPONENTS: [&str; 4] = ["facade", "inventory", "orders", "worker"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_compose_stack_with_mutual_tls_confirms_orders_paid_through_either_facade() {
    scenario::run().await;
}

#[test]
fn compose_gives_each_component_what_it_reads_and_needs_with_and_without_tls() {
    let mut problems = compose_problems(&["compose.yaml"], required);
    problems.extend(compose_problems(
        &["compose.yaml", "compose.tls.yaml"],
        required_with_tls,
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_tls_overlay_makes_every_grpc_url_https_healthchecks_included() {
    let services = compose::load(&["compose.yaml", "compose.tls.yaml"], &Vars::new());
    for (name, service) in &services {
        let urls = ["SHOP_INVENTORY_URL", "SHOP_ORDERS_URL"]
            .iter()
            .filter_map(|key| service.environment.get(*key).cloned().flatten());
        let probes = service
            .healthcheck
            .iter()
            .filter(|argv| argv.starts_with(&["shop".into(), "probe".into(), "grpc".into()]))
            .map(|argv| argv[3].clone());
        for url in urls.chain(probes) {
            assert!(url.starts_with("https://"), "{name}: {url}");
        }
    }
}

#[test]
fn kubernetes_gives_each_component_what_it_reads_and_needs() {
    let manifests = k8s::Manifests::render();
    let mut deployments = manifests.deployments();
    deployments.sort();
    assert_eq!(deployments, COMPONENTS);
    let mut problems = Vec::new();
    for name in COMPONENTS {
        let container = manifests.container(name);
        let given = shop_names(&container.env_names);
        let place = format!("kubernetes, {name}");
        problems.extend(check(&place, &given, &[container.args], &required(name)));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn compose_and_kubernetes_give_each_component_the_same_settings() {
    let services = compose::load(&["compose.yaml"], &Vars::new());
    let manifests = k8s::Manifests::render();
    let mut differences = Vec::new();
    for name in COMPONENTS {
        let in_compose = services[name].shop_names();
        let in_kubernetes = shop_names(&manifests.container(name).env_names);
        for (only, place) in [
            (in_compose.difference(&in_kubernetes), "compose"),
            (in_kubernetes.difference(&in_compose), "kubernetes"),
        ] {
            differences.extend(only.map(|var| (name, var.clone(), place)));
        }
    }
    let mut allowed: Vec<_> = ALLOWED_DIFFERENCES
        .iter()
        .map(|(c, v, p)| (*c, (*v).to_owned(), *p))
        .collect();
    differences.sort();
    allowed.sort();
    assert_eq!(differences, allowed, "(component, variable, only in)");
}

#[test]
fn kubernetes_probes_what_the_compose_healthchecks_probe() {
    let services = compose::load(&["compose.yaml"], &Vars::new());
    let manifests = k8s::Manifests::render();
    for name in COMPONENTS {
        let argv = services[name].healthcheck.clone().expect("a healthcheck");
        let (kind, url) = (&argv[2], url::Url::parse(&argv[3]).unwrap());
        let port = url.port().unwrap();
        assert!(
            manifests
                .container(name)
                .probes(kind == "grpc", port, url.path()),
            "{name}: no Kubernetes probe checks {kind} on {port} {}",
            url.path()
        );
    }
}

/// What every shop service of the merged `files` is given but does not read, or needs but
/// is not given.
fn compose_problems(files: &[&str], needs: fn(&str) -> Names) -> Vec<String> {
    let services = compose::load(files, &Vars::new());
    let mut problems = Vec::new();
    for name in SHOP_SERVICES {
        let service = &services[name];
        // The healthcheck runs in the container's environment too.
        let mut readers = vec![service.command.clone()];
        readers.extend(service.healthcheck.iter().map(|argv| argv[1..].to_vec()));
        let place = format!("{} {name}", files.join(" + "));
        problems.extend(check(&place, &service.shop_names(), &readers, &needs(name)));
    }
    problems
}

fn shop_names(names: &Names) -> Names {
    names
        .iter()
        .filter(|n| n.starts_with("SHOP_"))
        .cloned()
        .collect()
}
