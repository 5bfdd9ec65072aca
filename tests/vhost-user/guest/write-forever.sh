#!/bin/sh
# Writes a 4 MiB chunk 60 times (each made durable with fsync) over the
# first 120 MiB of the disk.  The test kills the back-end while this runs
# and starts a new one; QEMU reconnects and the writes carry on.
dd if=/dev/urandom of=/tmp/chunk bs=1M count=4 2>/dev/null
sha256sum /tmp/chunk | sed 's/ .*//; s/^/GB: chunk-sum /'
i=0
while [ $i -lt 60 ]; do
  dd if=/tmp/chunk of=/dev/vda bs=1M seek=$(( (i * 4) % 120 )) oflag=direct conv=notrunc,fsync 2>/dev/null || { echo "GB: write FAILED at chunk $i"; break; }
  i=$((i + 1))
  echo "GB: chunk $i"
done
echo "GB: finished $i"
