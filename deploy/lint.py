#!/usr/bin/env python3
"""Offline consistency checks of the deployment files (run by deploy/lint.sh).

Schemas say whether a file is well-formed; these checks say whether the files fit the shop
and each other:

  compose   render deploy/compose.yaml the way Compose interpolates it (with no variables
            set, and with deploy/env.example), write the result for the schema check, and
            check references: depends_on targets and conditions, healthchecks, volumes, the
            shared image, no fixed host port on a scaled service, the settings each
            component needs.
  k8s       every Deployment/Job/CronJob: non-root, read-only root filesystem, no
            capabilities, requests and limits, the probes of its component (plaintext
            native gRPC probes only while its gRPC port does not speak TLS); Services and
            PDBs select pods that exist; every ConfigMap/Secret reference resolves (an
            `optional: true` Secret key may instead be documented in a comment of the
            Secret template); secrets come from the Secret, never a ConfigMap or a literal;
            the gRPC URLs say https:// exactly when the server speaks TLS; the
            kustomization lists no template or example.
  metrics   every component that reads SHOP_METRICS_ADDR sets it to a non-loopback address
            whose port is declared (Kubernetes: a `metrics` containerPort and the
            prometheus.io/{scrape,port,path} pod annotations; Compose: `expose`); the
            facade is annotated for /metrics on its HTTP port; no component that does not
            read SHOP_METRICS_ADDR is given it.
  settings  every SHOP_* variable used anywhere in deploy/ is one the binary reads (taken
            from the `env = "SHOP_…"` attributes of the Rust sources).
  image     the Dockerfile's Rust version is at least the workspace's rust-version, and the
            build context (.dockerignore applied, as Docker applies it) holds every file the
            build needs and nothing it must not (target/, .git/, data/, .env files).

Usage: lint.py OUT_DIR   (OUT_DIR receives the rendered compose files)
Exit status 1 when any check fails; every failure is printed.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"

COMPONENT_PORTS = {"inventory": 50052, "orders": 50051, "facade": 8080}
GRPC_SERVICES = {
    "inventory": "shop.inventory.v1.InventoryService",
    "orders": "shop.orders.v1.OrderService",
}
# What each component needs (on top of the image's listen addresses).
NEEDS = {
    "migrate": {"SHOP_DATABASE_URL"},
    "inventory": {"SHOP_DATABASE_URL", "SHOP_GRPC_TOKEN"},
    "orders": {"SHOP_DATABASE_URL", "SHOP_INVENTORY_URL", "SHOP_GRPC_TOKEN"},
    "worker": {"SHOP_DATABASE_URL", "SHOP_SMTP_URL"},
    "facade": {"SHOP_ORDERS_URL", "SHOP_WEBHOOK_KEY", "SHOP_GRPC_TOKEN"},
    "check": {"SHOP_INVENTORY_URL", "SHOP_GRPC_TOKEN"},
}
# Components that serve /metrics on SHOP_METRICS_ADDR (the facade serves it on its HTTP
# port and does not read the variable).
METRICS_COMPONENTS = {"inventory", "orders", "worker"}
# Settings that are secrets: in Kubernetes they come from a Secret (secretKeyRef), never
# from a ConfigMap or a literal value in a manifest.
SECRET_SETTINGS = {
    "SHOP_DATABASE_URL",
    "SHOP_WEBHOOK_KEY",
    "SHOP_WEBHOOK_SIGNING_SECRETS",
    "SHOP_GRPC_TOKEN",
    "SHOP_SMTP_URL",
}
# The URL setting through which clients reach each gRPC server.
URL_SETTING = {"inventory": "SHOP_INVENTORY_URL", "orders": "SHOP_ORDERS_URL"}
MAX_MEMORY_LIMIT_MI = 256

failures: list[str] = []


def fail(where: str, message: str) -> None:
    failures.append(f"{where}: {message}")


# --- Compose -------------------------------------------------------------------------------

_VAR = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: str, env: dict[str, str], where: str) -> str:
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR:+a}."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("plain")
        op, arg = match.group("op"), match.group("arg") or ""
        present = name in env
        set_and_not_empty = present and env[name] != ""
        if op in (":-", "-"):
            use_default = not set_and_not_empty if op == ":-" else not present
            return arg if use_default else env[name]
        if op in (":?", "?"):
            missing = not set_and_not_empty if op == ":?" else not present
            if missing:
                fail(where, f"required variable {name} is not set ({arg})")
                return ""
            return env[name]
        if op in (":+", "+"):
            active = set_and_not_empty if op == ":+" else present
            return arg if active else ""
        if not present:
            fail(where, f"variable {name} has no default: Compose would warn and use ''")
        return env.get(name, "")

    return _VAR.sub(replace, value)


def interpolate_tree(node, env: dict[str, str], where: str):
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(v, env, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        return interpolate(node, env, where)
    return node


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def environment_of(service: dict) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {k: (v if sep else None) for k, sep, v in (e.partition("=") for e in env)}
    return dict(env)


def component_of(service: dict) -> str | None:
    command = service.get("command")
    if isinstance(command, list) and command and command[0] in NEEDS:
        return command[0]
    return None


def check_compose(out_dir: Path) -> list[Path]:
    path = DEPLOY / "compose.yaml"
    raw = yaml.safe_load(path.read_text())  # resolves the YAML anchors and merge keys
    rendered_files = []
    for label, env in (
        ("defaults", {}),
        ("env.example", read_env_file(DEPLOY / "env.example")),
    ):
        where = f"compose.yaml ({label})"
        doc = interpolate_tree(raw, env, where)
        # Drop the x- extension fields (the schema allows them; they are not services).
        target = out_dir / f"compose.{label}.json"
        target.write_text(json.dumps(doc, indent=2))
        rendered_files.append(target)
        check_compose_semantics(doc, where)
    return rendered_files


def check_compose_semantics(doc: dict, where: str) -> None:
    services: dict = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    built_images = {s.get("image") for s in services.values() if s.get("build")}
    for name, service in services.items():
        at = f"{where} service {name}"
        # depends_on
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        for target, spec in depends.items():
            if target not in services:
                fail(at, f"depends_on unknown service {target}")
                continue
            condition = (spec or {}).get("condition", "service_started")
            if condition not in (
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            ):
                fail(at, f"depends_on {target}: unknown condition {condition}")
            health = services[target].get("healthcheck") or {}
            if condition == "service_healthy" and (not health or health.get("disable")):
                fail(at, f"waits for {target} to be healthy, but {target} has no healthcheck")
            if condition == "service_completed_successfully" and services[target].get(
                "restart", "no"
            ) not in ("no", "on-failure"):
                fail(at, f"waits for {target} to complete, but {target} restarts always")
        # volumes
        for mount in service.get("volumes") or []:
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source")
            if source and not source.startswith((".", "/", "~")) and source not in volumes:
                fail(at, f"named volume {source} is not declared under volumes:")
        # image
        image = service.get("image")
        if not service.get("build") and image and image.startswith("shop:"):
            if image not in built_images:
                fail(at, f"image {image} is built by no service")
        # scaling and ports
        replicas = (service.get("deploy") or {}).get("replicas", 1)
        for port in service.get("ports") or []:
            spec = str(port) if not isinstance(port, dict) else str(port.get("published", ""))
            host = spec.rsplit(":", 1)[0] if ":" in spec else ""
            if int(replicas) > 1 and host and "-" not in host.rsplit(":", 1)[-1]:
                fail(at, f"{replicas} replicas cannot share the fixed host port {spec}")
        # what each shop component needs
        component = component_of(service)
        if component is None:
            continue
        env = environment_of(service)
        for needed in sorted(NEEDS[component]):
            if not env.get(needed):
                fail(at, f"`shop {component}` needs {needed}")
        for var, value in env.items():
            if var == "SHOP_DATABASE_URL" and value and not value.startswith("postgres"):
                fail(at, "components run as separate processes need PostgreSQL")
        check_compose_metrics(at, component, env, service)
        health = service.get("healthcheck") or {}
        port = COMPONENT_PORTS.get(component)
        if port is not None:
            test = " ".join(map(str, health.get("test") or []))
            if health.get("disable") or str(port) not in test:
                fail(at, f"healthcheck should probe port {port}: {test or 'none'}")
        if component == "facade" and "/healthz" not in " ".join(
            map(str, health.get("test") or [])
        ):
            fail(at, "the facade's healthcheck should GET /healthz")


def metrics_port(at: str, addr: str | None) -> int | None:
    """The port of a SHOP_METRICS_ADDR value, after checking it is reachable from outside."""
    host, sep, port = (addr or "").rpartition(":")
    if not sep or not port.isdigit():
        fail(at, f"SHOP_METRICS_ADDR {addr!r} is not HOST:PORT")
        return None
    if host.strip("[]") in ("127.0.0.1", "localhost", "::1"):
        fail(at, f"SHOP_METRICS_ADDR {addr} listens on loopback: nothing outside can scrape it")
    return int(port)


def check_compose_metrics(at: str, component: str, env: dict, service: dict) -> None:
    addr = env.get("SHOP_METRICS_ADDR")
    if component not in METRICS_COMPONENTS:
        if addr:
            fail(at, f"`shop {component}` does not read SHOP_METRICS_ADDR")
        return
    if not addr:
        fail(at, f"`shop {component}` serves no /metrics: SHOP_METRICS_ADDR is not set")
        return
    port = metrics_port(at, addr)
    exposed = {str(p).split("/")[0] for p in service.get("expose") or []}
    if port is not None and str(port) not in exposed:
        fail(at, f"the metrics port {port} (SHOP_METRICS_ADDR) is not listed under expose:")


# --- Kubernetes ----------------------------------------------------------------------------


def load_k8s() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def parse_quantity_mi(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in units.items():
        if str(quantity).endswith(unit):
            return float(str(quantity)[: -len(unit)]) * factor
    return float(quantity) / 2**20


def check_k8s() -> None:
    docs = load_k8s()
    by_kind: dict[str, list[tuple[str, dict]]] = {}
    for name, doc in docs:
        by_kind.setdefault(doc.get("kind", "?"), []).append((name, doc))

    config_data = {
        d["metadata"]["name"]: dict(d.get("data") or {}) for _, d in by_kind.get("ConfigMap", [])
    }
    for name, data in config_data.items():
        for key in sorted(SECRET_SETTINGS & set(data)):
            fail(f"ConfigMap {name}", f"{key} is a secret: it belongs in the Secret")
    secret_keys = {
        d["metadata"]["name"]: set((d.get("stringData") or {}).keys())
        | set((d.get("data") or {}).keys())
        for _, d in by_kind.get("Secret", [])
    }
    # Keys a Secret template documents in a comment (`# KEY: …`): optional keys, left out.
    documented: dict[str, set[str]] = {}
    for file, doc in by_kind.get("Secret", []):
        text = (K8S / file).read_text()
        documented[doc["metadata"]["name"]] = set(
            re.findall(r"^\s*#\s*(SHOP_[A-Z0-9_]+):", text, re.M)
        )
    namespaces = {d["metadata"]["name"] for _, d in by_kind.get("Namespace", [])}

    pod_labels: list[dict] = []
    for file, doc in docs:
        if doc.get("kind") in ("Namespace", "Kustomization"):
            continue
        ns = doc["metadata"].get("namespace")
        if ns not in namespaces:
            fail(file, f"{doc['kind']} {doc['metadata'].get('name')} in unknown namespace {ns}")

    refs = Refs(config_data, secret_keys, documented)
    servers: dict[str, dict[str, str]] = {}  # component -> its container's settings
    for kind in ("Deployment", "Job", "CronJob"):
        for file, doc in by_kind.get(kind, []):
            at = f"{file} {kind} {doc['metadata']['name']}"
            spec = doc["spec"]
            if kind == "CronJob":
                spec = spec["jobTemplate"]["spec"]
            template = spec["template"]
            labels = template["metadata"].get("labels") or {}
            pod_labels.append(labels)
            if kind == "Deployment":
                selector = spec["selector"]["matchLabels"]
                if any(labels.get(k) != v for k, v in selector.items()):
                    fail(at, "selector does not match the pod template's labels")
                if spec.get("replicas") != 2:
                    fail(at, f"replicas should be 2, is {spec.get('replicas')}")
            for component, env in check_pod(at, template, refs).items():
                if component in URL_SETTING and kind == "Deployment":
                    servers[component] = env
    check_tls_urls(config_data, servers)

    for file, doc in by_kind.get("Service", []) + by_kind.get("PodDisruptionBudget", []):
        at = f"{file} {doc['kind']} {doc['metadata']['name']}"
        selector = doc["spec"].get("selector") or {}
        selector = selector.get("matchLabels", selector)
        if not any(all(l.get(k) == v for k, v in selector.items()) for l in pod_labels):
            fail(at, f"selects no pod: {selector}")
    pdb_components = {
        d["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component")
        for _, d in by_kind.get("PodDisruptionBudget", [])
    }
    if "facade" not in pdb_components:
        fail("k8s", "no PodDisruptionBudget for the facade")

    # kustomization lists files that exist, and not the secret template nor an example.
    for file, doc in by_kind.get("Kustomization", []):
        for resource in doc.get("resources") or []:
            if not (K8S / resource).exists():
                fail(file, f"lists missing resource {resource}")
            if "secret" in resource:
                fail(file, f"must not list {resource}: placeholders would overwrite the Secret")
            elif resource.endswith(".example.yaml"):
                fail(file, f"must not list {resource}: examples are adapted and applied by hand")


class Refs:
    """What ConfigMap and Secret references can resolve to."""

    def __init__(self, config_data: dict, secret_keys: dict, documented: dict) -> None:
        self.config_data = config_data
        self.secret_keys = secret_keys
        self.documented = documented

    def has(self, kind: str, ref: dict) -> bool:
        name, key = ref.get("name"), ref.get("key")
        if kind == "configMapKeyRef":
            return key in self.config_data.get(name, {})
        if key in self.secret_keys.get(name, set()):
            return True
        # An optional key the template leaves out, but documents in a comment.
        return ref.get("optional") is True and key in self.documented.get(name, set())


SECRET_VALUE = "<from a Secret>"


def check_tls_urls(config_data: dict, servers: dict[str, dict[str, str]]) -> None:
    """Clients use https:// exactly for the servers that speak TLS."""
    for component, env in sorted(servers.items()):
        tls = bool(env.get("SHOP_GRPC_TLS_CERT"))
        setting = URL_SETTING[component]
        for name, data in config_data.items():
            for url in (u.strip() for u in str(data.get(setting, "")).split(",") if u.strip()):
                if url.startswith("https://") != tls:
                    fail(
                        f"ConfigMap {name}",
                        f"{setting} {url}: {component} "
                        + ("speaks TLS (SHOP_GRPC_TLS_CERT): use https://" if tls
                           else "speaks plaintext: https:// needs SHOP_GRPC_TLS_CERT on it"),
                    )


