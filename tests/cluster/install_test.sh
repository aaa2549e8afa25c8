#!/usr/bin/env bash
# Issue 14: `kubectl apply -f crds/ && kubectl apply -k config/` installs Aviary on the real control plane. The API server validates
# every manifest (the CRDs' schemas, RBAC, the hardened Deployment), the Deployment rolls out two ready
# replicas on kwok's nodes, and the operator's ServiceAccount may do what its features need and nothing of
# an administrator's. Run by ctest through with-control-plane.sh (AVIARY_TEST_KUBECONFIG).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${KUBE_BIN:-$("$root/scripts/build-kube.sh")}
kc() { "$bin/kubectl" --kubeconfig "$AVIARY_TEST_KUBECONFIG" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

kc apply -f "$root/crds" > /dev/null || fail "kubectl apply -f crds/ was refused"
kc apply -k "$root/config" > /dev/null || fail "kubectl apply -k config/ was refused"
for crd in canaries.aviary.io metrictemplates.aviary.io alertproviders.aviary.io; do
  kc wait --for=condition=Established "crd/$crd" --timeout=30s > /dev/null || fail "$crd not established"
done
kc -n aviary-system rollout status deployment/aviary --timeout=60s > /dev/null || fail "the Deployment did not roll out"
ready=$(kc -n aviary-system get deployment aviary -o jsonpath='{.status.readyReplicas}')
[[ $ready == 2 ]] || fail "ready replicas: $ready, want 2"
spec=$(kc -n aviary-system get deployment aviary -o json)
for want in '"readOnlyRootFilesystem": true' '"runAsNonRoot": true' '"allowPrivilegeEscalation": false' \
            '"type": "RuntimeDefault"' '"path": "/healthz"' '"path": "/readyz"'; do
  grep -qF "$want" <<< "$spec" || fail "the Deployment lacks $want"
done
# The ServiceAccount's rights: what the features need, and not what they do not.
as=(--as system:serviceaccount:aviary-system:aviary)
for allowed in "list canaries.aviary.io -A" "update canaries.aviary.io/status -n apps" \
               "create deployments.apps -n apps" "get leases.coordination.k8s.io/aviary-leader -n aviary-system" \
               "create leases.coordination.k8s.io -n aviary-system"; do
  # shellcheck disable=SC2086
  [[ $(kc auth can-i $allowed "${as[@]}") == yes ]] || fail "the operator may not: $allowed"
done
for refused in "get leases.coordination.k8s.io/other -n aviary-system" "create clusterrolebindings" \
               "delete namespaces" "get leases.coordination.k8s.io/aviary-leader -n kube-system"; do
  # shellcheck disable=SC2086
  [[ $(kc auth can-i $refused "${as[@]}" || true) == no ]] || fail "the operator may, but must not: $refused"
done
kc delete -k "$root/config" --wait=false > /dev/null || fail "kubectl delete -k config/"
echo "PASS: kubectl apply -f crds/ -k config/ installed Aviary (2 ready replicas, hardened, least privilege)"
