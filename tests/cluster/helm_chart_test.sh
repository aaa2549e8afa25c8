#!/usr/bin/env bash
# Issue 14: the Helm chart config/helm/aviary renders what the operator accepts, without a cluster.
# - `helm lint --strict` passes;
# - every flag of `aviary --help` is a key of the chart's config (values.yaml), and the rendered --config
#   file is accepted by the operator, as is one with every list and switch set;
# - a bad value is refused at start-up with a message naming the key;
# - the ClusterRole's rules are config/rbac/cluster_role.yaml's (one source for both installs);
# - the ServiceMonitor renders only when enabled.
# Usage: helm_chart_test.sh AVIARY_BINARY (helm comes from scripts/build-helm.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
aviary=$1
helm="$("$root/scripts/build-helm.sh")/helm"
chart="$root/config/helm/aviary"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# helm warns on stderr about the chart's links (crds/, files/cluster_role.yaml); keep it out of the output.
render() { "$helm" template aviary "$chart" -n aviary-system "$@" 2>"$tmp/helm.err" || { cat "$tmp/helm.err" >&2; return 1; }; }
# The config.yaml of the rendered Secret.
config_of() { python3 -c 'import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "Secret": print(d["stringData"]["config.yaml"])'; }

"$helm" lint --strict "$chart" > "$tmp/lint" 2>&1 || { cat "$tmp/lint" >&2; fail "helm lint --strict"; }

render > "$tmp/default.yaml" || fail "helm template (defaults)"
config_of < "$tmp/default.yaml" > "$tmp/config.yaml"
for flag in $("$aviary" --help | grep -oE '^  --[a-z-]+' | sed 's/^  --//'); do
  [[ $flag == version || $flag == config ]] && continue
  grep -qE "^$flag:" "$tmp/config.yaml" || fail "flag --$flag has no key in the chart's config (values.yaml)"
done
"$aviary" --config "$tmp/config.yaml" --version > /dev/null || fail "the operator refused the default config"

render --set-json 'config.webhook-allow=["hooks.example.com","10.0.0.0/8"]' --set config.no-cross-namespace-refs=true \
  --set config.workers=4 --set config.leader-elect=false > "$tmp/custom.yaml" || fail "helm template (custom)"
config_of < "$tmp/custom.yaml" > "$tmp/custom-config.yaml"
"$aviary" --config "$tmp/custom-config.yaml" --version > /dev/null || fail "the operator refused a custom config"
grep -q "kind: Role$" "$tmp/custom.yaml" && fail "leader-elect=false still renders the leader-election Role"

render --set config.workers=many > "$tmp/bad.yaml" || fail "helm template (bad value)"
config_of < "$tmp/bad.yaml" > "$tmp/bad-config.yaml"
if out=$("$aviary" --config "$tmp/bad-config.yaml" --version 2>&1); then fail "workers: many was accepted"; fi
grep -qF 'key "workers"' <<< "$out" || fail "the refusal does not name the key: $out"

# An unknown default provider stops start-up naming the known ones (issue 11), before any connection.
render --set config.mesh-provider=linkerd > "$tmp/mesh.yaml" || fail "helm template (mesh-provider)"
config_of < "$tmp/mesh.yaml" > "$tmp/mesh-config.yaml"
if out=$("$aviary" --config "$tmp/mesh-config.yaml" --kubeconfig /nonexistent 2>&1); then fail "mesh-provider linkerd was accepted"; fi
grep -qF 'unknown provider "linkerd" (known: appmesh, appmesh:v1beta2, gatewayapi, gatewayapi:v1, istio, kubernetes, replicas, traefik)' <<< "$out" \
  || fail "the refusal does not name the known providers: $out"

# --kube-api-qps takes a number or auto (issue 15); anything else stops start-up, before any connection.
render --set config.kube-api-qps=fast > "$tmp/qps.yaml" || fail "helm template (kube-api-qps)"
config_of < "$tmp/qps.yaml" > "$tmp/qps-config.yaml"
if out=$("$aviary" --config "$tmp/qps-config.yaml" --kubeconfig /nonexistent 2>&1); then fail "kube-api-qps: fast was accepted"; fi
grep -qF -- '--kube-api-qps: "fast" is neither a number of requests per second nor auto' <<< "$out" \
  || fail "the refusal does not explain --kube-api-qps: $out"

python3 - "$tmp/default.yaml" "$root/config/rbac/cluster_role.yaml" <<'PY' || fail "the chart's ClusterRole differs from config/rbac"
import sys, yaml
rendered = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ClusterRole"]
assert len(rendered) == 1, rendered
assert rendered[0]["rules"] == yaml.safe_load(open(sys.argv[2]))["rules"], rendered[0]["rules"]
PY

grep -q "kind: ServiceMonitor" "$tmp/default.yaml" && fail "the ServiceMonitor renders while disabled"
render --set serviceMonitor.enabled=true | grep -q "kind: ServiceMonitor" || fail "serviceMonitor.enabled=true renders none"
echo "PASS: the chart lints, renders a config the operator accepts (every flag), refuses bad values by key"
