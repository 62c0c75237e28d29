#!/usr/bin/env bash
# Run a command in the local environment's own network namespace:
#
#   hack/netns.sh CMD [ARGS...]
#
# A user + network namespace (unshare -rn: no privileges needed where the kernel allows user
# namespaces) that holds only the loopback interface, set up so that:
#   - every address of 10.244.0.0/16 (the fake nodes' pod CIDRs, see test/cluster) is local:
#     a process binds a kwok pod's IP and Traefik, the controller and the tests reach it;
#   - 10.245.0.1 and a default route via lo exist, because kube-apiserver refuses to start
#     without a default route ("Unable to find suitable network address");
#   - nothing but loopback can be contacted: there is no other interface.
# The namespace ends with CMD's last process. Build everything (Go modules, binaries, test
# binaries) before entering it: the module proxy is unreachable from inside.
#
# With SERIN_NETNS_PID=1 (make demo) the namespace also gets its own PID namespace, whose
# first process is CMD: when CMD ends, the kernel kills every process left in it, so nothing
# the environment started outlives it (and, with --kill-child, nothing outlives unshare).
#
# Inside, SERIN_NETNS=1 is set; nested calls run CMD directly. Fails with the cause, and the
# sysctl to change, where user namespaces are unavailable: it never skips.
set -euo pipefail

if (($# == 0)); then
	echo "usage: hack/netns.sh CMD [ARGS...]" >&2
	exit 2
fi
if [[ ${SERIN_NETNS:-} == 1 ]]; then
	exec "$@"
fi

for tool in unshare:util-linux ip:iproute2; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || {
		echo "netns: '${tool%%:*}' is missing; install Debian's ${tool#*:} package" >&2
		exit 1
	}
done

# sysctl_says NAME: the value of a sysctl, or "absent".
sysctl_says() {
	local f=/proc/sys/${1//.//}
	if [[ -r $f ]]; then cat "$f"; else echo absent; fi
}

if ! err=$(unshare -rn true 2>&1); then
	{
		echo "netns: cannot create a user + network namespace (unshare -rn): ${err:-unknown error}"
		echo "netns: the local environment (control plane, Traefik, fake pods) runs in one, so that"
		echo "netns: pod addresses are local and no host other than loopback can be reached."
		echo "netns: the kernel settings that allow it (as root, then retry):"
		v=$(sysctl_says user.max_user_namespaces)
		echo "  user.max_user_namespaces = $v   (must be > 0: sysctl -w user.max_user_namespaces=15000)"
		v=$(sysctl_says kernel.unprivileged_userns_clone)
		echo "  kernel.unprivileged_userns_clone = $v   (Debian/Ubuntu kernels; must be 1: sysctl -w kernel.unprivileged_userns_clone=1)"
		v=$(sysctl_says kernel.apparmor_restrict_unprivileged_userns)
		echo "  kernel.apparmor_restrict_unprivileged_userns = $v   (Ubuntu 23.10+; must be 0: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)"
		echo "netns: inside a container, the container runtime's seccomp/AppArmor profile may forbid unshare too."
	} >&2
	exit 1
fi

pidns=()
if [[ ${SERIN_NETNS_PID:-} == 1 ]]; then
	pidns=(--pid --fork --mount-proc --kill-child)
fi

# The three lines of routing, then CMD in place of the shell.
exec unshare -rn "${pidns[@]}" -- bash -euc '
	ip link set lo up
	ip route add local 10.244.0.0/16 dev lo
	ip addr add 10.245.0.1/32 dev lo
	ip route add default dev lo
	export SERIN_NETNS=1
	exec "$@"
' netns "$@"
