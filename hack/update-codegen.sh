#!/usr/bin/env bash
# Generates deepcopy functions, the typed clientset, informers and listers for
# pkg/apis/rollouts/v1alpha1 with k8s.io/code-generator's kube_codegen.sh, at the version
# pinned in go.mod. Never edit pkg/client or zz_generated.* by hand.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The generators install into the project's cache, not the user's GOPATH.
export GOBIN="${GOBIN_OVERRIDE:-$ROOT/.cache/tools/bin}"
mkdir -p "$GOBIN"
# `go list -m` names a module's folder only once it is in the module cache: fetch it first
# (a fresh machine has not).
go mod download k8s.io/code-generator
CODEGEN_PKG="$(go list -m -f '{{.Dir}}' k8s.io/code-generator)"
# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

MODULE=github.com/serin-dev/serin
BOILERPLATE="$ROOT/hack/boilerplate.go.txt"

kube::codegen::gen_helpers \
    --boilerplate "$BOILERPLATE" \
    "$ROOT/pkg/apis"

kube::codegen::gen_client \
    --with-watch \
    --output-dir "$ROOT/pkg/client" \
    --output-pkg "$MODULE/pkg/client" \
    --boilerplate "$BOILERPLATE" \
    "$ROOT/pkg/apis"
