//! The compose files as Compose reads them: YAML anchors and `<<:` merge keys resolved,
//! variables interpolated, later files merged over earlier ones (mappings key by key,
//! `command` and `healthcheck.test` replaced, `volumes` by target).

use std::{collections::BTreeMap, path::PathBuf};

use serde_yaml_ng::{Mapping, Value};

use crate::interpolate::{Vars, interpolate};

/// The shop's services, in the order they start.
pub const SHOP_SERVICES: [&str; 5] = ["migrate", "inventory", "orders", "worker", "facade"];

/// One service of the merged compose files.
#[derive(Debug, Clone)]
pub struct Service {
    /// `command` (the arguments of the image's `shop` entrypoint).
    pub command: Vec<String>,
    /// `environment`; `None` for a name Compose passes through from the shell only when set.
    pub environment: BTreeMap<String, Option<String>>,
    /// `healthcheck.test` after `CMD`, unless disabled or absent.
    pub healthcheck: Option<Vec<String>>,
    /// `deploy.replicas` (1 when absent).
    pub replicas: usize,
    /// `volumes` in short syntax: `source:target[:mode]`.
    pub volumes: Vec<String>,
}

impl Service {
    /// The `SHOP_*` names it is given (set or passed through).
    pub fn shop_names(&self) -> std::collections::BTreeSet<String> {
        self.environment
            .keys()
            .filter(|k| k.starts_with("SHOP_"))
            .cloned()
            .collect()
    }
}

/// `deploy/<name>`.
pub fn deploy_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name)
}

/// The services of `files` (under `deploy/`, merged in order), with `vars` as the shell.
pub fn load(files: &[&str], vars: &Vars) -> BTreeMap<String, Service> {
    let mut merged = Value::Mapping(Mapping::new());
    for file in files {
        let path = deploy_file(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut value: Value =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        value
            .apply_merge()
            .unwrap_or_else(|e| panic!("{}: merge keys: {e}", path.display()));
        interpolate_all(&mut value, vars);
        merge(&mut merged, value, "");
    }
    let services = merged["services"].as_mapping().expect("a services mapping");
    services
        .iter()
        .map(|(name, service)| {
            let name = name.as_str().expect("a service name").to_owned();
            let parsed = service_of(&name, service);
            (name, parsed)
        })
        .collect()
}

fn interpolate_all(value: &mut Value, vars: &Vars) {
    match value {
        Value::String(text) => *text = interpolate(text, vars),
        Value::Sequence(items) => items.iter_mut().for_each(|v| interpolate_all(v, vars)),
        Value::Mapping(map) => map.values_mut().for_each(|v| interpolate_all(v, vars)),
        _ => {}
    }
}

/// Merges `over` into `base` as Compose merges a later file into an earlier one.
fn merge(base: &mut Value, over: Value, key: &str) {
    match (base, over) {
        (Value::Mapping(base), Value::Mapping(over)) => {
            for (k, v) in over {
                let name = k.as_str().unwrap_or_default().to_owned();
                match base.get_mut(&k) {
                    Some(existing) => merge(existing, v, &name),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (Value::Sequence(base), Value::Sequence(over)) if key == "volumes" => {
            let target = |v: &Value| {
                v.as_str()
                    .and_then(|s| s.split(':').nth(1))
                    .map(str::to_owned)
            };
            base.retain(|v| over.iter().all(|o| target(o) != target(v)));
            base.extend(over);
        }
        (base, over) => *base = over,
    }
}

fn service_of(name: &str, service: &Value) -> Service {
    let strings = |value: &Value, what: &str| -> Vec<String> {
        value
            .as_sequence()
            .unwrap_or_else(|| panic!("{name}: {what} must be a list (exec form)"))
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    };
    let environment = match &service["environment"] {
        Value::Null => BTreeMap::new(),
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_owned(), scalar(v)))
            .collect(),
        _ => panic!("{name}: environment must be a mapping"),
    };
    let healthcheck = match &service["healthcheck"] {
        Value::Null => None,
        check if check["disable"] == Value::Bool(true) => None,
        check => {
            let test = strings(&check["test"], "healthcheck.test");
            assert_eq!(
                test[0], "CMD",
                "{name}: healthcheck.test must start with CMD"
            );
            Some(test[1..].to_vec())
        }
    };
    Service {
        command: match &service["command"] {
            Value::Null => Vec::new(),
            command => strings(command, "command"),
        },
        environment,
        healthcheck,
        replicas: service["deploy"]["replicas"]
            .as_u64()
            .map_or(1, |n| n as usize),
        volumes: match &service["volumes"] {
            Value::Null => Vec::new(),
            volumes => strings(volumes, "volumes"),
        },
    }
}

/// An environment value as Compose passes it: numbers and booleans as written, null unset.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => panic!("not a scalar environment value: {other:?}"),
    }
}
