#!/usr/bin/env bash
# make demo: the local control plane, Serin's CRDs, the controller and a sample Rollout.
#
# Builds what is missing, starts (or reuses) the cluster "serin" on 127.0.0.1, installs
# the CRDs from manifests/crds, then runs the controller part. Ctrl-C at any point stops
# everything this script started. Without a controller yet, it stops after the CRDs and
# leaves the cluster up for you to explore; `make cluster-down` removes it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name=serin
say() { printf '\n==> %s\n' "$*"; }

# --- what this script started, stopped by the trap on Ctrl-C or failure --------------
started_cluster=0
pids=() # background processes (the controller, later)
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	if ((started_cluster)); then
		say "stopping the cluster this demo started"
		go run ./hack/cluster down -name "$name" || true
	fi
	exit "$status"
}
on_signal() {
	echo
	echo "demo: interrupted" >&2
	exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

# --- build ------------------------------------------------------------------------------
say "building the control plane (cached after the first run; the first takes ~15 min)"
bin=$(hack/kube-bin.sh)
export PATH=$bin:$PATH
if [[ -d cmd/serin-controller && ! -x bin/serin-controller ]]; then
	say "building bin/serin-controller"
	go build -o bin/serin-controller ./cmd/serin-controller
fi

# --- cluster ----------------------------------------------------------------------------
workdir=.cache/cluster/clusters/$name
kubeconfig=$root/$workdir/kubeconfig.yaml
if [[ -d $workdir ]] && kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
	say "reusing the running cluster '$name'"
else
	if [[ -d $workdir ]]; then
		echo "demo: cluster '$name' exists but does not answer; run 'make cluster-down' first" >&2
		exit 1
	fi
	say "starting the cluster '$name'"
	started_cluster=1
	go run ./hack/cluster up -name "$name" -nodes 3
fi
export KUBECONFIG=$kubeconfig

# --- CRDs -------------------------------------------------------------------------------
shopt -s nullglob
crds=(manifests/crds/*.yaml manifests/crds/*.yml)
if [[ -f manifests/crds/kustomization.yaml ]]; then
	source=(-k manifests/crds)
else
	source=("${crds[@]/#/-f}")
fi
if ((${#crds[@]})); then
	say "installing the CRDs from manifests/crds"
	names=$(kubectl apply --server-side --force-conflicts -o name "${source[@]}")
	# shellcheck disable=SC2086 # one name per word
	kubectl wait --for=condition=Established --timeout=60s $names
else
	say "no CRDs in manifests/crds yet"
fi

# =========================================================================================
# CONTROLLER AND SAMPLE ROLLOUT — to be written with the controller (canary issue), here:
#   1. start bin/serin-controller --kubeconfig "$KUBECONFIG" in the background, logging to
#      .cache/demo/controller.log, and add its pid to "pids" so Ctrl-C stops it;
#   2. kubectl apply -f examples/<canary rollout>;
#   3. drive it (set a new image, kubectl serin get rollout --watch, promote);
#   4. `wait` on the controller so that the demo runs until Ctrl-C.
# Until then the demo ends here, exit 0, and leaves the cluster up.
# =========================================================================================
started_cluster=0 # leave it running for the user; make cluster-down stops it
if [[ -x bin/serin-controller ]]; then
	say "stopping here: the demo's controller part is not written yet (see hack/demo.sh)"
else
	say "stopping here: the controller (bin/serin-controller) does not exist yet"
fi
cat <<EOF
The cluster '$name' is up with the CRDs installed. Use it with:

  export KUBECONFIG=$KUBECONFIG
  export PATH=$bin:\$PATH      # the kubectl built with the cluster
  kubectl get nodes

Logs: $root/$workdir/logs/.  Stop it with: make cluster-down
EOF
