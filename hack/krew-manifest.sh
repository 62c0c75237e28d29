#!/usr/bin/env bash
# hack/krew-manifest.sh VERSION [OS/ARCH...]: builds kubectl-serin for each platform
# (default: linux and darwin, amd64 and arm64) into dist/kubectl-serin_<os>_<arch>.tar.gz
# with the version stamped in, and renders plugins/krew/serin.yaml into dist/serin.yaml
# with the version and the archives' sha256.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=${1:?usage: hack/krew-manifest.sh VERSION [OS/ARCH...]}
shift
platforms=("$@")
((${#platforms[@]})) || platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)

mkdir -p dist
manifest=$(<plugins/krew/serin.yaml)
manifest=${manifest//\{\{VERSION\}\}/$version}
for p in "${platforms[@]}"; do
	os=${p%/*} arch=${p#*/}
	work=$(mktemp -d)
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -X main.version=$version" -o "$work/kubectl-serin" ./cmd/kubectl-serin
	cp LICENSE "$work/" 2>/dev/null || true
	archive=dist/kubectl-serin_${os}_${arch}.tar.gz
	tar -C "$work" -czf "$archive" .
	rm -rf "$work"
	sum=$(sha256sum "$archive" | cut -d' ' -f1)
	manifest=${manifest//\{\{SHA256_${os}_${arch}\}\}/$sum}
	echo "krew: $archive $sum"
done
printf '%s\n' "$manifest" >dist/serin.yaml
if grep -q '{{SHA256_' dist/serin.yaml; then
	echo "krew: dist/serin.yaml still lacks some platforms' sha256 (built only: ${platforms[*]})" >&2
fi
echo "krew: wrote dist/serin.yaml"
