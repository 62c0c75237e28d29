#!/usr/bin/env bash
# Build the local control plane from the Go module proxy into the cache (make kube-bin):
#
#   .cache/kube/<kube version>/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,
#                                   kubectl,etcd,kwok,kwokctl}
#   .cache/kube/<kube version>/logs/<binary>.log   one build log per binary
#
# A binary already in the cache is skipped, so only the first run is slow (about 15 minutes
# on 2 cores, most of it kube-apiserver). The versions are pinned in hack/kube/VERSION
# (Kubernetes, with hack/kube/go.mod written by hack/kube/pin.sh), in hack/kube/etcd/go.mod
# (etcd) and below (kwok). Reports progress on stderr and prints the bin directory on
# stdout, so scripts use bin=$(hack/kube-bin.sh).
set -euo pipefail
exec 3>&1 1>&2 # everything to stderr, but the final path to the original stdout

root=$(cd "$(dirname "$0")/.." && pwd)
kube_version=$(<"$root/hack/kube/VERSION")
kwok_version=v0.7.0
cache=${SERIN_KUBE_CACHE:-$root/.cache/kube/$kube_version}
bin=$cache/bin
logs=$cache/logs
mkdir -p "$bin" "$logs"

# Static binaries, no C toolchain needed; -trimpath keeps build paths out of them.
export CGO_ENABLED=0
export GOFLAGS=-buildvcs=false

[[ $kube_version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || {
	echo "kube-bin: hack/kube/VERSION holds '$kube_version', want vMAJOR.MINOR.PATCH" >&2
	exit 1
}
major=${BASH_REMATCH[1]}
minor=${BASH_REMATCH[2]}
ldflags=""
# kwokctl reads `<binary> --version` to choose flags, so stamp the real version in.
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean"
done

# step NAME CMD...: run CMD (which writes $tmp) unless bin/NAME exists; on failure name
# the step, show the end of its log and stop.
step() {
	local name=$1
	shift
	if [[ -x $bin/$name ]]; then
		echo "kube-bin: $name: cached"
		return
	fi
	local log=$logs/$name.log start=$SECONDS
	tmp=$bin/.$name.tmp
	echo "kube-bin: $name: building (log: ${log#"$root"/})"
	if ! "$@" >"$log" 2>&1; then
		echo "kube-bin: FAILED at step '$name' after $((SECONDS - start))s; last lines of $log:" >&2
		tail -n 30 "$log" >&2
		rm -f "$tmp"
		exit 1
	fi
	mv "$tmp" "$bin/$name"
	echo "kube-bin: $name: built in $((SECONDS - start))s"
}

kube_build() { # kube_build NAME: a command of k8s.io/kubernetes, via hack/kube/go.mod
	go build -C "$root/hack/kube" -trimpath -ldflags "$ldflags" -o "$tmp" "k8s.io/kubernetes/cmd/$1"
}
etcd_build() {
	go build -C "$root/hack/kube/etcd" -trimpath -o "$tmp" go.etcd.io/etcd/server/v3
}
kwok_install() { # kwok_install NAME: go install into a private GOBIN, then move into place
	local gobin=$bin/.gobin
	mkdir -p "$gobin"
	GOBIN=$gobin go install -trimpath "sigs.k8s.io/kwok/cmd/$1@$kwok_version"
	mv "$gobin/$1" "$tmp"
	rmdir "$gobin"
}

# Quick ones first, so that a broken toolchain or network fails in seconds.
step kwokctl kwok_install kwokctl
step kwok kwok_install kwok
step etcd etcd_build
step kube-scheduler kube_build kube-scheduler
step kubectl kube_build kubectl
step kube-controller-manager kube_build kube-controller-manager
step kube-apiserver kube_build kube-apiserver

# kwokctl chooses flags from `--version`: check that what it will read is the pin.
for b in kube-apiserver kube-controller-manager kube-scheduler; do
	got=$("$bin/$b" --version 2>&1 || true)
	[[ $got == "Kubernetes $kube_version" ]] || {
		echo "kube-bin: $bin/$b --version says '$got', want 'Kubernetes $kube_version'; delete it and rebuild" >&2
		exit 1
	}
done
echo "kube-bin: Kubernetes $kube_version, etcd $("$bin/etcd" --version | awk '/etcd Version/{print $3}'), kwok $kwok_version"
echo "$bin" >&3
