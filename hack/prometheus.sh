#!/usr/bin/env bash
# hack/prometheus.sh: make sure a Prometheus server binary is on this machine and print its
# path. The analysis e2e tests (test/e2e/analysis) start it themselves on a free loopback
# port with their own config and temporary storage; the system service is never used.
#
# Idempotent: does nothing when `prometheus` is on PATH or at /usr/bin/prometheus. Otherwise
# installs Debian's `prometheus` package (apt-get, as root or through sudo).
set -euo pipefail

find_prometheus() {
	if command -v prometheus >/dev/null 2>&1; then
		command -v prometheus
	elif [[ -x /usr/bin/prometheus ]]; then
		echo /usr/bin/prometheus
	else
		return 1
	fi
}

if p=$(find_prometheus); then
	echo "$p"
	exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "hack/prometheus.sh: prometheus is missing and installing it needs root (or sudo)" >&2
		exit 1
	fi
	sudo=(sudo)
fi
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900)
echo "hack/prometheus.sh: installing Debian's prometheus package" >&2
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
	"${apt[@]}" update -q >&2
fi
# policy-rc.d 101: the package's service must not start (no init system here, and the
# tests never use it anyway).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
	"${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
	trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
if ! "${apt[@]}" install -y -q --no-install-recommends prometheus >&2; then
	"${apt[@]}" update -q >&2
	"${apt[@]}" install -y -q --no-install-recommends prometheus >&2
fi
find_prometheus
