#!/usr/bin/env bash
# Installs the Debian packages the e2e suite needs when they are missing: tmux (the e2e test
# of `kubectl serin get rollout --watch` drives the plugin in a tmux pane) and iproute2 (`ip`,
# which hack/netns.sh uses to set up the environment's own network namespace). Idempotent;
# safe to run while others install packages (waits for the dpkg lock).
set -euo pipefail

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
if ((${#missing[@]} == 0)); then
	exit 0
fi
sudo=""
if [[ $(id -u) != 0 ]]; then
	sudo="sudo"
fi
if [[ ! -d /var/lib/apt/lists/partial ]] || [[ -z $(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e partial -e lock) ]]; then
	$sudo apt-get -o DPkg::Lock::Timeout=900 update
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}"
tmux -V
ip -V
