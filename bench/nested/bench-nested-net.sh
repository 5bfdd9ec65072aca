#!/bin/sh
# Runs in the nested test bed's outer guest (bench-nested-net.c): the same
# stock Debian kernel + busybox initramfs, 1 vCPU, 256 MiB, its one
# virtio-net NIC on the same tap (gbn0, 10.0.8.1 here), booted in turn in
#   glassbox-vmm      --net tap=gbn0 (our virtio-net, our tap backend)
#   qemu-vhost-off    -M pc, -netdev tap,vhost=off (QEMU's virtio-net and
#                     tap backend: what we are, a user-space device)
#   qemu-vhost-on     the same with vhost=on (the kernel's vhost_net moves
#                     the frames; a reference, when /dev/vhost-net exists)
#   vhost-user        QEMU -M pc with its NIC served by our
#                     `glassbox-vmm vhost-user-net --net tap=gbn0` (MSI-X)
# The guest (net-guest) takes $MIB MiB from busybox nc on port 8080 and
# sends as many to port 8081.  One line per run in $GB_OUT/results:
#   VMM down-bytes down-s up-bytes up-s cpu-down-ticks cpu-up-ticks
# (seconds by the guest's clock; CPU: utime + stime of the VMM process, all
# its threads, plus QEMU's vhost worker thread or our vhost-user back-end,
# in clock ticks of 1/100 s,
# read here at the guest's markers; up-bytes is what this side received).
# GB_BENCH_RUNS, GB_BENCH_MIB, GB_BENCH_VMMS as bench-nested-net.c got them.
[ -f $GB_IN/bench-env ] && . $GB_IN/bench-env
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
RUNS=${GB_BENCH_RUNS:-3}
MIB=${GB_BENCH_MIB:-32}
CMD="console=ttyS0 quiet panic=-1 gb.run=net-guest gb.mib=$MIB"

[ -c /dev/kvm ] || {
  echo "no /dev/kvm in the nested test bed's outer guest: $(dmesg | grep -i -m1 -e svm -e kvm)" > $GB_OUT/skip
  exit 0
}
# iproute2's ip (the benchmark's; busybox's sh would run its own applet,
# which has no tuntap).
/sbin/ip tuntap add gbn0 mode tap && ip addr add 10.0.8.1/24 dev gbn0 && ip link set gbn0 up || exit 1
dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2> /dev/null
# The receiving nc must not see EOF on its stdin (see net-guest).
mkfifo /tmp/hold
exec 3<>/tmp/hold
echo "vhost-net: $(ls /dev/vhost-net 2>&1)"

# CPU ticks of process $1, of its vhost worker ("vhost-PID") and of the
# vhost-user back-end whose pid is in /tmp/backend.pid, if any.
ticks() {
  t=$(awk '{print $14 + $15}' /proc/$1/stat 2> /dev/null)
  for k in /proc/[0-9]*; do
    [ "$(cat $k/comm 2> /dev/null)" = "vhost-$1" ] && t=$((t + $(awk '{print $14 + $15}' $k/stat)))
  done
  if [ -s /tmp/backend.pid ]; then
    t=$((t + $(awk '{print $14 + $15}' /proc/$(cat /tmp/backend.pid)/stat 2> /dev/null || echo 0)))
  fi
  echo ${t:-0}
}

# wait_line LOG TEXT SECONDS PID: the line of LOG holding TEXT, waiting
# while the VMM (PID) runs.
wait_line() {
  polls=0
  while ! grep -q "$2" $1 2> /dev/null; do
    [ -d /proc/$4 ] || return 1
    polls=$((polls + 1)); [ $polls -gt $(($3 * 10)) ] && return 1
    sleep 0.1
  done
  grep -m1 "$2" $1
}

