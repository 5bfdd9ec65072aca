#!/bin/sh
# Writes 4 MiB chunks (each made durable with fsync) over the first 120 MiB
# of the disk until the back-end goes away under it.
dd if=/dev/urandom of=/tmp/chunk bs=1M count=4 2>/dev/null
sha256sum /tmp/chunk | sed 's/ .*//; s/^/GB: chunk-sum /'
i=0
while :; do
  dd if=/tmp/chunk of=/dev/vda bs=1M seek=$(( (i * 4) % 120 )) oflag=direct conv=notrunc,fsync 2>/dev/null || break
  i=$((i + 1))
  [ $i = 5 ] && echo "GB: durable 20 MiB"
done
echo "GB: write failed after $i chunks"
