#!/usr/bin/env bash
# `make demo`: what runs today. The sandbox and the canary controller are not built yet (README).
set -euo pipefail
build_dir=${1:-build}
"$build_dir/tests/aviary-client-demo" "$build_dir/operator/aviary"
