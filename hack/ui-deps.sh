#!/usr/bin/env bash
# hack/ui-deps.sh: what the dashboard's front end and its browser tests need, installed
# idempotently — Debian's chromium (headless, for the e2e) and ui/node_modules (npm ci
# from the committed package-lock.json).
#
#   hack/ui-deps.sh            both
#   hack/ui-deps.sh npm        only ui/node_modules (enough for make ui / make ui-test)
#   hack/ui-deps.sh chromium   only the browser
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "ui-deps: '$1' is missing; installing Debian's $2" >&2
	apt_install "$2"
}

apt_install() {
	local sudo=()
	[[ $(id -u) == 0 ]] || sudo=(sudo)
	# Package lists are missing on a fresh image; update once, then install.
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q
	fi
	if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@"; then
		"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@"
	fi
}

npm_deps() {
	need_cmd node nodejs
	need_cmd npm npm
	local stamp=$root/ui/node_modules/.serin-lock
	# npm ci only when the lockfile changed since the last install.
	if [[ -f $stamp ]] && cmp -s "$stamp" "$root/ui/package-lock.json"; then
		return 0
	fi
	echo "ui-deps: npm ci in ui/" >&2
	(cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$root/ui/package-lock.json" "$stamp"
}

chromium_dep() {
	if [[ -x /usr/bin/chromium ]]; then
		return 0
	fi
	echo "ui-deps: installing Debian's chromium for the browser e2e" >&2
	apt_install chromium fonts-liberation
}

case $what in
all) chromium_dep; npm_deps ;;
npm) npm_deps ;;
chromium) chromium_dep ;;
*) echo "usage: hack/ui-deps.sh [all|npm|chromium]" >&2; exit 2 ;;
esac
