#!/bin/sh
# The default suite's Linux scenario (tests/nested/test-linux-boot.c built
# as test-linux-core): what a user notices first, in one outer boot and one
# inner machine, a few minutes at most.  linux-boot.sh (suite `slow`) has
# the rest.
. $GB_IN/bed-lib.sh
require_kvm
trace_start
thp_advise

# Not `quiet`: every kernel message on the inner serial log (printk.time
# stamps them), so that a boot that stops shows where.
CMD="console=ttyS0 printk.time=1 panic=-1 gb.run=guest-check"

# 2 vCPUs, qcow2 disk, virtio-console, virtio-rng, query-stats on the
# control socket every second.  Once Linux waits for its power button,
# `reset` over the control socket: it boots again (both vCPUs), and the
# second time the ACPI power button ends it — the guest's poweroff -f
# (ACPI S5) then ends the VMM.
d=$GB_OUT/qcow2
mkdir -p $d && cp $GB_IN/disk.qcow2 $d/disk.qcow2
(
  while [ ! -e $d/done ]; do
    gb-api-call /tmp/qcow2.sock query-stats >> $d/stats.log 2>/dev/null || true
    sleep 1
  done
) &
poller=$!
heartbeat $d &
beat=$!
(
  wait_for $d/serial.log GB-BUTTON-WAIT 360 && sleep 1 &&
    gb-api-call /tmp/qcow2.sock reset > $d/api.log 2>&1 &&
    wait_for_count $d/serial.log GB-BUTTON-WAIT 2 360 && sleep 1 &&
    gb-api-call /tmp/qcow2.sock powerdown >> $d/api.log 2>&1
) &
presser=$!
boot qcow2 420 --cpus 2 --memory 256 --disk path=$d/disk.qcow2,format=qcow2 \
    --console file=$d/hvc0.log --api-socket /tmp/qcow2.sock --cmdline "$CMD gb.end=button"
touch $d/done
kill $presser 2>/dev/null
wait $poller $beat
trace_save
exit 0
