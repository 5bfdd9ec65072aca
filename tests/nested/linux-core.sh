#!/bin/sh
# The default suite's Linux scenarios (tests/nested/test-linux-boot.c built
# as test-linux-core): the few a user notices first, in one outer boot and
# a couple of minutes.  linux-boot.sh (suite `slow`) has the rest.  Both
# guests run at once: the outer guest has two vCPUs.
. $GB_IN/bed-lib.sh
require_kvm
trace_start

# 2 vCPUs, qcow2 disk, virtio-console, virtio-rng, query-stats on the
# control socket while it runs; the guest ends with poweroff -f (ACPI S5).
d=$GB_OUT/qcow2
mkdir -p $d && cp $GB_IN/disk.qcow2 $d/disk.qcow2
(
  while [ ! -e $d/done ]; do
    gb-api-call /tmp/qcow2.sock query-stats >> $d/stats.log 2>/dev/null || true
    sleep 1
  done
) &
poller=$!
(
  boot qcow2 240 --cpus 2 --memory 256 --disk path=$d/disk.qcow2,format=qcow2 \
      --console file=$d/hvc0.log --api-socket /tmp/qcow2.sock --cmdline "$CMD gb.end=poweroff"
  touch $d/done
) &
first=$!

# 1 vCPU: reset over the control socket once Linux waits for its power
# button (it boots again: the second GB-BUTTON-WAIT), then the ACPI power
# button ends it.
d=$GB_OUT/control
mkdir -p $d
(
  wait_for $d/serial.log GB-BUTTON-WAIT 240 && sleep 1 &&
    gb-api-call /tmp/control.sock reset > $d/api.log 2>&1 &&
    wait_for_count $d/serial.log GB-BUTTON-WAIT 2 240 && sleep 1 &&
    gb-api-call /tmp/control.sock powerdown >> $d/api.log 2>&1
) &
presser=$!
boot control 280 --cpus 1 --memory 192 --no-rng --api-socket /tmp/control.sock \
    --cmdline "$CMD gb.end=button"
wait $presser $first $poller
trace_save
exit 0
