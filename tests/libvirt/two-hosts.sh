#!/bin/sh
# Two private libvirt hosts on one machine, for the migration test.
#
#   two-hosts.sh up   DIR PREFIX [PID]  start host a and host b; if PID is
#                                       given, tear both down when it ends
#   two-hosts.sh down DIR PREFIX        stop both, delete the namespaces
#
# Each host is a libvirtd in its own network namespace (PREFIX-a, PREFIX-b,
# joined by a veth pair: 10.251.0.1 and 10.251.0.2, nothing else) and its own
# mount namespace (ip netns exec makes one), where DIR/<host>/{run,lib,cache,
# log,etc} are bound over /run/libvirt, /var/lib/libvirt, /var/cache/libvirt,
# /var/log/libvirt and /etc/libvirt: own sockets, state, images and config,
# and its own host_uuid (libvirt refuses to migrate to a host with the same
# UUID). libvirtd listens on TCP (auth none) only on its veth address, and on
# its UNIX socket DIR/<host>/run/libvirt-sock, which the test reaches from
# outside. QEMU runs as root without a security driver or cgroups (a test
# sandbox, not a production setup), its chardevs in files, no virtlogd.
# Host a's QEMU capability probe (~1 min here) is copied to host b so that b
# starts at once.
set -eu

cmd=$1
dir=$2
prefix=$3

addr() { [ "$1" = a ] && echo 10.251.0.1 || echo 10.251.0.2; }

write_config() {
	h=$1
	mkdir -p "$dir/$h/run" "$dir/$h/lib/images" "$dir/$h/cache" "$dir/$h/log" "$dir/$h/etc/qemu"
	uuid=$(cat /proc/sys/kernel/random/uuid)
	cat > "$dir/$h/etc/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "$(addr "$h")"
auth_tcp = "none"
auth_unix_rw = "none"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
host_uuid = "$uuid"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
	cat > "$dir/$h/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
migration_address = "$(addr "$h")"
migration_host = "$(addr "$h")"
CONF
	echo "$uuid" > "$dir/$h/uuid"
}

start_host() {
	h=$1
	ns=$prefix-$h
	ip netns exec "$ns" sh -c "
		mount --bind '$dir/$h/run' /run/libvirt
		mount --bind '$dir/$h/lib' /var/lib/libvirt
		mount --bind '$dir/$h/cache' /var/cache/libvirt
		mount --bind '$dir/$h/log' /var/log/libvirt
		mount --bind '$dir/$h/etc' /etc/libvirt
		exec libvirtd --listen -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid
	" > "$dir/$h/libvirtd.out" 2>&1 &
	i=0
	while [ ! -S "$dir/$h/run/libvirt-sock" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "libvirtd $h did not start" >&2; cat "$dir/$h/libvirtd.out" >&2; exit 1; }
		sleep 0.1
	done
}

case $cmd in
up)
	ip netns add "$prefix-a"
	ip netns add "$prefix-b"
	ip link add "$prefix-va" type veth peer name "$prefix-vb"
	ip link set "$prefix-va" netns "$prefix-a"
	ip link set "$prefix-vb" netns "$prefix-b"
	for h in a b; do
		ip -n "$prefix-$h" link set lo up
		ip -n "$prefix-$h" addr add "$(addr $h)/24" dev "$prefix-v$h"
		ip -n "$prefix-$h" link set "$prefix-v$h" up
		write_config $h
	done
	start_host a
	# The probe happens on the first connection: make it, then share it.
	virsh -c "qemu+unix:///system?socket=$dir/a/run/libvirt-sock" version > "$dir/a/version" 2>&1 || true
	cp -a "$dir/a/cache/." "$dir/b/cache/"
	start_host b
	# A test that dies on an assertion cannot clean up: this watcher does.
	if [ $# -ge 4 ]; then
		setsid sh -c "while kill -0 $4 2>/dev/null; do sleep 1; done; '$0' down '$dir' '$prefix'" \
			> /dev/null 2>&1 < /dev/null &
	fi
	;;
down)
	for h in a b; do
		if [ -f "$dir/$h/run/libvirtd.pid" ]; then
			pid=$(cat "$dir/$h/run/libvirtd.pid")
			kill "$pid" 2>/dev/null || true
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
			kill -9 "$pid" 2>/dev/null || true
		fi
		# QEMUs that outlived their daemon: by the pid files libvirt wrote.
		for p in "$dir/$h/run/qemu/"*.pid; do
			[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null || true
		done
		ip netns del "$prefix-$h" 2>/dev/null || true
	done
	;;
esac
