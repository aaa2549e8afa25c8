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

# The version that a go.mod requires of a module, read without starting Go (so the warm path stays instant).
pinned() {
  local v
  v=$(awk -v m="$2" '($1 == m && $2 ~ /^v/) || ($1 == "require" && $2 == m) { print ($1 == "require") ? $3 : $2; exit }' "$1")
  [[ -n $v ]] || { echo "build-kube: $2 is not required in $1" >&2; exit 1; }
  echo "$v"
}
kube_version=$(pinned "$cluster/kube/go.mod" k8s.io/kubernetes)
etcd_version=$(pinned "$cluster/etcd/go.mod" go.etcd.io/etcd/server/v3)
kwok_version=$(pinned "$cluster/kwok/go.mod" sigs.k8s.io/kwok)
dest="$cache/kube-$kube_version-etcd-$etcd_version-kwok-$kwok_version"
commands=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() {
  local c
  for c in "${commands[@]}"; do [[ -x "$1/bin/$c" ]] || return 1; done
}

if complete "$dest"; then
  echo "$dest/bin"
  exit 0
fi

go=${GO:-$(command -v go || true)}
[[ -n $go ]] || go=/usr/local/go/bin/go
[[ -x $go ]] || { echo "build-kube: no Go toolchain (install Go 1.26 or set GO=/path/to/go)" >&2; exit 1; }

mkdir -p "$cache"
exec 9> "$cache/.build-kube.lock"
flock 9
if complete "$dest"; then # another run built it while we waited for the lock
  echo "$dest/bin"
  exit 0
fi

tmp=$(mktemp -d "$cache/.kube-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
start=$(date +%s)
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
complete "$tmp" || { echo "build-kube: a command is missing from $tmp/bin" >&2; exit 1; }

rm -rf "$dest" # an incomplete folder left by hand; complete ones returned above
chmod 755 "$tmp"
mv -T "$tmp" "$dest"
trap - EXIT
echo "build-kube: built in $(($(date +%s) - start)) s" >&2
echo "$dest/bin"
