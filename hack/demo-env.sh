#!/usr/bin/env bash
# The inside half of make demo (hack/demo.sh starts it): the whole environment, in the network
# and PID namespace of hack/netns.sh, where kwok pod addresses (10.244.x.y) are local:
#
#   the cluster "serin-demo", Serin's CRDs, bin/serin-controller, Traefik (hack/ingress, the
#   ingress-nginx provider), the pod simulator (hack/podsim: every pod answers at its IP),
#   Prometheus scraping Traefik's metrics, examples/canary-nginx in namespace demo with an
#   analysis step using the shipped serin-traefik-request-success-rate check, a steady
#   request stream (hack/demoload, its split lines in .cache/demo/traffic.log) and the
#   dashboard; then nsbridge puts the API server, Traefik's entrypoint, Prometheus, the
#   dashboard and the controller's metrics on Unix sockets in .cache/demo/bridge, which
#   hack/demo.sh carries to the host's 127.0.0.1. Once all of it answers it writes
#   .cache/demo/ready (the API server's port) and waits. SIGTERM or SIGINT stop it all.
#
# Binaries come from hack/demo.sh (built before the namespace: the module proxy is not
# reachable in it): .cache/demo/bin, bin/, $SERIN_KUBE_BIN, $SERIN_PROMETHEUS.
set -euo pipefail

if [[ ${SERIN_NETNS:-} != 1 ]]; then
	echo "demo-env: run by hack/demo.sh inside hack/netns.sh's namespace" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=$SERIN_KUBE_BIN:$PATH
name=serin-demo
ns=demo
dbin=.cache/demo/bin
bridge=.cache/demo/bridge
say() { printf '\n==> %s\n' "$*"; }
ports_web=${SERIN_DEMO_WEB_PORT:-8088} ports_traefik=${SERIN_DEMO_TRAEFIK_PORT:-8089}
ports_prom=${SERIN_DEMO_PROMETHEUS_PORT:-9095} ports_dash=${SERIN_DASHBOARD_PORT:-3100}
ports_metrics=8090

pids=()
cluster_started=0
cleanup() {
	local status=$?
	trap - EXIT
	trap '' INT TERM # a second Ctrl-C must not cut the cluster's stop short
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if ((cluster_started)); then
		echo "demo: stopping the cluster '$name'" >&2
		"$dbin/cluster" down -name "$name" >&2 || true
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- cluster ----------------------------------------------------------------------------
workdir=.cache/cluster/clusters/$name
if [[ -d $workdir ]]; then
	# Left by a demo that was killed: its processes died with its PID namespace (hack/demo.sh
	# holds a lock, so no other demo runs). Its pid files name no process here: remove it.
	echo "demo: removing the cluster directory a killed demo left ($workdir)" >&2
	rm -rf "$workdir" ".cache/cluster/configs/$name.yaml"
fi
say "starting the cluster '$name' inside the demo's network namespace"
cluster_started=1
"$dbin/cluster" up -name "$name" -nodes 3 >.cache/demo/cluster.log # its stop and export lines are not for the demo
head -n 1 .cache/demo/cluster.log
export KUBECONFIG=$root/$workdir/kubeconfig.yaml

say "installing the CRDs from manifests/crds"
names=$(kubectl apply --server-side --force-conflicts -o name -k manifests/crds)
# shellcheck disable=SC2086 # one name per word
kubectl wait --for=condition=Established --timeout=60s $names >/dev/null

# --- controller, data plane, metrics ---------------------------------------------------
say "starting bin/serin-controller, Traefik on 127.0.0.1:$ports_web, the pod simulator and Prometheus (logs in .cache/demo)"
bin/serin-controller --kubeconfig "$KUBECONFIG" --leader-elect=false --metrics-addr=127.0.0.1:$ports_metrics \
	--health-addr=127.0.0.1:8091 >.cache/demo/controller.log 2>&1 &
pids+=($!)
"$dbin/ingress" --kubeconfig "$KUBECONFIG" --web "127.0.0.1:$ports_web" --api "127.0.0.1:$ports_traefik" \
	--access-log .cache/demo/traefik-access.log >.cache/demo/traefik.log 2>&1 &
pids+=($!)
"$dbin/podsim" --kubeconfig "$KUBECONFIG" --namespace "$ns" --linger 5s >.cache/demo/podsim.log 2>&1 &
pids+=($!)
rm -rf .cache/demo/prometheus && mkdir -p .cache/demo/prometheus
cat >.cache/demo/prometheus/prometheus.yml <<YAML
global: {scrape_interval: 2s}
scrape_configs:
- job_name: traefik
  static_configs: [{targets: ["127.0.0.1:$ports_traefik"]}]
YAML
"$SERIN_PROMETHEUS" --config.file=.cache/demo/prometheus/prometheus.yml \
	--storage.tsdb.path=.cache/demo/prometheus/data --web.listen-address=127.0.0.1:$ports_prom \
	>.cache/demo/prometheus.log 2>&1 &
pids+=($!)
for _ in $(seq 60); do
	curl -fsS "http://127.0.0.1:$ports_traefik/ping" >/dev/null 2>&1 && break
	sleep 0.5
done
curl -fsS "http://127.0.0.1:$ports_traefik/ping" >/dev/null || {
	echo "demo: Traefik does not answer; end of .cache/demo/traefik.log:" >&2
	tail -n 20 .cache/demo/traefik.log >&2
	exit 1
}

# --- the sample canary, with the shipped Traefik analysis --------------------------------
say "applying examples/canary-nginx into namespace '$ns'"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" apply -f examples/canary-nginx/
kubectl -n "$ns" wait --for=jsonpath='{.status.phase}'=Healthy rollout/web --timeout=120s
kubectl apply -k manifests/analysis >/dev/null
# Traefik names the canary's backend after the stable Ingress, its Service and port (name
# "http"): see manifests/analysis/traefik_success_rate.yaml.
canary_service=$ns-web-web-stable-http-canary@kubernetesingressnginx
# A 10 s pause first: a canary promoted at once has no rate in Prometheus yet (its series are
# younger than the window), and an empty measurement is Inconclusive.
kubectl -n "$ns" patch rollout web --type=json -p '[{"op":"add","path":"/spec/strategy/canary/steps/2","value":{"pause":{"duration":"10s"}}},
  {"op":"add","path":"/spec/strategy/canary/steps/3","value":
  {"analysis":{"templates":[{"templateName":"serin-traefik-request-success-rate","clusterScope":true}],
   "args":[{"name":"service","value":"'"$canary_service"'"},{"name":"interval","value":"10s"},
           {"name":"count","value":"3"},{"name":"prometheus-address","value":"http://127.0.0.1:'"$ports_prom"'"}]}}}]' >/dev/null

