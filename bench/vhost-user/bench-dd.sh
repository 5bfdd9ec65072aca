#!/bin/sh
# The benchmark's guest: dd with 1 MiB blocks over 256 MiB, O_DIRECT, write
# then read — four times each, over four different 256 MiB stretches of a
# fresh image (so every write allocates), to get past the guest clock's
# 10 ms ticks.  Between phases it sleeps so the host can read each
# back-end's CPU time at the markers (bench-vhost-user.c).  busybox dd
# prints no timing: /proc/uptime times each phase.
now() { cut -d' ' -f1 /proc/uptime; }
echo "GB: ready"
sleep 2
t0=$(now)
for i in 0 1 2 3; do
  dd if=/dev/zero of=/dev/vda bs=1M count=256 seek=$((i * 256)) oflag=direct 2>/dev/null || echo "GB: write FAILED"
done
t1=$(now)
echo "GB: write-seconds $(echo "$t0 $t1" | awk '{print ($2 - $1) / 4}')"
sleep 2
t0=$(now)
for i in 0 1 2 3; do
  dd if=/dev/vda of=/dev/null bs=1M count=256 skip=$((i * 256)) iflag=direct 2>/dev/null || echo "GB: read FAILED"
done
t1=$(now)
echo "GB: read-seconds $(echo "$t0 $t1" | awk '{print ($2 - $1) / 4}')"
sleep 2
