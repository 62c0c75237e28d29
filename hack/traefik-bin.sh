#!/usr/bin/env bash
# Build Traefik, the local environment's ingress controller, from the Go module proxy into the
# cache (make traefik-bin):
#
#   .cache/traefik/<version>/bin/traefik
#   .cache/traefik/<version>/logs/build.log
#
# The version is pinned by the traefik/v3 requirement of hack/traefik/go.mod (a module of its own, see
# there). SERIN_TRAEFIK_CACHE overrides the cache directory, as SERIN_KUBE_CACHE does for the
# control plane. A binary already in the cache is reused, so only the first run is slow
# (about 2,500 packages: 605 s on 2 idle cores with an empty build cache, 66 minutes on 2
# cores shared with other heavy builds). Reports progress on stderr and prints the binary's
# path on stdout, so scripts use traefik=$(hack/traefik-bin.sh).
set -euo pipefail
exec 3>&1 1>&2 # everything to stderr, but the final path to the original stdout

root=$(cd "$(dirname "$0")/.." && pwd)
mod=$root/hack/traefik
version=$(awk '{sub(/^require /, "")} $1 == "github.com/traefik/traefik/v3" {print $2}' "$mod/go.mod")
[[ $version =~ ^v3\.[0-9]+\.[0-9]+$ ]] || {
	echo "traefik-bin: hack/traefik/go.mod requires traefik/v3 '$version', want one v3.X.Y" >&2
	exit 1
}
cache=${SERIN_TRAEFIK_CACHE:-$root/.cache/traefik/$version}
bin=$cache/bin/traefik
log=$cache/logs/build.log

if [[ -x $bin ]]; then
	echo "traefik-bin: $version: cached"
else
	mkdir -p "$cache/bin" "$cache/logs"
	echo "traefik-bin: $version: building (log: ${log#"$root"/})"
	start=$SECONDS
	pkg=github.com/traefik/traefik/v3
	ldflags="-X $pkg/pkg/version.Version=$version -X $pkg/pkg/version.BuildDate=module-proxy"
	# Static, no C toolchain needed; -trimpath keeps build paths out of the binary.
	if ! CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -C "$mod" -trimpath -ldflags "$ldflags" \
		-o "$bin.tmp" "$pkg/cmd/traefik" >"$log" 2>&1; then
		echo "traefik-bin: FAILED after $((SECONDS - start))s; last lines of $log:" >&2
		tail -n 30 "$log" >&2
		rm -f "$bin.tmp"
		exit 1
	fi
	mv "$bin.tmp" "$bin"
	echo "traefik-bin: $version: built in $((SECONDS - start))s"
fi

got=$("$bin" version 2>&1 | awk '$1 == "Version:" {print $2}')
[[ $got == "$version" ]] || {
	echo "traefik-bin: $bin version says '$got', want '$version'; delete it and rebuild" >&2
	exit 1
}
echo "$bin" >&3
