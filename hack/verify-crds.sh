#!/usr/bin/env bash
# Regenerates the CRDs into a temporary directory and fails when manifests/crds differs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$ROOT/hack/update-crds.sh" "$TMP"
if ! diff -Naupr <(cd "$ROOT/manifests/crds" && ls serin.dev_*.yaml) <(cd "$TMP" && ls serin.dev_*.yaml) ||
   ! diff -Naupr --exclude='kustomization.yaml' "$ROOT/manifests/crds" "$TMP"; then
    echo "verify-crds: manifests/crds is stale; run 'make manifests' and commit the result" >&2
    exit 1
fi
echo "verify-crds: CRDs are up to date"
