#!/usr/bin/env bash
# `make demo`: the whole system on a laptop. Starts the sandbox (Kubernetes API over HTTPS + token, live
# traffic through a simulated Istio mesh, a real Prometheus scraping it), the aviary operator pointed at
# both, and a sample application with its Canary; then releases a healthy version (promoted step by step)
# and a faulty one (rolled back), showing each through the kubectl plugin (`kubectl aviary get canary -w`,
# the live view, on a terminal) while `kubectl aviary status` waits for the outcome as a CI job would.
# Ends by itself and leaves nothing running; KEEP=1 (`make demo KEEP=1`) leaves it all running until
# Ctrl-C and prints how to reach it.
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
# kubectl runs the plugin kubectl-aviary (`kubectl aviary ...`) from PATH: the one just built.
PATH="$(cd "$build_dir/operator" && pwd):$PATH"
export PATH
ka() { echo "\$ kubectl aviary $*"; "$kubectl_bin" aviary "$@"; }
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
ka list -n demo

# Without a terminal (a log, CI): one line each time the phase, weight or last analysis changes.
follow() {
  local last=""
  for _ in $(seq 240); do
    read -r phase weight failed rate p99 <<< "$(kq get canary podinfo -n demo -o jsonpath='{.status.phase} {.status.canaryWeight} {.status.failedChecks} {.status.analysis.metrics[0].value} {.status.analysis.metrics[1].value}')"
    local shown
    shown=$(printf '%-12s weight %3s%%  failed checks %s  success rate %s  p99 %s' "$phase" "$weight" "$failed" \
      "$( [ -n "${rate:-}" ] && printf '%.1f%%' "$rate" || echo '-')" "$( [ -n "${p99:-}" ] && printf '%.0f ms' "$p99" || echo '-')")
    [ "$shown" != "$last" ] && echo "  $(date +%T)  $shown" && last=$shown
    sleep 1
  done
}

# Shows the release as it happens (on a terminal the plugin's live view, `kubectl aviary get canary -w`,
# redrawn in place; otherwise a line per change) while `kubectl aviary status` waits for its outcome, as a
# CI pipeline would; succeeds when the outcome is `expected`.
release() {
  local expected=$1 viewer outcome
  echo "\$ kubectl aviary status podinfo -n demo --timeout 4m   # exit 0 Succeeded, 1 Failed, 2 timed out"
  if [ -t 1 ]; then
    "$kubectl_bin" aviary get canary podinfo -n demo -w &
  else
    follow &
  fi
  viewer=$!
  outcome=0
  "$kubectl_bin" aviary status podinfo -n demo --timeout 4m > "$work/status.log" 2>&1 || outcome=$?
  sleep 1 # the viewer's last frame
  kill "$viewer" 2>/dev/null || true
  wait "$viewer" 2>/dev/null || true
  [ -t 1 ] || ka get canary podinfo -n demo
  echo "kubectl aviary status: $(grep -v '^$' "$work/status.log" | tail -1) (exit $outcome)"
  case "$expected:$outcome" in
    Succeeded:0 | Failed:1) return 0 ;;
    *) echo "expected the release to end $expected" >&2; return 1 ;;
  esac
}

step "Release 6.5.1 (healthy): kubectl set image"
k set image deployment/podinfo podinfod=ghcr.io/stefanprodan/podinfo:6.5.1 -n demo
release Succeeded
echo "primary now runs: $(kq get deployment podinfo-primary -n demo -o jsonpath='{.spec.template.spec.containers[0].image}')"

step "Release 6.5.2 (faulty: 20% of its requests fail)"
k patch deployment podinfo -n demo --type merge \
  -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.aviary.io/error-rate":"0.2"}},"spec":{"containers":[{"name":"podinfod","image":"ghcr.io/stefanprodan/podinfo:6.5.2"}]}}}}'
release Failed
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
    if m.get("deployment") == "none" and float(r["value"][1]) == 0:
        continue  # requests that found no backend: none
    print(f"    {m.get('deployment','?'):16} {m.get('outcome','?'):8} {float(r['value'][1]):8.0f}")
PY

if [ -n "${KEEP:-}" ] && [ "${KEEP}" != 0 ]; then
  step "Still running (KEEP=1): the sandbox, Prometheus and the operator, until Ctrl-C"
  cat <<EOF
  export KUBECONFIG=$KUBECONFIG
  export PATH=$(cd "$build_dir/operator" && pwd):\$PATH         # kubectl finds kubectl-aviary here
  alias kubectl=$kubectl_bin                # the pinned kubectl (any recent one works too)
  kubectl aviary get canary podinfo -n demo -w
  kubectl patch deployment podinfo -n demo --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"sandbox.aviary.io/error-rate":"0"}},"spec":{"containers":[{"name":"podinfod","image":"ghcr.io/stefanprodan/podinfo:6.5.3"}]}}}}'
                                            # a healthy release (6.5.2's error rate removed)
  kubectl aviary pause podinfo -n demo      # resume, promote, abort, retry
  Prometheus: $prometheus_url   (e.g. $prometheus_url/graph?g0.expr=aviary_canary_weight)
  Operator log: $work/aviary.log    Sandbox log: $work/sandbox.log
EOF
  trap 'exit 0' INT TERM
  wait "$aviary_pid" || true
fi
