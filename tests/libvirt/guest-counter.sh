#!/bin/sh
# Run by the test guest's /init (gb.run=guest-counter.sh) for the migration
# test: fills 48 MiB of its RAM with random bytes (pages QEMU cannot send as
# zero pages, so copying the memory takes a few rounds), then counts on the
# serial console, five numbers a second, for ever. After a live migration
# the count must go on where it was, on the other host.
dd if=/dev/urandom of=/fill.bin bs=1M count=48 2>/dev/null
echo "GB-FILLED"
i=0
while :; do
  i=$((i + 1))
  echo "GB-COUNT $i"
  usleep 200000
done
