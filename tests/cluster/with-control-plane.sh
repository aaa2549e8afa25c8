#!/usr/bin/env bash
# Runs a command against a fresh real control plane (start-control-plane.sh in a scratch folder) with
# AVIARY_TEST_KUBECONFIG naming its admin kubeconfig, then stops the control plane. The command's exit
# status is the script's. Used by ctest for tests that take a kubeconfig (e.g. mesh_service_router_kube).
#
# Usage: with-control-plane.sh COMMAND [ARGS...]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/aviary-cp-XXXXXX")
"$here/start-control-plane.sh" "$dir" >"$dir/control-plane.log" 2>&1 &
cp_pid=$!
cleanup() {
  kill "$cp_pid" 2>/dev/null || true
  wait "$cp_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 600); do  # at most 60 s
  [[ -e "$dir/ready" ]] && break
  if ! kill -0 "$cp_pid" 2>/dev/null; then
    echo "the control plane did not start:" >&2
    tail -n 40 "$dir/control-plane.log" >&2
    exit 1
  fi
  sleep 0.1
done
[[ -e "$dir/ready" ]] || { echo "the control plane was not ready within 60 s" >&2; tail -n 40 "$dir/control-plane.log" >&2; exit 1; }
AVIARY_TEST_KUBECONFIG="$dir/admin.kubeconfig" "$@"