def check_pod(at: str, template: dict, refs: Refs) -> dict[str, dict[str, str]]:
    """Checks one pod template; returns each shop container's component and settings."""
    pod = template["spec"]
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    components: dict[str, dict[str, str]] = {}
    security = pod.get("securityContext") or {}
    if security.get("runAsNonRoot") is not True:
        fail(at, "pod securityContext.runAsNonRoot must be true")
    if (security.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        fail(at, "pod seccompProfile should be RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        fail(at, "automountServiceAccountToken should be false (the shop never calls the API)")
    for container in pod["containers"]:
        c_at = f"{at} container {container['name']}"
        sc = container.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(c_at, "readOnlyRootFilesystem must be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(c_at, "allowPrivilegeEscalation must be false")
        if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
            fail(c_at, "capabilities must drop ALL")
        resources = container.get("resources") or {}
        for part in ("requests", "limits"):
            for res in ("cpu", "memory"):
                if res not in (resources.get(part) or {}):
                    fail(c_at, f"resources.{part}.{res} missing")
        limit = (resources.get("limits") or {}).get("memory")
        if limit and parse_quantity_mi(limit) > MAX_MEMORY_LIMIT_MI:
            fail(c_at, f"memory limit {limit} is far above the shop's footprint")
        # settings: what the container gets, and from where (env overrides envFrom)
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                name = source["configMapRef"].get("name")
                if name not in refs.config_data:
                    fail(c_at, f"envFrom references unknown ConfigMap {name}")
                env.update({k: str(v) for k, v in refs.config_data.get(name, {}).items()})
            else:
                name = (source.get("secretRef") or {}).get("name")
                if name not in refs.secret_keys:
                    fail(c_at, f"envFrom references unknown Secret {name}")
                env.update(dict.fromkeys(refs.secret_keys.get(name, set()), SECRET_VALUE))
        for var in container.get("env") or []:
            name = var["name"]
            value_from = var.get("valueFrom") or {}
            if "value" in var:
                env[name] = str(var["value"])
                if name in SECRET_SETTINGS:
                    fail(c_at, f"{name} is a secret: take it from the Secret (secretKeyRef)")
            for kind in ("secretKeyRef", "configMapKeyRef"):
                ref = value_from.get(kind)
                if not ref:
                    continue
                if not refs.has(kind, ref):
                    fail(c_at, f"{name}: {kind} {ref.get('name')}/{ref.get('key')} not found")
                if kind == "configMapKeyRef":
                    data = refs.config_data.get(ref.get("name"), {})
                    env[name] = str(data.get(ref.get("key"), ""))
                    if name in SECRET_SETTINGS:
                        fail(c_at, f"{name} is a secret: take it from the Secret (secretKeyRef)")
                else:
                    env[name] = SECRET_VALUE
        args = container.get("args") or []
        component = args[0] if args else "serve"
        for needed in sorted(NEEDS.get(component, set())):
            if needed not in env:
                fail(c_at, f"`shop {component}` needs {needed}")
        check_probes(c_at, component, container, env)
        check_k8s_metrics(c_at, component, container, env, annotations)
        components[component] = env
    return components


def check_k8s_metrics(
    at: str, component: str, container: dict, env: dict[str, str], annotations: dict
) -> None:
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    addr = env.get("SHOP_METRICS_ADDR")
    if component == "facade":
        if addr:
            fail(at, "`shop facade` does not read SHOP_METRICS_ADDR (it serves /metrics on 8080)")
        scrape_port = ports.get("http")
    elif component in METRICS_COMPONENTS:
        if not addr:
            fail(at, f"`shop {component}` serves no /metrics: SHOP_METRICS_ADDR is not set")
            return
        scrape_port = metrics_port(at, addr)
        if scrape_port is not None and ports.get("metrics") != scrape_port:
            fail(at, f"SHOP_METRICS_ADDR {addr}: declare containerPort {scrape_port} named metrics")
    else:
        if addr:
            fail(at, f"`shop {component}` does not read SHOP_METRICS_ADDR")
        return
    expected = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(scrape_port),
        "prometheus.io/path": "/metrics",
    }
    for key, value in expected.items():
        if annotations.get(key) != value:
            fail(at, f"pod annotation {key} should be {value!r}, is {annotations.get(key)!r}")


def check_probes(at: str, component: str, container: dict, env: dict[str, str]) -> None:
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    if component in GRPC_SERVICES:
        # The kubelet's gRPC probe speaks plaintext unless `mode: TLS` (newer Kubernetes), and
        # never presents a client certificate: with TLS a TCP probe is the portable choice,
        # with mutual TLS the only one.
        tls = bool(env.get("SHOP_GRPC_TLS_CERT"))
        mutual = tls and bool(env.get("SHOP_GRPC_TLS_CLIENT_CA"))
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe == "startupProbe" and probe not in container:
                continue
            spec = container.get(probe) or {}
            if tls and "tcpSocket" in spec:
                port = spec["tcpSocket"].get("port")
                if ports.get(port, port) != COMPONENT_PORTS[component]:
                    fail(at, f"{probe} probes port {port}")
                continue
            grpc = spec.get("grpc")
            if not grpc:
                alternative = " (or, with TLS, a tcpSocket probe)" if tls else ""
                fail(at, f"{probe} should be a native gRPC probe{alternative}")
                continue
            if tls and (mutual or grpc.get("mode") != "TLS"):
                fail(
                    at,
                    f"{probe}: the gRPC port speaks "
                    + ("mutual TLS; the kubelet has no client certificate: use tcpSocket" if mutual
                       else "TLS: use tcpSocket (or grpc.mode: TLS where the cluster supports it)"),
                )
                continue
            if grpc.get("port") != COMPONENT_PORTS[component]:
                fail(at, f"{probe} probes port {grpc.get('port')}")
            if grpc.get("service") != GRPC_SERVICES[component]:
                fail(at, f"{probe} checks service {grpc.get('service')!r}")
        if COMPONENT_PORTS[component] not in ports.values():
            fail(at, f"does not declare containerPort {COMPONENT_PORTS[component]}")
    elif component == "facade":
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = (container.get(probe) or {}).get("httpGet") or {}
            port = http.get("port")
            port = ports.get(port, port)
            if http.get("path") != path or port != COMPONENT_PORTS["facade"]:
                fail(at, f"{probe} should GET {path} on 8080, is {http}")


# --- Settings ------------------------------------------------------------------------------


def known_settings() -> set[str]:
    known = {"RUST_LOG", "NO_COLOR"}
    pattern = re.compile(r'env\s*=\s*"(SHOP_[A-Z0-9_]+)"')
    for path in ROOT.glob("**/src/**/*.rs"):
        if "target" in path.parts:
            continue
        known |= set(pattern.findall(path.read_text(errors="replace")))
    return known


def check_settings() -> None:
    known = known_settings()
    if len(known) < 10:
        fail("settings", f"found only {sorted(known)} in the Rust sources: has the CLI moved?")
        return
    used: dict[str, set[str]] = {}
    files = [ROOT / "Dockerfile", DEPLOY / "env.example", DEPLOY / "compose.yaml"]
    files += sorted(K8S.glob("*.yaml"))
    for path in files:
        for var in re.findall(r"\b(SHOP_[A-Z0-9_]+)\b", path.read_text()):
            used.setdefault(var, set()).add(path.name)
    # Variables that only parameterise the compose file itself, never read by the binary.
    compose_only = {"SHOP_IMAGE", "SHOP_HTTP_PUBLISH"}
    for var, where in sorted(used.items()):
        if var not in known and var not in compose_only:
            fail("settings", f"{var} (in {', '.join(sorted(where))}) is not read by `shop`")


# --- Image ---------------------------------------------------------------------------------


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def check_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    required = cargo["workspace"]["package"]["rust-version"]
    match = re.search(r"^ARG RUST_VERSION=([0-9.]+)$", dockerfile, re.M)
    if not match:
        fail("Dockerfile", "no `ARG RUST_VERSION=` default")
    elif version_tuple(match.group(1)) < version_tuple(required):
        fail("Dockerfile", f"Rust {match.group(1)} is older than rust-version {required}")

    try:
        from docker.utils.build import exclude_paths  # Docker's own .dockerignore matcher
    except ImportError:
        fail("image", "the docker Python package is missing (lint.sh installs it)")
        return
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    context = set(exclude_paths(str(ROOT), patterns))
    needed = {"Cargo.toml", "Cargo.lock", "deploy/docker/shop-probe"}
    for member in cargo["workspace"]["members"]:
        needed.add(str(Path(member) / "Cargo.toml").removeprefix("./"))
    # Files the sources embed at compile time (include_str!/include_bytes!).
    embed = re.compile(r'include_(?:str|bytes)!\("([^"]+)"\)')
    for source in ROOT.glob("**/*.rs"):
        if "target" in source.relative_to(ROOT).parts:
            continue
        for rel in embed.findall(source.read_text(errors="replace")):
            needed.add(str((source.parent / rel).resolve().relative_to(ROOT)))
    for path in sorted(needed):
        if path not in context:
            fail(".dockerignore", f"excludes {path}, which the build needs")
    for path in sorted(context):
        first = path.split("/", 1)[0]
        if first in ("target", ".git", "data") or path.endswith(".env") or "/.env" in path:
            fail(".dockerignore", f"lets {path} into the build context")
        if path.startswith("deploy/") and not (path + "/").startswith("deploy/docker/"):
            fail(".dockerignore", f"lets {path} into the build context (rebuilds on edits)")
    rust_sources = [p for p in context if p.endswith(".rs")]
    if len(rust_sources) < 20:
        fail(".dockerignore", f"only {len(rust_sources)} Rust sources in the build context")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = check_compose(out_dir)
    check_k8s()
    check_settings()
    check_image()
    for failure in failures:
        print(f"FAIL {failure}")
    if failures:
        return 1
    print(f"ok: compose ({len(rendered)} renderings), k8s, settings, image context")
    return 0


if __name__ == "__main__":
    sys.exit(main())
