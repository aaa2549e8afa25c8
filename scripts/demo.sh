#!/usr/bin/env bash
# `make demo`: the whole system on a laptop. Starts the sandbox (Kubernetes API over HTTPS + token, live
# traffic through a simulated Istio mesh, a real Prometheus scraping it), the aviary operator pointed at
# both, and a sample application with its Canary; then releases a healthy version (promoted step by step)
# and a faulty one (rolled back), printing the progress as it happens. Ends by itself, leaves nothing running.
set -euo pipefail
build_dir=${1:-build}
work=$(mktemp -d)
cleanup() {
  kill "${aviary_pid:-}" 2>/dev/null || true
  wait "${aviary_pid:-}" 2>/dev/null || true
  kill "${sandbox_pid:-}" 2>/dev/null || true
  wait "${sandbox_pid:-}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }

"$build_dir/sandbox/aviary-sandbox" --tls --kubeconfig-out "$work/kubeconfig" --prometheus \
  --apply sandbox/crds --apply crds > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 600); do grep -q "prometheus listening" "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done
grep -q "prometheus listening" "$work/sandbox.log" || { cat "$work/sandbox.log"; exit 1; }
prometheus_url=$(grep -o 'prometheus listening on .*' "$work/sandbox.log" | awk '{print $4}')
step "$(grep "aviary-sandbox listening" "$work/sandbox.log") (kubeconfig $work/kubeconfig)"
echo "$(grep "prometheus listening" "$work/sandbox.log"), scraping the mesh's metrics every second"
export KUBECONFIG="$work/kubeconfig"
# The pinned kubectl that make deps built (a kubectl on PATH may be too old or too new for the sandbox).
kubectl_bin="$(bash "$(dirname "$0")/build-kube.sh")/kubectl"
k() { echo "\$ kubectl $*"; "$kubectl_bin" --cache-dir "$work/cache" "$@"; }
kq() { "$kubectl_bin" --cache-dir "$work/cache" "$@"; }

step "The aviary operator"
"$build_dir/operator/aviary" --kubeconfig "$work/kubeconfig" --metrics-server "$prometheus_url" \
  > "$work/aviary.log" 2>&1 &
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
