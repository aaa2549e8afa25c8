#!/usr/bin/env bash
# `make demo`: the whole system on a laptop. Starts the sandbox (Kubernetes API over HTTPS + token, live
# traffic through a simulated Istio mesh, a real Prometheus scraping it), the aviary operator pointed at
# both, and a sample application with its Canary; then releases a healthy version (promoted step by step)
# and a faulty one (rolled back), printing the progress as it happens. Ends by itself, leaves nothing running.
# CLUSTER=kube (`make demo CLUSTER=kube`) tells the same story on the real control plane (tests/cluster/),
# with the traffic simulator as its client and the operator under its own ServiceAccount (config/rbac).
set -euo pipefail
build_dir=${1:-build}
cluster=${CLUSTER:-sandbox}
work=$(mktemp -d)
cleanup() {
  kill "${aviary_pid:-}" 2>/dev/null || true
  wait "${aviary_pid:-}" 2>/dev/null || true
  kill "${sandbox_pid:-}" 2>/dev/null || true
  wait "${sandbox_pid:-}" 2>/dev/null || true
  kill "${cluster_pid:-}" 2>/dev/null || true
  wait "${cluster_pid:-}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
# The pinned kubectl that make deps built (a kubectl on PATH may be too old or too new for the sandbox).
kubectl_bin="$(bash "$(dirname "$0")/build-kube.sh")/kubectl"
k() { echo "\$ kubectl $*"; "$kubectl_bin" --cache-dir "$work/cache" "$@"; }
kq() { "$kubectl_bin" --cache-dir "$work/cache" "$@"; }
wait_for_line() { # wait_for_line FILE TEXT: up to 60 s
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  cat "$1"
  return 1
}

if [ "$cluster" = kube ]; then
  bash tests/cluster/start-control-plane.sh "$work/cp" > "$work/cluster.log" 2>&1 &
  cluster_pid=$!
  wait_for_line "$work/cluster.log" "control plane ready"
  step "A real Kubernetes control plane, $(grep -o 'ready in [0-9.]* s' "$work/cluster.log"): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok nodes"
  export KUBECONFIG="$work/cp/admin.kubeconfig"
  kq apply -f sandbox/crds -f crds > /dev/null
  kq create namespace aviary-system > /dev/null
  kq apply -f config/rbac/service_account.yaml -f config/rbac/cluster_role.yaml \
    -f config/rbac/cluster_role_binding.yaml -f config/rbac/leader_election.yaml > /dev/null
  # The operator's own identity: a token of its ServiceAccount, never the admin's certificate.
  server=$(kq config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
  ca=$(kq config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  token=$(kq create token aviary -n aviary-system --duration=2h)
  printf '%s\n' "apiVersion: v1" "kind: Config" \
    "clusters: [{name: kube, cluster: {server: \"$server\", certificate-authority-data: \"$ca\"}}]" \
    "users: [{name: aviary, user: {token: \"$token\"}}]" \
    "contexts: [{name: aviary, context: {cluster: kube, user: aviary}}]" "current-context: aviary" \
    > "$work/operator.kubeconfig"
  operator_kubeconfig="$work/operator.kubeconfig"
  echo "the operator runs as system:serviceaccount:aviary-system:aviary (config/rbac)"
  "$build_dir/sandbox/aviary-sandbox" --traffic-only --kubeconfig "$KUBECONFIG" --prometheus \
    > "$work/sandbox.log" 2>&1 &
  sandbox_pid=$!
  wait_for_line "$work/sandbox.log" "prometheus listening"
  echo "live traffic: the mesh simulator follows the cluster's Services, EndpointSlices and VirtualServices"
else
  "$build_dir/sandbox/aviary-sandbox" --tls --kubeconfig-out "$work/kubeconfig" --prometheus \
    --apply sandbox/crds --apply crds > "$work/sandbox.log" 2>&1 &
  sandbox_pid=$!
  wait_for_line "$work/sandbox.log" "prometheus listening"
  step "$(grep "aviary-sandbox listening" "$work/sandbox.log") (kubeconfig $work/kubeconfig)"
  export KUBECONFIG="$work/kubeconfig"
  operator_kubeconfig="$KUBECONFIG"
  # Where the operator's leader-election Lease lives (applied: the sandbox reads JSON bodies only).
  kq apply -f config/manager/namespace.yaml > /dev/null
fi
prometheus_url=$(grep -o 'prometheus listening on .*' "$work/sandbox.log" | awk '{print $4}')
echo "$(grep "prometheus listening" "$work/sandbox.log"), scraping the mesh's metrics every second"

step "The aviary operator"
"$build_dir/operator/aviary" --kubeconfig "$operator_kubeconfig" --metrics-server "$prometheus_url" \
  --listen-address 127.0.0.1:0 > "$work/aviary.log" 2>&1 &
aviary_pid=$!
sleep 1
head -2 "$work/aviary.log"

step "A sample application and its Canary (Istio, steps of 20% every 5s up to 60%)"
k apply -f sandbox/examples/podinfo-canary-demo.yaml
kq wait --for=condition=promoted canary/podinfo -n demo --timeout=60s >/dev/null
k get canaries,deployments -n demo

# Prints phase, weight and what the last analysis measured, until the release ends (Succeeded or Failed
# after it started progressing); succeeds when it ended in `final`.
follow() {
  local final=$1 last="" started=""
  for _ in $(seq 240); do
    read -r phase weight failed rate p99 <<< "$(kq get canary podinfo -n demo -o jsonpath='{.status.phase} {.status.canaryWeight} {.status.failedChecks} {.status.analysis.metrics[0].value} {.status.analysis.metrics[1].value}')"
    local shown
    shown=$(printf '%-12s weight %3s%%  failed checks %s  success rate %s  p99 %s' "$phase" "$weight" "$failed" \
      "$( [ -n "${rate:-}" ] && printf '%.1f%%' "$rate" || echo '-')" "$( [ -n "${p99:-}" ] && printf '%.0f ms' "$p99" || echo '-')")
    [ "$shown" != "$last" ] && echo "  $(date +%T)  $shown" && last=$shown
    [ "$phase" = "Progressing" ] && started=1
    if [ -n "$started" ] && { [ "$phase" = "Succeeded" ] || [ "$phase" = "Failed" ]; }; then
      [ "$phase" = "$final" ]
      return
    fi
    sleep 1
  done
  echo "the release did not end within 4 minutes" >&2
  return 1
}

step "Release 6.5.1 (healthy): kubectl set image"
k set image deployment/podinfo podinfod=ghcr.io/stefanprodan/podinfo:6.5.1 -n demo
follow Succeeded
echo "primary now runs: $(kq get deployment podinfo-primary -n demo -o jsonpath='{.spec.template.spec.containers[0].image}')"

step "Release 6.5.2 (faulty: 20% of its requests fail)"
k patch deployment podinfo -n demo --type merge \
  -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.aviary.io/error-rate":"0.2"}},"spec":{"containers":[{"name":"podinfod","image":"ghcr.io/stefanprodan/podinfo:6.5.2"}]}}}}'
follow Failed
echo "primary still runs: $(kq get deployment podinfo-primary -n demo -o jsonpath='{.spec.template.spec.containers[0].image}')"

step "What kubectl describe shows"
kq describe canary podinfo -n demo | sed -n '/^Events:/,$p'

step "Users hurt by the faulty release (sandbox ground truth, requests)"
python3 - "$prometheus_url" <<'PY'
import json, sys, urllib.parse, urllib.request
q = 'sum by (deployment, outcome) (sandbox_user_requests_total{namespace="demo"})'
body = urllib.parse.urlencode({"query": q}).encode()
for r in json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/query", body, timeout=10))["data"]["result"]:
    m = r["metric"]
    print(f"    {m.get('deployment','?'):16} {m.get('outcome','?'):8} {float(r['value'][1]):8.0f}")
PY
