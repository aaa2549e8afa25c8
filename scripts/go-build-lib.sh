# Sourced by the build scripts of the Go test components (build-kube.sh, build-helm.sh): each builds
# pinned commands into a cache folder once, atomically (a temporary folder renamed into place) and under a
# lock (concurrent runs build once); a warm cache answers without starting Go.

# pinned GO_MOD MODULE: the version that GO_MOD requires of MODULE, read without starting Go.
pinned() {
  local v
  v=$(awk -v m="$2" '($1 == m && $2 ~ /^v/) || ($1 == "require" && $2 == m) { print ($1 == "require") ? $3 : $2; exit }' "$1")
  [[ -n $v ]] || { echo "$(basename "$0"): $2 is not required in $1" >&2; exit 1; }
  echo "$v"
}

# begin_build DEST COMPLETE: when the command COMPLETE DEST succeeds, prints DEST/bin and exits; otherwise
# takes the lock, checks again, and sets `go` (the toolchain: $GO, go on PATH or /usr/local/go/bin/go),
# `tmp` (an empty DEST-to-be with bin/, removed on failure) and `start`.
begin_build() {
  local dest=$1 complete=$2 cache
  if "$complete" "$dest"; then echo "$dest/bin"; exit 0; fi
  go=${GO:-$(command -v go || true)}
  [[ -n $go ]] || go=/usr/local/go/bin/go
  [[ -x $go ]] || { echo "$(basename "$0"): no Go toolchain (install Go 1.26 or set GO=/path/to/go)" >&2; exit 1; }
  cache=$(dirname "$dest")
  mkdir -p "$cache"
  exec 9> "$dest.lock"
  flock 9
  if "$complete" "$dest"; then echo "$dest/bin"; exit 0; fi  # another run built it while we waited
  tmp=$(mktemp -d "$dest.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/bin"
  start=$(date +%s)
}

# finish_build DEST COMPLETE: checks the build in $tmp, moves it to DEST and prints DEST/bin.
finish_build() {
  local dest=$1 complete=$2
  "$complete" "$tmp" || { echo "$(basename "$0"): a command is missing from $tmp/bin" >&2; exit 1; }
  rm -rf "$dest"  # an incomplete folder left by hand; complete ones returned in begin_build
  chmod 755 "$tmp"
  mv -T "$tmp" "$dest"
  trap - EXIT
  echo "$(basename "$0"): built in $(($(date +%s) - start)) s" >&2
  echo "$dest/bin"
}
