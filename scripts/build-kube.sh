#!/usr/bin/env bash
# Builds the real Kubernetes control plane used by the second test bed (issue 9) from the sources pinned in
# tests/cluster/{kube,etcd,kwok}/go.mod: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd and kwok, into ${AVIARY_CACHE:-~/.cache/aviary}/kube-<v>-etcd-<v>-kwok-<v>/bin, only when they are
# missing (a second run builds nothing and does not start Go). Prints that bin folder on stdout.
#
# Needs the Go toolchain named by the go.mod files (go 1.26; `go` on PATH or /usr/local/go/bin/go, or $GO)
# and the Go module proxy. The build is atomic: it goes to a temporary folder beside the final one, which
# is renamed into place when all six commands are there, under a lock so concurrent runs build once.
# Build parallelism: GOFLAGS from the environment is honoured (e.g. GOFLAGS=-p=1 on a shared machine).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster="$root/tests/cluster"
cache=${AVIARY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aviary}

source "$root/scripts/go-build-lib.sh"
kube_version=$(pinned "$cluster/kube/go.mod" k8s.io/kubernetes)
etcd_version=$(pinned "$cluster/etcd/go.mod" go.etcd.io/etcd/server/v3)
kwok_version=$(pinned "$cluster/kwok/go.mod" sigs.k8s.io/kwok)
dest="$cache/kube-$kube_version-etcd-$etcd_version-kwok-$kwok_version"
commands=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() {
  local c
  for c in "${commands[@]}"; do [[ -x "$1/bin/$c" ]] || return 1; done
}

begin_build "$dest" complete
export GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false -trimpath"
export CGO_ENABLED=${CGO_ENABLED:-0}

# Kubernetes' own version stamps (hack/lib/version.sh), so `kubectl version` and /version are truthful.
kube_date=$(cd "$cluster/kube" && "$go" list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)
minor=${kube_version#v*.}
minor=${minor%%.*}
major=${kube_version#v}
major=${major%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean${kube_date:+ -X $pkg.buildDate=$kube_date}"
done

echo "build-kube: building Kubernetes $kube_version, etcd $etcd_version, kwok $kwok_version into $dest" >&2
(cd "$cluster/kube" && "$go" build -ldflags="$kube_ldflags" -o "$tmp/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
(cd "$cluster/etcd" && "$go" build -ldflags="-s -w" -o "$tmp/bin/etcd" go.etcd.io/etcd/server/v3)
(cd "$cluster/kwok" && "$go" build -ldflags="-s -w" -o "$tmp/bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
finish_build "$dest" complete
