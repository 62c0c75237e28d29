#!/usr/bin/env bash
# make demo: a canary under real traffic, on one machine, without root.
#
# Builds what is missing on the host (the module proxy is not reachable later), then runs the
# whole environment — the cluster, the controller, Traefik, the pod simulator, Prometheus and
# a steady request stream — in its own network and PID namespace (hack/netns.sh, started by
# hack/demo-env.sh), where kwok pod addresses are local and nothing but loopback exists. Your
# browser and shell stay on the host: nsbridge carries the API server, Traefik's entrypoint,
# Prometheus, the dashboard and the controller's metrics to the host's 127.0.0.1 through Unix
# sockets in .cache/demo/bridge, and .cache/demo/kubeconfig.yaml points kubectl at the bridged
# API server. The demo leaves the canary paused at 20% and prints the measured split every
# 5 s. Ctrl-C stops everything: the namespace's processes end with its first process.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf '\n==> %s\n' "$*"; }
dbin=.cache/demo/bin
bridge=.cache/demo/bridge
web_port=${SERIN_DEMO_WEB_PORT:-8088}
prom_port=${SERIN_DEMO_PROMETHEUS_PORT:-9095}
dash_port=${SERIN_DASHBOARD_PORT:-3100}
metrics_port=8090

# The environment needs a user + network namespace: say so before building anything.
hack/netns.sh true

# --- build, on the host -------------------------------------------------------------------
say "building the control plane and Traefik (cached after the first run)"
SERIN_KUBE_BIN=$(hack/kube-bin.sh)
export SERIN_KUBE_BIN
hack/traefik-bin.sh >/dev/null
SERIN_PROMETHEUS=$(hack/prometheus.sh)
export SERIN_PROMETHEUS
say "building bin/serin-controller, bin/kubectl-serin and the demo's tools"
mkdir -p "$dbin"
go build -o bin/serin-controller ./cmd/serin-controller
go build -o bin/kubectl-serin ./cmd/kubectl-serin # embeds the UI that make ui built, if any
for tool in cluster ingress podsim demoload nsbridge; do
	go build -o "$dbin/$tool" "./hack/$tool"
done

# One demo at a time: it owns the cluster "serin-demo" and the ports.
exec 9>.cache/demo/lock
flock -n 9 || {
	echo "demo: another make demo is running (lock .cache/demo/lock)" >&2
	exit 1
}

