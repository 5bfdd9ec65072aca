#!/bin/sh
# Write-zeroes, discard and flush reach the device.  The disk is 64 MiB.
# busybox runs its own applets before anything in PATH: extra binaries
# (GB_GUEST_EXTRA_BINARIES) are called by their full path, /sbin/…
echo "GB: write-zeroes-max $(cat /sys/block/vda/queue/write_zeroes_max_bytes)"
dd if=/dev/urandom of=/tmp/pattern bs=1M count=16 2>/dev/null
dd if=/tmp/pattern of=/dev/vda bs=1M count=16 oflag=direct conv=fsync 2>/dev/null
sync
# Punching a hole in a block device is a write-zeroes request with the
# unmap flag and *no* fallback (the kernel refuses if the device lacks the
# feature); --zero-range is a write-zeroes request without unmap.
/sbin/fallocate --punch-hole --offset 0 --length 4194304 /dev/vda && echo "GB: punch ok" || echo "GB: punch FAILED"
/sbin/fallocate --zero-range --offset 4194304 --length 4194304 /dev/vda && echo "GB: zero-range ok" || echo "GB: zero-range FAILED"
blkdiscard -o 8388608 -l 4194304 /dev/vda && echo "GB: discard ok" || echo "GB: discard FAILED"
sync
echo 3 > /proc/sys/vm/drop_caches
zero=$(dd if=/dev/zero bs=1M count=8 2>/dev/null | sha256sum | cut -d' ' -f1)
got=$(dd if=/dev/vda bs=1M count=8 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$got" = "$zero" ] && echo "GB: zeroes read back" || echo "GB: zeroes NOT read back"
want=$(dd if=/tmp/pattern bs=1M skip=12 count=4 2>/dev/null | sha256sum | cut -d' ' -f1)
got=$(dd if=/dev/vda bs=1M skip=12 count=4 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] && echo "GB: untouched data intact" || echo "GB: untouched data CHANGED"
dd if=/tmp/pattern bs=1M skip=12 count=4 2>/dev/null | sha256sum | sed 's/ .*//; s/^/GB: tail-sum /'
echo "GB: flushes $(awk '{print $16}' /sys/block/vda/stat)"
