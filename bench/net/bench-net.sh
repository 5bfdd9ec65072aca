#!/bin/sh
# The benchmark's guest: on the tap's network (host end 10.0.77.1), take
# 64 MiB over TCP from the host's port 8080, then send it 64 MiB to port
# 8081, timing each with /proc/uptime (busybox nc prints nothing).  It
# sleeps between phases so the host can read CPU times at the markers
# (bench-net.c).
now() { cut -d' ' -f1 /proc/uptime; }
ip link set eth0 up
ip addr add 10.0.77.2/24 dev eth0
ping -c 1 -W 20 10.0.77.1 > /dev/null 2>&1 || echo "GB: ping FAILED"
echo "GB: ready"
sleep 2
t0=$(now)
n=$(nc 10.0.77.1 8080 < /dev/null | wc -c)
t1=$(now)
echo "GB: down-bytes $n"
echo "GB: down-seconds $(echo "$t0 $t1" | awk '{print $2 - $1}')"
sleep 2
t0=$(now)
dd if=/dev/zero bs=1M count=64 2>/dev/null | nc 10.0.77.1 8081 > /dev/null || echo "GB: upload FAILED"
t1=$(now)
echo "GB: up-seconds $(echo "$t0 $t1" | awk '{print $2 - $1}')"
sleep 2