# For the log, at each of the guest's markers: the tap's own counters
# (tx: frames it handed the VMM, tx-dropped: those it dropped because the
# VMM read too slowly) and the CPU ticks of each thread of the VMM
# (ours: virtio-io moves the frames, vcpu0 runs the guest; QEMU's device
# and tap run in its main thread qemu-system-x86, the guest in CPU 0/KVM).
tap_diag() {
  s=/sys/class/net/gbn0/statistics
  threads=$(for t in /proc/$pid/task/*; do
    echo "$(tr ' ' _ < $t/comm)=$(awk '{print $14 + $15}' $t/stat 2> /dev/null)"
  done | sort | tr '\n' ' ')
  echo "$name $round $1 tap tx=$(cat $s/tx_packets) tx-dropped=$(cat $s/tx_dropped) rx=$(cat $s/rx_packets) rx-dropped=$(cat $s/rx_dropped) threads $threads" >> $GB_OUT/diag
}

measure() {
  name=$1
  shift
  log=/tmp/$name.log
  down= up=
  rm -f $log
  nc -l -p 8080 < /tmp/data > /dev/null &
  down_srv=$!
  nc -l -p 8081 < /tmp/hold > /tmp/up-data &
  up_srv=$!
  "$@" > /tmp/$name.out 2>&1 &
  pid=$!
  ( sleep 600; kill $pid ) > /dev/null 2>&1 &
  dog=$!
  if wait_line $log GB-NET-READY 300 $pid > /dev/null; then
    c0=$(ticks $pid)
    tap_diag ready
    down=$(wait_line $log GB-NET-DOWN 300 $pid)
    c1=$(ticks $pid)
    tap_diag down
    up=$(wait_line $log GB-NET-UP 300 $pid)
    c2=$(ticks $pid)
    tap_diag up
    # Our VMM's own counters: kicks and interrupts per queue, KVM's exits.
    # (whole-run counts, boot included: the exits and the device's queues)
    if [ $name = glassbox-vmm ]; then
      stats=$(gb-api-call /tmp/gb.sock query-stats 2>&1 | tail -1)
      echo "$name $round stats $(echo "$stats" | grep -o '"kernel":{[^}]*}' | grep -o -E '"(exits|irq_injections|insn_emulation|irq_window_exits|halt_exits)":[0-9]+' | tr '\n' ' ') $(echo "$stats" | grep -o '"notifications":[0-9]*,"interrupts":[0-9]*,"requests":[0-9]*,"name":"[a-z0-9]*"' | tr '\n' ' ')" >> $GB_OUT/diag
    fi
  fi
  wait $pid
  kill $dog $down_srv $up_srv 2> /dev/null
  if [ -n "$up" ]; then
    set -- $down
    db=$2 ds=$3
    set -- $up
    echo "$name $db $ds $(wc -c < /tmp/up-data) $3 $((c1 - c0)) $((c2 - c1))" | tee -a $GB_OUT/results
  else
    echo "$name failed"; tail -5 /tmp/$name.out; tail -5 $log
  fi
  rm -f /tmp/up-data
  sed -n "s/^GB-DIAG /$name $round /p" $log >> $GB_OUT/diag
}

# exec: $! of "qemu off &" is then QEMU itself, whose CPU time ticks reads.
qemu() {
  exec qemu-system-x86_64 -M pc -accel kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config \
      -display none -L $GB_IN -serial file:$log -kernel $K -initrd $I -append "$CMD" \
      -netdev tap,id=n0,ifname=gbn0,script=no,downscript=no,vhost=$1 \
      -device virtio-net-pci,netdev=n0,romfile=
}

# QEMU's NIC served by `glassbox-vmm vhost-user-net --net tap=gbn0` (guest
# RAM shared with it), with MSI-X: on KVM QEMU routes the vectors through
# irqfds (under TCG, QEMU 7.2 crashes on this path: docs/vhost-user.md).
vhost_user() {
  rm -f /tmp/vu.sock
  glassbox-vmm vhost-user-net --socket /tmp/vu.sock --net tap=gbn0 > /tmp/vhost-user-backend.out 2>&1 &
  echo $! > /tmp/backend.pid
  polls=0
  while [ ! -S /tmp/vu.sock ] && [ $polls -lt 100 ]; do polls=$((polls + 1)); sleep 0.1; done
  exec qemu-system-x86_64 -M pc -accel kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config \
      -display none -L $GB_IN -serial file:$log -kernel $K -initrd $I -append "$CMD" \
      -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
      -chardev socket,id=vu,path=/tmp/vu.sock -netdev vhost-user,id=n0,chardev=vu \
      -device virtio-net-pci,netdev=n0,romfile=
}

# GB_BENCH_VMMS: which of them (all by default).
VMMS=${GB_BENCH_VMMS:-glassbox-vmm qemu-vhost-off qemu-vhost-on vhost-user}
on() { case " $VMMS " in *" $1 "*) return 0 ;; esac; return 1; }

# (Functions share the shell's variables: the round counter has its own name.)
round=0
while [ $round -lt $RUNS ]; do
  round=$((round + 1))
  on glassbox-vmm && measure glassbox-vmm glassbox-vmm run --kernel $K --initrd $I --memory 256 --cpus 1 \
      --no-rng --serial file=/tmp/glassbox-vmm.log --api-socket /tmp/gb.sock --net tap=gbn0 --cmdline "$CMD"
  on qemu-vhost-off && measure qemu-vhost-off qemu off
  on qemu-vhost-on && [ -c /dev/vhost-net ] && measure qemu-vhost-on qemu on
  if on vhost-user; then
    measure vhost-user vhost_user
    kill $(cat /tmp/backend.pid) 2> /dev/null
    rm -f /tmp/backend.pid
  fi
done
exit 0
