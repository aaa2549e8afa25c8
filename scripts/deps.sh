#!/usr/bin/env bash
# Installs every Debian package Aviary needs to build, test and run its demo, then builds the pinned
# Kubernetes components of the real test bed (scripts/build-kube.sh: kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd, kwok) and helm (scripts/build-helm.sh) into ~/.cache/aviary with the
# machine's Go toolchain.
# Idempotent: apt is not touched when everything is already present, Go builds nothing when the cache holds
# the pinned versions.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libboost-program-options-dev
  libcpprest-dev libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  prometheus python3 python3-kubernetes python3-yaml clang-format tmux
  openssl curl util-linux
)
# Extra packages for optional targets (make fuzz: clang and its compiler-rt with libFuzzer).
if [ -n "${AVIARY_EXTRA_PACKAGES:-}" ]; then
  read -r -a extra <<< "$AVIARY_EXTRA_PACKAGES"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# kubectl: tests and the demo use the pinned build below (Debian's kubernetes-client is far too old); a
# kubectl already on PATH is left alone.

build_kube() {
  local go=${GO:-$(command -v go || true)}
  [ -n "$go" ] || go=/usr/local/go/bin/go
  if [ ! -x "$go" ]; then
    echo "deps: the real test bed needs the Go toolchain (1.26; go on PATH, /usr/local/go/bin/go or GO=...)" >&2
    exit 1
  fi
  GO="$go" bash "$(dirname "$0")/build-kube.sh" >/dev/null
  GO="$go" bash "$(dirname "$0")/build-helm.sh" >/dev/null
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all packages present"
  build_kube
  exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo_cmd=(sudo -n)
else
  echo "deps: missing packages (${missing[*]}) and not root; run 'sudo make deps' or install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
build_kube
