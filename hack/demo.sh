#!/usr/bin/env bash
# make demo: the local control plane, Serin's CRDs, the controller and a sample Rollout.
#
# Builds what is missing, starts (or reuses) the cluster "serin" on 127.0.0.1, installs
# the CRDs from manifests/crds, runs bin/serin-controller, applies examples/canary-nginx
# into namespace "demo", ships a new image and leaves the canary paused at its first
# pause, printing the commands to watch, promote and abort it, and the URL of
# `kubectl serin dashboard` showing it live. Ctrl-C stops everything
# this script started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
name=serin
say() { printf '\n==> %s\n' "$*"; }

# --- what this script started, stopped by the trap on Ctrl-C or failure --------------
started_cluster=0
pids=() # background processes: the controller
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
say "building bin/serin-controller"
go build -o bin/serin-controller ./cmd/serin-controller
go build -o bin/kubectl-serin ./cmd/kubectl-serin # embeds the UI that make ui built, if any

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

# --- controller and sample canary ------------------------------------------------------
ns=demo
mkdir -p .cache/demo
say "starting bin/serin-controller (log: .cache/demo/controller.log)"
bin/serin-controller --kubeconfig "$KUBECONFIG" --leader-elect=false --metrics-addr=127.0.0.1:8090 \
	--health-addr=127.0.0.1:8091 >.cache/demo/controller.log 2>&1 &
pids+=($!)

say "applying examples/canary-nginx into namespace '$ns'"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" apply -f examples/canary-nginx/
kubectl -n "$ns" wait --for=jsonpath='{.status.phase}'=Healthy rollout/web --timeout=120s

# --- analysis: a real Prometheus measuring simulated ingress-nginx traffic --------------
# hack/demotraffic serves the request counters ingress-nginx would export for Ingress web
# (0.5% canary errors; POST /errors?ratio= changes that); Prometheus scrapes it every 2s;
# the Rollout gets an analysis step using the shipped serin-nginx-request-success-rate check.
prometheus_bin=$(hack/prometheus.sh)
go build -o .cache/demo/demotraffic ./hack/demotraffic
say "starting demo traffic on 127.0.0.1:8092 and Prometheus on 127.0.0.1:9095 (logs in .cache/demo)"
.cache/demo/demotraffic --addr 127.0.0.1:8092 --namespace "$ns" >.cache/demo/demotraffic.log 2>&1 &
pids+=($!)
rm -rf .cache/demo/prometheus && mkdir -p .cache/demo/prometheus
cat >.cache/demo/prometheus/prometheus.yml <<'YAML'
global: {scrape_interval: 2s}
scrape_configs:
- job_name: demo-ingress-nginx
  static_configs: [{targets: ["127.0.0.1:8092"]}]
YAML
"$prometheus_bin" --config.file=.cache/demo/prometheus/prometheus.yml \
	--storage.tsdb.path=.cache/demo/prometheus/data --web.listen-address=127.0.0.1:9095 \
	>.cache/demo/prometheus.log 2>&1 &
pids+=($!)
# The analysis step must find the canary's series: wait until Prometheus has scraped them.
for _ in $(seq 120); do
	curl -fsS 'http://127.0.0.1:9095/api/v1/query?query=nginx_ingress_controller_requests%5B10s%5D' 2>/dev/null |
		grep -q '"canary":"web-canary"' && break
	sleep 0.5
done
kubectl apply -k manifests/analysis >/dev/null
kubectl -n "$ns" patch rollout web --type=json -p '[{"op":"add","path":"/spec/strategy/canary/steps/2","value":
  {"analysis":{"templates":[{"templateName":"serin-nginx-request-success-rate","clusterScope":true}],
   "args":[{"name":"namespace","value":"'"$ns"'"},{"name":"ingress","value":"web"},{"name":"interval","value":"10s"},
           {"name":"count","value":"3"},{"name":"prometheus-address","value":"http://127.0.0.1:9095"}]}}}]'

say "shipping a new version: image nginxinc/nginx-unprivileged:1.28"
kubectl -n "$ns" patch rollout web --type=json \
	-p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginxinc/nginx-unprivileged:1.28"}]'
kubectl -n "$ns" wait --for=jsonpath='{.status.phase}'=Paused rollout/web --timeout=120s
kubectl -n "$ns" get rollout,replicasets
echo "canary Ingress weight: $(kubectl -n "$ns" get ingress web-web-canary -o jsonpath='{.metadata.annotations.nginx\.ingress\.kubernetes\.io/canary-weight}')"

# --- dashboard --------------------------------------------------------------------------
# `kubectl serin dashboard` from bin/kubectl-serin (make demo builds it with the UI). Its
# first line on stdout is its URL; SERIN_DASHBOARD_PORT picks another port than 3100.
dashboard_url="(not started: see .cache/demo/dashboard.log)"
if [[ -x bin/kubectl-serin ]]; then
	say "starting kubectl serin dashboard (log: .cache/demo/dashboard.log)"
	coproc DASHBOARD { exec bin/kubectl-serin dashboard --kubeconfig "$KUBECONFIG" -A \
		--port "${SERIN_DASHBOARD_PORT:-3100}" 2>.cache/demo/dashboard.log; }
	pids+=("$DASHBOARD_PID")
	if read -r -t 60 line <&"${DASHBOARD[0]}"; then
		dashboard_url=${line##*: }
	else
		echo "demo: the dashboard did not start; see .cache/demo/dashboard.log" >&2
	fi
fi

stop_what="the controller and the dashboard"
((started_cluster)) && stop_what="the controller, the dashboard and the cluster"
cat <<EOF

The canary is paused after step 1 of 7 (setWeight 20), waiting to be promoted.
In another terminal:

  export KUBECONFIG=$KUBECONFIG
  export PATH=$root/bin:$bin:\$PATH   # kubectl-serin (the plugin) and the kubectl built with the cluster

  kubectl serin get rollout web -n $ns --watch     # status, step, weights, revisions and pods, live
  kubectl serin promote web -n $ns                 # go on past the pause
  kubectl serin abort web -n $ns                   # weight back to 0, canary Service to stable, canary down after 30s
  kubectl serin retry web -n $ns                   # after an abort: run the steps again
  kubectl serin plan -f examples/canary-nginx/     # what each step does, offline
  kubectl -n $ns describe rollout web              # conditions and the events of each step

After a promote, step 3 is an analysis: the shipped serin-nginx-request-success-rate
check measures the canary's success rate three times, 10s apart, on a real Prometheus
(kubectl -n $ns get analysisruns). To watch it fail and abort the rollout, raise the
canary's error rate before you promote:

  curl -X POST 'http://127.0.0.1:8092/errors?ratio=0.3'

Otherwise it goes to 50% and 80% with timed pauses and ends Healthy on the new
version. Controller log: $root/.cache/demo/controller.log
Metrics: http://127.0.0.1:8090/metrics
Dashboard (live, with promote and abort): $dashboard_url
Press Ctrl-C to stop $stop_what.
EOF
wait "${pids[@]}"
