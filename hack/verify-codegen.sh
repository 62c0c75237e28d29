#!/usr/bin/env bash
# Regenerates the code into a temporary copy of the tree and fails when it differs from
# what is committed: generated code is never stale and never hand-edited.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Copy the module (without caches and build outputs) and regenerate there.
tar -C "$ROOT" --exclude=./.cache --exclude=./bin --exclude=./.git --exclude=./ui/node_modules -cf - . | tar -C "$TMP" -xf -
GOBIN_OVERRIDE="$ROOT/.cache/tools/bin" "$TMP/hack/update-codegen.sh" >/dev/null

status=0
for d in pkg/client pkg/apis; do
    if ! diff -Naupr "$ROOT/$d" "$TMP/$d"; then
        status=1
    fi
done
if [ "$status" != 0 ]; then
    echo "verify-codegen: generated code is stale; run 'make codegen' and commit the result" >&2
    exit 1
fi
echo "verify-codegen: generated code is up to date"
