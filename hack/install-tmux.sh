#!/usr/bin/env bash
# Installs tmux (Debian package) when it is missing: the e2e test of
# `kubectl serin get rollout --watch` drives the plugin in a tmux pane. Idempotent; safe
# to run while others install packages (waits for the dpkg lock).
set -euo pipefail

if command -v tmux >/dev/null 2>&1; then
	exit 0
fi
sudo=""
if [[ $(id -u) != 0 ]]; then
	sudo="sudo"
fi
if [[ ! -d /var/lib/apt/lists/partial ]] || [[ -z $(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e partial -e lock) ]]; then
	$sudo apt-get -o DPkg::Lock::Timeout=900 update
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends tmux
tmux -V
