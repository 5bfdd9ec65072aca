#!/bin/sh
# Runs in the nested test bed's outer guest (bench-nested-user.c): the same
# stock Debian kernel + busybox initramfs, 1 vCPU, 256 MiB, one virtio-net
# NIC, booted in turn in glassbox-vmm with
#   user    --net user   (libslirp inside the VMM)
#   passt   --net passt  (a passt process the VMM starts, its child)
# The guest (user-guest) takes $MIB MiB from busybox nc on the outer
# guest's loopback port 8080 and sends as many to port 8081, both reached
# through the gateway 10.0.2.2 that libslirp and passt map to loopback.
# One line per run in $GB_OUT/results:
#   NAME down-bytes down-s up-bytes up-s vmm-down vmm-up child-down child-up
# (bytes as received: the guest counts the download, this side the upload;
# seconds by the guest's clock; CPU in clock ticks of 1/100 s, utime +
# stime read here at the guest's markers, of the VMM process (all threads)
# and of its children (passt)).  A transfer the guest cut at its limit
# (WAIT s) comes short in bytes; the C side reports it as a stall.
# GB_BENCH_RUNS, GB_BENCH_MIB, GB_BENCH_WAIT as bench-nested-user.c got them.
[ -f $GB_IN/bench-env ] && . $GB_IN/bench-env
K=$GB_IN/inner-vmlinuz
I=$GB_IN/inner-initramfs.img
RUNS=${GB_BENCH_RUNS:-5}
MIB=${GB_BENCH_MIB:-32}
WAIT=${GB_BENCH_WAIT:-240}
CMD="console=ttyS0 quiet panic=-1 gb.run=user-guest gb.mib=$MIB gb.wait=$WAIT"

# Everything below changes the network: in the outer guest that network is
# its own (nothing leaves it: it has no NIC); run directly on a host, the
# script first moves into a network namespace of its own.
if [ "$GB_NESTED" != 1 ] && [ -z "$GB_USER_NETNS" ]; then
  GB_USER_NETNS=1 exec unshare --net sh "$0" || {
    echo "cannot make a network namespace here (unshare --net needs root)" > $GB_OUT/skip
    exit 0
  }
fi

# passt sandboxes itself: a user namespace, which the kernel refuses to a
# process in a chroot, and pivot_root(), which it refuses on the
# initramfs's root (rootfs, a mount without a parent).  So in the outer
# guest the script goes on, in a mount namespace of its own, with a bind
# mount of / moved onto / as its root (what switch_root does, keeping the
# files): a mount with a parent, and the namespace's root as the kernel
# sees it, so not a chroot.  /proc, /sys and /dev are mounted again there.
if [ "$GB_NESTED" = 1 ]; then
  case "$GB_USER_ROOT" in
  "") GB_USER_ROOT=1 exec unshare -m sh "$0" ;;
  1) mkdir -p /r && mount -o bind / /r && cd /r && mount -o move . / && GB_USER_ROOT=2 exec chroot . sh "$0" ;;
  2) mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev && GB_USER_ROOT=3 ;;
  esac
  [ "$GB_USER_ROOT" = 3 ] || {
    echo "cannot make the root passt's sandbox needs (step $GB_USER_ROOT)" > $GB_OUT/skip
    exit 0
  }
fi
[ -c /dev/kvm ] || {
  echo "no /dev/kvm in the nested test bed's outer guest: $(dmesg | grep -i -m1 -e svm -e kvm)" > $GB_OUT/skip
  exit 0
}

# passt, started as root, drops to "nobody": the initramfs has no
# /etc/passwd to find that user in, and its root directory is the build's
# temporary folder, mode 0700, where nobody cannot look up /tmp (passt
# mounts an empty tmpfs there for its sandbox).
if [ "$GB_NESTED" = 1 ] && [ ! -e /etc/passwd ]; then
  chmod 755 /
  echo 'root:x:0:0:root:/:/bin/sh' > /etc/passwd
  echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> /etc/passwd
  echo 'root:x:0:' > /etc/group
  echo 'nogroup:x:65534:' >> /etc/group
fi

# passt copies the guest's address, netmask and gateway from the interface
# with the default route: one end of a veth pair, 10.0.2.15/24, default via
# 10.0.2.2 (which routes nowhere: passt maps the gateway to loopback).
# iproute2's ip (busybox's may not know veth).
/sbin/ip link set lo up &&
  /sbin/ip link add gbveth0 type veth peer name gbveth1 && /sbin/ip addr add 10.0.2.15/24 dev gbveth0 &&
  /sbin/ip link set gbveth0 up && /sbin/ip link set gbveth1 up && /sbin/ip route add default via 10.0.2.2 || {
  echo "cannot set up the veth pair passt copies its addresses from" > $GB_OUT/skip
  exit 0
}
dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2> /dev/null
# The receiving nc must not see EOF on its stdin (see user-guest).
mkfifo /tmp/hold
exec 3<>/tmp/hold
echo "passt: $(passt --version 2>&1 | head -1)"

# CPU ticks (utime + stime) of process $1, all its threads.
ticks() {
  awk '{print $14 + $15}' /proc/$1/stat 2> /dev/null || echo 0
}

# CPU ticks of the children of process $1 (passt).
child_ticks() {
  t=0
  for k in /proc/[0-9]*; do
    [ "$(awk '{print $4}' $k/stat 2> /dev/null)" = "$1" ] || continue
    t=$((t + $(awk '{print $14 + $15}' $k/stat 2> /dev/null || echo 0)))
  done
  echo $t
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
  "$@" --serial file=$log > /tmp/$name.out 2>&1 &
  pid=$!
  ( sleep $((WAIT * 2 + 400)); kill $pid ) > /dev/null 2>&1 &
  dog=$!
  if wait_line $log GB-NET-READY 300 $pid > /dev/null; then
    c0=$(ticks $pid) p0=$(child_ticks $pid)
    down=$(wait_line $log GB-NET-DOWN $((WAIT + 60)) $pid)
    c1=$(ticks $pid) p1=$(child_ticks $pid)
    up=$(wait_line $log GB-NET-UP $((WAIT + 60)) $pid)
    c2=$(ticks $pid) p2=$(child_ticks $pid)
  fi
  wait $pid
  kill $dog $down_srv $up_srv 2> /dev/null
  if [ -n "$up" ]; then
    set -- $down
    db=$2 ds=$3
    set -- $up
    echo "$name $db $ds $(wc -c < /tmp/up-data) $3 $((c1 - c0)) $((c2 - c1)) $((p1 - p0)) $((p2 - p1))" |
      tee -a $GB_OUT/results
  else
    echo "$name failed"; tail -5 /tmp/$name.out; tail -5 $log
  fi
  # The VMM's own output (passt's errors go there too) and the console.
  cp /tmp/$name.out $GB_OUT/$name-$round.out
  cp $log $GB_OUT/$name-$round.serial
  # How a passt that went away ended: a seccomp kill (audit), a crash.
  dmesg | grep -i -e audit -e seccomp -e segfault -e traps -e passt | tail -20 > $GB_OUT/$name-$round.dmesg
  rm -f /tmp/up-data
}

vmm() {
  measure $1 glassbox-vmm run --kernel $K --initrd $I --memory 256 --cpus 1 --no-rng --net $1 --cmdline "$CMD"
}

# (Functions share the shell's variables: the round counter has its own name.)
round=0
while [ $round -lt $RUNS ]; do
  round=$((round + 1))
  vmm user
  vmm passt
done
exit 0
