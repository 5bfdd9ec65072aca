#!/bin/sh
# Run by the test guest's /init (gb.run=guest-scroll.sh): prints numbered
# lines on the VGA text console (/dev/tty0) without pause, so that the
# screen scrolls all the time (test-console-frames.c compares the app's
# frames with QEMU's own screendump while it does).  Never returns: the
# test forces the machine off.
i=0
while :; do
  i=$((i + 1))
  echo "line $i: the quick brown fox jumps over the lazy dog 0123456789 $i"
done > /dev/tty0