say "starting the request stream: $(printf '%s' "100 req/s to Ingress web through Traefik (split lines in .cache/demo/traffic.log)")"
"$dbin/demoload" --kubeconfig "$KUBECONFIG" --url "http://127.0.0.1:$ports_web/" --host web.example.com \
	--namespace "$ns" --rollout web --rate 100 --every 5s >.cache/demo/traffic.log 2>&1 &
pids+=($!)

say "shipping a new version: image nginxinc/nginx-unprivileged:1.28"
kubectl -n "$ns" patch rollout web --type=json \
	-p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginxinc/nginx-unprivileged:1.28"}]'
kubectl -n "$ns" wait --for=jsonpath='{.status.phase}'=Paused rollout/web --timeout=120s
kubectl -n "$ns" get rollout,replicasets

# --- dashboard and the bridge to the host ---------------------------------------------
say "starting kubectl serin dashboard (log: .cache/demo/dashboard.log)"
bin/kubectl-serin dashboard --kubeconfig "$KUBECONFIG" -A --port "$ports_dash" \
	>.cache/demo/dashboard.url 2>.cache/demo/dashboard.log &
pids+=($!)

api_port=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')
api_port=${api_port##*:}
rm -rf "$bridge" && mkdir -p "$bridge"
"$dbin/nsbridge" "unix:$bridge/api.sock=tcp:127.0.0.1:$api_port" \
	"unix:$bridge/web.sock=tcp:127.0.0.1:$ports_web" \
	"unix:$bridge/prometheus.sock=tcp:127.0.0.1:$ports_prom" \
	"unix:$bridge/dashboard.sock=tcp:127.0.0.1:$ports_dash" \
	"unix:$bridge/metrics.sock=tcp:127.0.0.1:$ports_metrics" 2>.cache/demo/nsbridge-inside.log &
pids+=($!)
for _ in $(seq 60); do
	[[ -S $bridge/metrics.sock && -s .cache/demo/dashboard.url ]] && break
	sleep 0.5
done
printf 'API_PORT=%s\n' "$api_port" >.cache/demo/ready.tmp
mv .cache/demo/ready.tmp .cache/demo/ready
# Wait for a signal (or for a process to end: then the demo is broken, stop it all).
wait -n "${pids[@]}" || true
echo "demo: a process of the environment ended (on Ctrl-C, they stop first; else see the logs in .cache/demo)" >&2
exit 1
