#!/bin/sh
# Runs in the nested test bed's outer guest (bench-nested.c): glassbox-vmm,
# qemu-system-x86_64 -M microvm and -M q35 (both -accel kvm), in turn,
# booting the same stock Debian kernel + busybox initramfs on the same
# nested KVM.  For each
# run one line in $GB_OUT/results:
#   VMM  seconds-from-exec-to-/init  VmRSS-KiB  RssShmem-KiB  RssAnon-KiB
# (memory read when the guest's /init has printed its marker; guest RAM is a
# memfd for both, so VmRSS - RssShmem is what the VMM itself costs).
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
CMD="console=ttyS0 quiet panic=-1 gb.run=guest-check gb.end=poweroff"
RUNS=$(cat $GB_IN/bench-runs 2>/dev/null || echo 5)   # GB_BENCH_RUNS on the host

now() { cut -d' ' -f1 /proc/uptime; }

measure() {
  name=$1 log=$2
  shift 2
  rm -f $log
  t0=$(now)
  "$@" > /tmp/$name.out 2>&1 &
  pid=$!
  while ! grep -q GLASSBOX-GUEST-UP $log 2>/dev/null; do
    [ -d /proc/$pid ] || break
    sleep 0.05
  done
  t1=$(now)
  mem=$(awk '/^VmRSS/ {r=$2} /^RssShmem/ {s=$2} /^RssAnon/ {a=$2} END {print r, s, a}' /proc/$pid/status 2>/dev/null)
  wait $pid
  if grep -q GLASSBOX-GUEST-UP $log; then
    echo "$name $(echo $t0 $t1 | awk '{printf "%.2f", $2 - $1}') $mem" | tee -a $GB_OUT/results
  else
    echo "$name failed"; tail -5 /tmp/$name.out; tail -5 $log
  fi
}

i=0
while [ $i -lt $RUNS ]; do
  i=$((i + 1))
  measure glassbox-vmm /tmp/ours.log timeout 120 glassbox-vmm run --kernel $K --initrd $I \
      --memory 256 --cpus 1 --no-rng --serial file=/tmp/ours.log --cmdline "$CMD"
  measure qemu-microvm /tmp/qemu.log timeout 120 qemu-system-x86_64 -M microvm -accel kvm -cpu host \
      -m 256 -smp 1 -nodefaults -no-user-config -display none -L $GB_IN \
      -object memory-backend-memfd,id=mem,size=256M -M memory-backend=mem \
      -serial file:/tmp/qemu.log -kernel $K -initrd $I -append "$CMD"
  # q35: SeaBIOS (bios-256k.bin) and its linuxboot_dma.bin option ROM load
  # the kernel over fw_cfg, as QEMU does for a PC; no devices but the
  # chipset's (-nodefaults), the same serial port and memfd RAM.
  measure qemu-q35 /tmp/q35.log timeout 240 qemu-system-x86_64 -M q35 -accel kvm -cpu host \
      -m 256 -smp 1 -nodefaults -no-user-config -display none -L $GB_IN \
      -object memory-backend-memfd,id=mem,size=256M -M memory-backend=mem \
      -serial file:/tmp/q35.log -kernel $K -initrd $I -append "$CMD"
done
exit 0
