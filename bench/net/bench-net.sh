#!/bin/sh
# The benchmark's guest: take 64 MiB over TCP from the peer's port 8080,
# then send it 64 MiB to port 8081, timing each with /proc/uptime (busybox
# nc prints nothing).  It sleeps between phases so the host can read CPU
# times at the markers (bench-net.c).  On the tap (default) the guest is
# 10.0.77.2 and the peer the tap's host end 10.0.77.1; in user mode the
# kernel command line says gb.ip=10.0.2.15/24 gb.peer=10.0.2.2 (the
# gateway libslirp and passt both map to the host's loopback).
now() { cut -d' ' -f1 /proc/uptime; }
ip=10.0.77.2/24
peer=10.0.77.1
for arg in $(cat /proc/cmdline); do
  case $arg in
    gb.ip=*) ip=${arg#gb.ip=} ;;
    gb.peer=*) peer=${arg#gb.peer=} ;;
  esac
done
ip link set eth0 up
ip addr add "$ip" dev eth0
# passt (running as nobody) has no ICMP socket to answer a ping with
# unless the host allows it (net.ipv4.ping_group_range): user mode skips it.
case " $(cat /proc/cmdline) " in
  *" gb.peer="*) sleep 1 ;;
  *) ping -c 1 -W 20 "$peer" > /dev/null 2>&1 || echo "GB: ping FAILED" ;;
esac
echo "GB: ready"
sleep 2
t0=$(now)
n=$(nc "$peer" 8080 < /dev/null | wc -c)
t1=$(now)
echo "GB: down-bytes $n"
echo "GB: down-seconds $(echo "$t0 $t1" | awk '{print $2 - $1}')"
sleep 2
t0=$(now)
dd if=/dev/zero bs=1M count=64 2>/dev/null | nc "$peer" 8081 > /dev/null || echo "GB: upload FAILED"
t1=$(now)
echo "GB: up-seconds $(echo "$t0 $t1" | awk '{print $2 - $1}')"
sleep 2
