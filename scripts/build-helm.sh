#!/usr/bin/env bash
# Builds the helm command that the chart's tests use (issue 14) from the release pinned in
# tests/cluster/helm/go.mod, into ${AVIARY_CACHE:-~/.cache/aviary}/helm-<v>/bin, only when it is missing (a
# second run builds nothing and does not start Go). Prints that bin folder on stdout.
#
# Needs the Go toolchain (go 1.26) and the Go module proxy; about 70 s on 2 cores with a cold build cache.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/go-build-lib.sh"
cache=${AVIARY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aviary}
version=$(pinned "$root/tests/cluster/helm/go.mod" helm.sh/helm/v3)
dest="$cache/helm-$version"
complete() { [[ -x $1/bin/helm ]]; }

begin_build "$dest" complete
echo "build-helm: building Helm $version into $dest" >&2
# Helm's own version stamp (its Makefile's LDFLAGS), so `helm version` is truthful.
(cd "$root/tests/cluster/helm" &&
  CGO_ENABLED=${CGO_ENABLED:-0} GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false -trimpath" \
    "$go" build -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$tmp/bin/helm" \
    helm.sh/helm/v3/cmd/helm)
finish_build "$dest" complete
