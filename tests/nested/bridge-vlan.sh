#!/bin/sh
# bridge-vlan.sh — `--net bridge=BR,vlan=10` where the kernel's bridges
# filter VLANs (Debian's do; the host kernel here does not): run by
# tests/nested/test-bridge-vlan.c in the nested test bed's outer guest.
#
# A bridge with vlan_filtering, two veth pairs whose bridge ends are
# untagged members of VLAN 10 and VLAN 20; the tiny virtio-net guest in
# glassbox-vmm, its tap made by glassbox-bridge-helper as a member of VLAN
# 10.  gb-frame listens on the far ends; the test reads what each heard.
. $GB_IN/bed-lib.sh
require_kvm
if [ "$GB_NESTED" != 1 ]; then
  # Directly on a host it would make bridges in the host's namespace.
  echo "only inside the nested test bed's outer guest" > $GB_OUT/skip
  exit 0
fi
# iproute2's ip, copied in by the test: busybox sh runs its own `ip`
# applet whatever PATH says, and that one ignores vlan_filtering and
# veth's peer name without a word.
ip() { /sbin/ip "$@"; }
set -x
ip link add gbvbr0 type bridge vlan_filtering 1 || exit 1
ip link set gbvbr0 up
for v in 10 20; do
  ip link add gbv${v}a type veth peer name gbv${v}b &&
    ip link set gbv${v}a master gbvbr0 &&
    bridge vlan add dev gbv${v}a vid $v pvid untagged &&
    bridge vlan del dev gbv${v}a vid 1 &&
    ip link set gbv${v}a up && ip link set gbv${v}b up || exit 1
done
echo "allow gbvbr0" > /tmp/bridge.conf
export GLASSBOX_BRIDGE_CONF=/tmp/bridge.conf

gb-frame gbv10b listen 100 > $GB_OUT/vlan10.txt &
l10=$!
gb-frame gbv20b listen 100 > $GB_OUT/vlan20.txt &
l20=$!
sleep 1
# timeout: should the guest never hear its "quit", the script still ends.
timeout 120 glassbox-vmm run --kernel $GB_IN/virtio-net.elf --memory 32 --no-rng --serial file=$GB_OUT/serial.txt \
    --net bridge=gbvbr0,vlan=10,helper=$(command -v glassbox-bridge-helper),mac=52:54:00:12:34:56 \
    2> $GB_OUT/vmm.stderr &
vmm=$!
wait_for $GB_OUT/serial.txt "sent hello" 60
bridge -j vlan show > $GB_OUT/vlans.json
ip -o link show master gbvbr0 > $GB_OUT/ports.txt
# VLAN 20 first: had it leaked, the guest would print it before the rest.
gb-frame gbv20b send "from vlan 20"
sleep 1
gb-frame gbv10b send "hello guest"
wait_for $GB_OUT/serial.txt "rx 25 bytes: hello guest" 30
sleep 1
gb-frame gbv10b send quit
wait $vmm
echo $? > $GB_OUT/vmm.status
# The listeners are this script's children.
kill $l10 $l20
wait
exit 0
