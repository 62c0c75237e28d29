#!/usr/bin/env bash
# Generates the CRDs, with complete OpenAPI v3 schemas and CEL rules, from the markers in
# pkg/apis into manifests/crds, using controller-gen at the version pinned in go.mod.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/manifests/crds}"
cd "$ROOT"
mkdir -p "$OUT"
rm -f "$OUT"/serin.dev_*.yaml
# generateEmbeddedObjectMeta keeps the labels and annotations of the embedded pod template
# (without it they would be pruned). crdtrim then drops the descriptions inside embedded
# Kubernetes types so the CRDs stay small enough for client-side `kubectl apply`.
go tool controller-gen \
    crd:generateEmbeddedObjectMeta=true \
    paths=./pkg/apis/... \
    output:crd:dir="$OUT"
go run ./hack/crdtrim "$OUT"/serin.dev_*.yaml
