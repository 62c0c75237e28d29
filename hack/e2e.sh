#!/usr/bin/env bash
# make e2e: the end-to-end suite against the real local control plane.
#
#   hack/e2e.sh [go test flags...] [./test/e2e/<package>...]
#                                     e.g. hack/e2e.sh -run TestBlueGreen ./test/e2e/canary
#
# Builds the control plane and Traefik first if needed (hack/kube-bin.sh, hack/traefik-bin.sh;
# cached after the first run) and compiles the test packages, then runs the suite inside the
# local environment's network namespace (hack/netns.sh): only loopback there, fake pods'
# addresses local, the module proxy out of reach (GOPROXY=off: nothing is fetched inside).
# Each test package starts its own cluster (test/e2e/framework); logs and failure dumps go
# to .cache/e2e/<cluster>/. SERIN_E2E_KEEP_CLUSTER=1 leaves the clusters running (they live
# in the namespace, which ends with its last process: with the suite, once they are killed).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin=$(hack/kube-bin.sh)
# Traefik, the ingress controller of the real-traffic tests (framework.WithTraefik).
SERIN_TRAEFIK_BIN=$(hack/traefik-bin.sh)
export SERIN_TRAEFIK_BIN
# The analysis e2e tests start a real Prometheus (Debian's package; installed when missing).
hack/prometheus.sh >/dev/null
export SERIN_KUBE_BIN=$bin
export PATH=$bin:$PATH

# Clusters whose test binary is gone (killed by go test's -timeout, which gives it no
# chance to clean up) are deleted here, before and after the run. The test binary's pid
# ends the cluster name: e2e-<package>-<pid>.
sweep() {
	local dir name pid pids p
	for dir in .cache/cluster/clusters/e2e-*; do
		[[ -d $dir ]] || continue
		name=$(basename "$dir")
		pid=${name##*-}
		if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
			continue
		fi
		echo "e2e: deleting leftover cluster $name"
		pids=()
		for p in "$dir"/pids/*.pid; do [[ -f $p ]] && pids+=("$(<"$p")"); done
		KWOK_WORKDIR=$root/.cache/cluster "$bin/kwokctl" --name "$name" delete cluster \
			--kubeconfig="$root/.cache/cluster/no-kubeconfig.yaml" >/dev/null 2>&1 ||
			echo "e2e: could not delete $name; see $dir" >&2
		# kwokctl signals the components and returns; their ports are free once they exit.
		for p in "${pids[@]}"; do
			for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		done
	done
}
sweep
# Artifacts of runs older than three days go; recent ones stay for comparison.
find .cache/e2e -mindepth 1 -maxdepth 1 -type d -mtime +3 -exec rm -rf {} + 2>/dev/null || true

# Packages named among the arguments (./test/e2e/canary) run alone; otherwise all of them.
pkgs=(./test/e2e/...)
for a in "$@"; do
	if [[ $a == ./* ]]; then
		pkgs=()
		break
	fi
done
# Compile every test package here, where the module proxy is reachable; inside the namespace
# go test then finds everything in the module and build caches.
build=()
for a in "$@" "${pkgs[@]}"; do
	if [[ $a == ./* ]]; then build+=("$a"); fi
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; [[ ${SERIN_E2E_KEEP_CLUSTER:-} == 1 ]] || sweep' EXIT
echo "e2e: compiling ${build[*]}"
go test -tags e2e -c -o "$scratch/" "${build[@]}"
rm -rf "$scratch"/*

hack/netns.sh env GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
	go test -tags e2e -count=1 -timeout 60m -v "$@" "${pkgs[@]}"
