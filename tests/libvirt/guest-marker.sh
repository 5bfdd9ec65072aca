#!/bin/sh
# Run by the test guest's /init (gb.run=guest-marker.sh), stdin and stdout on
# the serial console. Says it is up once a second, so that the test sees the
# line whenever it opens the console, until it is told "off" on the console;
# then /init powers the guest off.
#
# The reader is a plain blocking `read`: busybox's `read -t` switches the
# terminal mode per call, and input arriving between two calls can be lost.
(
  while :; do
    echo "GLASSBOX-MARKER guest-is-up"
    sleep 1
  done
) &
printer=$!
while read -r line; do
  [ "$line" = off ] && break
done
kill $printer