# --- what this script started, stopped on Ctrl-C, on failure and at the end -------------
nspid= hostpids=()
cleanup() {
	local status=$?
	trap - EXIT
	trap '' INT TERM # a second Ctrl-C must not cut the environment's stop short
	for pid in "${hostpids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	if [[ -n $nspid ]] && kill -0 "$nspid" 2>/dev/null; then
		say "stopping the environment (the cluster, then everything in the namespace)"
		# The namespace's first process (hack/demo-env.sh, the child of unshare) stops the
		# cluster; when it exits, the kernel kills whatever is left in the PID namespace.
		local init
		init=$(cat "/proc/$nspid/task/$nspid/children" 2>/dev/null || true)
		for pid in $init; do kill -TERM "$pid" 2>/dev/null || true; done
		for _ in $(seq 120); do
			kill -0 "$nspid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$nspid" 2>/dev/null || true # --kill-child: the namespace goes with it
	fi
	wait 2>/dev/null || true
	rm -rf "$bridge" .cache/demo/ready
	exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT TERM

# --- the environment, in its namespace ---------------------------------------------------
rm -rf "$bridge" .cache/demo/ready
SERIN_NETNS_PID=1 hack/netns.sh hack/demo-env.sh &
nspid=$!
until [[ -f .cache/demo/ready ]]; do
	if ! kill -0 "$nspid" 2>/dev/null; then
		wait "$nspid" || true
		nspid=
		echo "demo: the environment did not start (see above and the logs in .cache/demo)" >&2
		exit 1
	fi
	sleep 0.5
done
# shellcheck disable=SC1091 # written by hack/demo-env.sh: API_PORT=...
source .cache/demo/ready

# --- the bridge to the host ------------------------------------------------------------
# port_free PORT: nothing on the host answers at 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The API server keeps its port on the host when it can; the certificate names 127.0.0.1,
# not a port, so another port verifies as well.
api_port=$API_PORT
while ! port_free "$api_port"; do api_port=$((api_port + 1)); done
for p in "$web_port" "$prom_port" "$dash_port" "$metrics_port"; do
	port_free "$p" || {
		echo "demo: 127.0.0.1:$p is taken on the host (SERIN_DEMO_WEB_PORT, SERIN_DEMO_PROMETHEUS_PORT and SERIN_DASHBOARD_PORT choose others)" >&2
		exit 1
	}
done
"$dbin/nsbridge" "tcp:127.0.0.1:$api_port=unix:$bridge/api.sock" \
	"tcp:127.0.0.1:$web_port=unix:$bridge/web.sock" \
	"tcp:127.0.0.1:$prom_port=unix:$bridge/prometheus.sock" \
	"tcp:127.0.0.1:$dash_port=unix:$bridge/dashboard.sock" \
	"tcp:127.0.0.1:$metrics_port=unix:$bridge/metrics.sock" 2>.cache/demo/nsbridge-host.log &
hostpids+=($!)
kubeconfig=$root/.cache/demo/kubeconfig.yaml
sed "s#server: https://127.0.0.1:$API_PORT#server: https://127.0.0.1:$api_port#" \
	".cache/cluster/clusters/serin-demo/kubeconfig.yaml" >"$kubeconfig"
for _ in $(seq 40); do
	KUBECONFIG=$kubeconfig "$SERIN_KUBE_BIN/kubectl" get --raw /readyz >/dev/null 2>&1 && break
	sleep 0.25
done
dashboard_url=$(sed -n 's/.*: //p' .cache/demo/dashboard.url | head -n 1)

cat <<EOF

The canary is paused after step 1 of 8 (setWeight 20), under 100 requests a second through
Traefik. Everything runs in the demo's own network namespace; on this host's 127.0.0.1:

  API server   https://127.0.0.1:$api_port   (kubeconfig: $kubeconfig)
  Ingress web  http://127.0.0.1:$web_port/     (Traefik; curl -H 'Host: web.example.com' http://127.0.0.1:$web_port/)
  Prometheus   http://127.0.0.1:$prom_port/     (Traefik's metrics, scraped every 2s)
  Dashboard    $dashboard_url
  Controller   http://127.0.0.1:$metrics_port/metrics

In another terminal:

  export KUBECONFIG=$kubeconfig
  export PATH=$root/bin:$SERIN_KUBE_BIN:\$PATH   # kubectl-serin (the plugin) and kubectl

  kubectl serin get rollout web -n demo --watch     # status, step, weights, revisions and pods, live
  kubectl serin promote web -n demo                 # go on past the pause
  kubectl serin abort web -n demo                   # weight back to 0, canary down after 30s
  kubectl serin retry web -n demo                   # after an abort: run the steps again

After a promote and a 10s pause, step 4 is an analysis: the shipped serin-traefik-request-success-rate check
measures the canary's success rate on Traefik's own metrics of these requests, three times
10s apart (kubectl -n demo get analysisruns). To watch a bad release get aborted, ship one
whose pods fail 30% of requests (the pod simulator reads SERIN_SIM_ERROR_RATE), then promote:

  kubectl -n demo patch rollout web --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/env","value":[{"name":"SERIN_SIM_ERROR_RATE","value":"0.3"}]}]'

Below, the split the requests measured, every 5s (also in .cache/demo/traffic.log).
Press Ctrl-C to stop everything.
EOF
tail -n +1 -f .cache/demo/traffic.log &
hostpids+=($!)
wait "$nspid" || true
nspid=
echo "demo: the environment stopped (see the logs in .cache/demo)" >&2
exit 1
