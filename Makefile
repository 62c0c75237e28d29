# Serin — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := $(CURDIR)/bin

.PHONY: all build test unit e2e bench bench-smoke lint codegen manifests verify demo \
        kube-bin traefik-bin cluster-up cluster-down tools clean install tmux

all: build

## build: compile every binary into ./bin
build:
	$(GO) build ./...
	@mkdir -p $(BIN)
	@for d in cmd/*/; do [ -f "$$d/main.go" ] || continue; \
	  n=$$(basename $$d); echo "go build -o bin/$$n ./$$d"; $(GO) build -o $(BIN)/$$n ./$$d; done

## test: every test — unit tests, then the e2e suite on the local control plane, then
## the benchmark's smoke test
test: unit e2e bench-smoke

## unit: fast tests, no cluster
unit:
	$(GO) test -count=1 ./...

## e2e: tests against the real local control plane (builds it on first use)
e2e: kube-bin traefik-bin build tmux
	hack/e2e.sh

## bench: the performance report (README "Performance"); QUICK=1 for the short run,
## BENCH_FLAGS for more (e.g. BENCH_FLAGS="-idle-n 5000 -only idle")
bench: kube-bin
	$(GO) build -o $(BIN)/serin-controller ./cmd/serin-controller
	SERIN_KUBE_BIN=$$(hack/kube-bin.sh) $(GO) run ./test/bench/cmd $(if $(filter 1,$(QUICK)),-quick) $(BENCH_FLAGS)

## bench-smoke: `make bench QUICK=1`, then a check that its report is complete and
## well-formed (never a time)
bench-smoke: kube-bin
	rm -rf .cache/bench/smoke
	$(MAKE) --no-print-directory bench QUICK=1 BENCH_FLAGS="-out .cache/bench/smoke"
	$(GO) run ./test/bench/cmd -verify .cache/bench/smoke/report.json

## lint: go vet, gofmt, staticcheck
lint:
	hack/lint.sh

## codegen: deepcopy, clientset, informers, listers into pkg/client
codegen:
	hack/update-codegen.sh

## manifests: CRDs with OpenAPI schemas from the API markers into manifests/crds
manifests:
	hack/update-crds.sh

## verify: fail when generated code, CRDs or formatting are stale
verify:
	hack/verify-codegen.sh
	hack/verify-crds.sh
	hack/lint.sh

## kube-bin: build etcd, kube-apiserver, controller-manager, scheduler, kubectl, kwok (cached)
kube-bin:
	hack/kube-bin.sh

## traefik-bin: build Traefik, the local ingress controller (pinned in hack/traefik/go.mod; cached)
traefik-bin:
	hack/traefik-bin.sh

## cluster-up / cluster-down: the local control plane on loopback
cluster-up: kube-bin
	$(GO) run ./hack/cluster up

cluster-down:
	$(GO) run ./hack/cluster down

## demo: a sample canary under real traffic (Traefik, simulated pods, Prometheus), all in
## its own network namespace and bridged to the host's 127.0.0.1; Ctrl-C stops it all
demo: kube-bin traefik-bin build tmux
	hack/demo.sh

clean:
	rm -rf $(BIN)

## install: go install the kubectl plugin into $GOBIN (default ~/go/bin); kubectl finds it on PATH
install:
	$(GO) install ./cmd/kubectl-serin

## tmux: install the Debian packages the e2e suite and the demo need when missing (tmux, iproute2)
tmux:
	hack/install-tmux.sh

# --- dashboard front end (ui/, embedded by pkg/dashboard) -------------------------------
.PHONY: ui ui-test ui-deps
build: ui
test: ui-test
e2e: ui-deps

## ui: npm ci (when package-lock.json changed) and vite build into pkg/dashboard/assets/dist
ui:
	hack/ui-deps.sh npm
	cd ui && npm run --silent build

## ui-test: the front end's unit tests (vitest)
ui-test:
	hack/ui-deps.sh npm
	cd ui && npm test --silent

## ui-deps: Debian's chromium for the browser e2e, and ui/node_modules
ui-deps:
	hack/ui-deps.sh
