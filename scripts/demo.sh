#!/usr/bin/env bash
# `make demo`: starts the sandbox (Kubernetes API over HTTPS + token, live traffic through a simulated
# Istio mesh, a real Prometheus scraping it), drives it with the real kubectl, asks Prometheus what the
# mesh saw, points the aviary binary at it, then runs the client walkthrough.
# The canary controller itself is not built yet (README).
set -euo pipefail
build_dir=${1:-build}
work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

step() { printf '\n==> %s\n' "$*"; }

"$build_dir/sandbox/aviary-sandbox" --tls --kubeconfig-out "$work/kubeconfig" \
  --apply sandbox/crds --apply sandbox/examples/podinfo.yaml --apply sandbox/examples/podinfo-istio.yaml \
  --prometheus > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 600); do grep -q "prometheus listening" "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done
grep -q "prometheus listening" "$work/sandbox.log" || { cat "$work/sandbox.log"; exit 1; }
step "$(grep "aviary-sandbox listening" "$work/sandbox.log"), kubeconfig $work/kubeconfig"
prometheus_url=$(grep -o 'prometheus listening on .*' "$work/sandbox.log" | awk '{print $4}')
echo "$(grep "prometheus listening" "$work/sandbox.log"), scraping $(grep -o 'metrics at .*' "$work/sandbox.log" | awk '{print $3}')"
export KUBECONFIG="$work/kubeconfig"
k() { echo "\$ kubectl $*"; kubectl --cache-dir "$work/cache" "$@"; }

step "The sample application, applied at start-up"
k get deployments,services -o wide
k rollout status deployment/podinfo --timeout=30s

step "A new release: change the image and watch the rollout"
k set image deployment/podinfo podinfod=ghcr.io/stefanprodan/podinfo:6.5.1
k rollout status deployment/podinfo --timeout=30s
k get deployment podinfo -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.availableReplicas}{"\n"}'

# One PromQL instant query, printed as "<label values>: <value>".
promql() {
  python3 - "$prometheus_url" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url, query = sys.argv[1], sys.argv[2]
body = urllib.parse.urlencode({"query": query}).encode()
data = json.load(urllib.request.urlopen(url + "/api/v1/query", body, timeout=10))["data"]["result"]
for r in data or [{"metric": {}, "value": [0, "no data"]}]:
    labels = ",".join(r["metric"].values()) or "value"
    print(f"    {labels}: {float(r['value'][1]):.1f}" if r["value"][1] != "no data" else "    no data")
PY
}

step "Live traffic through the Istio VirtualService (90/10), as Prometheus scraped it"
k get virtualservices.networking.istio.io podinfo -n mesh -o jsonpath='{range .spec.http[0].route[*]}{.destination.host}={.weight} {end}{"\n"}'
sleep 10
echo "Flagger's request-success-rate (%), per workload, over 10s:"
promql 'sum by (destination_workload) (rate(istio_requests_total{reporter="destination",destination_workload_namespace="mesh",response_code!~"5.*"}[10s])) / sum by (destination_workload) (rate(istio_requests_total{reporter="destination",destination_workload_namespace="mesh"}[10s])) * 100'
echo "Flagger's request-duration (p99, ms), per workload:"
promql 'histogram_quantile(0.99, sum by (le, destination_workload) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="mesh"}[10s])))'
echo "Share of user requests (%) per deployment (sandbox ground truth):"
promql 'sum by (deployment) (rate(sandbox_user_requests_total{namespace="mesh"}[10s])) / scalar(sum(rate(sandbox_user_requests_total{namespace="mesh"}[10s]))) * 100'

step "Shift to 50/50 with kubectl; the mesh follows within a tick"
k patch virtualservices.networking.istio.io podinfo -n mesh --type merge -p '{"spec":{"http":[{"route":[{"destination":{"host":"podinfo-primary"},"weight":50},{"destination":{"host":"podinfo-canary"},"weight":50}]}]}}'
sleep 4
echo "Share of user requests (%) per deployment over the last 3s:"
promql 'sum by (deployment) (irate(sandbox_user_requests_total{namespace="mesh"}[3s])) / scalar(sum(irate(sandbox_user_requests_total{namespace="mesh"}[3s]))) * 100'

step "The aviary binary, pointed at the sandbox"
"$build_dir/operator/aviary" --kubeconfig "$work/kubeconfig"

step "The Kubernetes client library, end to end"
"$build_dir/tests/aviary-client-demo"
