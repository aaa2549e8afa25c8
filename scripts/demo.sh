#!/usr/bin/env bash
# `make demo`: starts the embedded Kubernetes API server (aviary-sandbox, HTTPS + token), drives it with
# the real kubectl, points the aviary binary at it, then runs the client walkthrough.
# The canary controller itself is not built yet (README).
set -euo pipefail
build_dir=${1:-build}
work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

step() { printf '\n==> %s\n' "$*"; }

"$build_dir/sandbox/aviary-sandbox" --tls --kubeconfig-out "$work/kubeconfig" \
  --apply sandbox/crds --apply sandbox/examples/podinfo.yaml > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do grep -q listening "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done
step "$(head -1 "$work/sandbox.log"), kubeconfig $work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"
k() { echo "\$ kubectl $*"; kubectl --cache-dir "$work/cache" "$@"; }

step "The sample application, applied at start-up"
k get deployments,services -o wide
k rollout status deployment/podinfo --timeout=30s

step "A new release: change the image and watch the rollout"
k set image deployment/podinfo podinfod=ghcr.io/stefanprodan/podinfo:6.5.1
k rollout status deployment/podinfo --timeout=30s
k get deployment podinfo -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.availableReplicas}{"\n"}'

step "The aviary binary, pointed at the sandbox"
"$build_dir/operator/aviary" --kubeconfig "$work/kubeconfig"

step "The Kubernetes client library, end to end"
"$build_dir/tests/aviary-client-demo"
