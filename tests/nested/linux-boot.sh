#!/bin/sh
# The Linux scenarios of tests/vmm/test-linux-boot.c, run by the nested
# test bed (tests/nested/nested-test-util.c): inside the outer guest under
# QEMU TCG, or on a host whose KVM runs guest code natively.  One folder per
# scenario in $GB_OUT: serial.log (the inner COM1), stderr.log, status (the
# VMM's exit status, 124/143 when timeout killed it), seconds, and whatever
# the scenario adds.
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
CMD="console=ttyS0 quiet panic=-1 gb.run=guest-check"

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# boot NAME TIMEOUT_S VMM-OPTIONS...
boot() {
  name=$1 t=$2
  shift 2
  d=$GB_OUT/$name
  mkdir -p $d
  echo "== $name: glassbox-vmm run $*"
  t0=$(uptime_s)
  GLASSBOX_VMM_VERBOSE=1 timeout $t glassbox-vmm run --kernel $K --initrd $I \
      --serial file=$d/serial.log "$@" 2> $d/stderr.log < /dev/null
  echo $? > $d/status
  echo "$t0 $(uptime_s)" | awk '{ printf "%.1f\n", $2 - $1 }' > $d/seconds
  echo "== $name: status $(cat $d/status) after $(cat $d/seconds) s"
  tail -3 $d/serial.log
}

# 1 vCPU, raw disk.
mkdir -p $GB_OUT/raw && cp $GB_IN/disk.raw $GB_OUT/raw/disk.raw
boot raw 90 --cpus 1 --memory 256 --no-rng --disk path=$GB_OUT/raw/disk.raw,format=raw \
    --cmdline "$CMD gb.end=sysrq-b"

# 2 vCPUs, qcow2 disk, virtio-console, virtio-rng, the control socket:
# query-stats every second while it runs.
d=$GB_OUT/qcow2
mkdir -p $d && cp $GB_IN/disk.qcow2 $d/disk.qcow2
(
  sleep 1
  while [ ! -e $d/done ]; do
    gb-api-call /tmp/vm.sock query-stats >> $d/stats.log 2>/dev/null || true
    sleep 1
  done
) &
poller=$!
boot qcow2 90 --cpus 2 --memory 256 --disk path=$d/disk.qcow2,format=qcow2 \
    --console file=$d/hvc0.log --api-socket /tmp/vm.sock --cmdline "$CMD gb.end=sysrq-b"
touch $d/done
wait $poller

# 4 vCPUs
boot smp4 90 --cpus 4 --memory 256 --no-rng --cmdline "$CMD gb.end=sysrq-b"
exit 0
