#!/bin/sh
# The Linux scenarios of tests/nested/test-linux-boot.c, run by the nested
# test bed (nested-test-util.c): inside the outer guest under QEMU TCG, or
# on a host whose KVM runs guest code natively.  One folder per scenario in
# $GB_OUT: serial.log (the inner COM1), stderr.log (the VMM's, with
# GLASSBOX_VMM_VERBOSE=1 its last line says why the VM ended), status (the
# VMM's exit status; timeout's 124/143 when it hung), seconds, and whatever
# the scenario adds.  The guest side is guest-check, in the inner initramfs.
#
# Two test programs run it: test-linux-boot (suite `vmm`, in the default
# test command) the scenarios qcow2, raw, bundled and ends; test-linux-io
# (suite `slow`) bridge, mq and saved.  Each writes its list to
# $GB_IN/only (bed-lib.sh's `want`).
. $GB_IN/bed-lib.sh
require_kvm
trace_start
thp_advise

# 2 vCPUs, qcow2 disk, virtio-console, virtio-rng, KSM, query-stats on the
# control socket every second.  Once Linux waits for its power button,
# `reset` over the control socket: it boots again (both vCPUs), and the
# second time the ACPI power button ends it — the guest's poweroff -f
# (ACPI S5) then ends the VMM.
if want qcow2; then
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
  # Not `quiet`: every kernel message on the inner serial log (printk.time
  # stamps them), so that a first boot that stops shows where.
  boot qcow2 420 --cpus 2 --memory 256 --ksm --disk path=$d/disk.qcow2,format=qcow2 \
      --console file=$d/hvc0.log --api-socket /tmp/qcow2.sock \
      --cmdline "$CMD_VERBOSE gb.end=button"
  touch $d/done
  kill $presser 2>/dev/null
  wait $poller $beat
fi

# 4 vCPUs, raw disk, guest RAM on 2 MiB huge pages (reserved here first);
# the guest ends with poweroff -f (ACPI S5).
if want raw; then
  echo 160 > /proc/sys/vm/nr_hugepages
  echo "== huge pages: $(cat /proc/sys/vm/nr_hugepages) of 2 MiB reserved"
  mkdir -p $GB_OUT/raw && cp $GB_IN/disk.raw $GB_OUT/raw/disk.raw
  boot raw 300 --cpus 4 --memory 256 --no-rng --hugepages --disk path=$GB_OUT/raw/disk.raw,format=raw \
      --cmdline "$CMD gb.end=poweroff"
  echo 0 > /proc/sys/vm/nr_hugepages
fi

# A machine of the bundled provider: the file the wizard writes for a
# kernel + initrd, started the way gb-vmm-launch.c starts it (--config, the
# control socket, the serial socket, --paused), resumed over the socket. A
# line typed into the serial socket reaches the guest's shell; pause and
# resume; the ACPI power button ends it.
if want bundled; then
  d=$GB_OUT/bundled
  mkdir -p $d
  cat > $d/machine.json <<JSON
{
  "name" : "debian",
  "uuid" : "6f1c2a8e-3d4b-4c5a-9e7f-1a2b3c4d5e6f",
  "kernel" : "$K",
  "initrd" : "$I",
  "cmdline" : "$CMD gb.type=1 gb.end=button",
  "os-id" : "http://debian.org/debian/12",
  "title" : "Debian 12",
  "memory" : 256,
  "cpus" : 2,
  "net" : [ { "user" : true } ]
}
JSON
  (
    gb-api-call $d/api.sock resume > $d/api.log 2>&1
    gb-serial-io $d/serial.sock GB-TYPE-NOW "typed-over-the-socket 42" > $d/serial.log 2>&1 &
    wait_for $d/serial.log GB-BUTTON-WAIT 200 &&
      gb-api-call $d/api.sock pause query-status >> $d/api.log 2>&1 &&
      sleep 1 &&
      gb-api-call $d/api.sock query-status resume query-status powerdown >> $d/api.log 2>&1
    wait
  ) &
  helper=$!
  echo "== bundled: glassbox-vmm run --config $d/machine.json (as the app starts it)"
  t0=$(uptime_s)
  GLASSBOX_VMM_VERBOSE=1 timeout 200 glassbox-vmm run --config $d/machine.json --api-socket $d/api.sock \
      --serial socket=$d/serial.sock --paused 2> $d/stderr.log < /dev/null
  echo $? > $d/status
  echo "$t0 $(uptime_s)" | awk '{ printf "%.1f\n", $2 - $1 }' > $d/seconds
  wait $helper
  echo "== bundled: status $(cat $d/status) after $(cat $d/seconds) s: $(tail -1 $d/stderr.log)"
  tail -4 $d/serial.log | sed "s/^/   bundled| /"
fi

# Two guests on one bridge, Linux's virtio_net on our PCI transport: each
# glassbox-vmm runs as nobody and gets its tap from qemu-bridge-helper
# (setuid root, allow-list "allow br0"), as a user's would. Guest A
# (10.0.0.1) receives 64 MiB that guest B (10.0.0.2) sends; both print
# the checksum.
# Only inside the outer guest: directly on a host it would make a bridge in
# the host's own network.
if want bridge; then
  helper=$(command -v qemu-bridge-helper)
  if [ "$GB_NESTED" = 1 ] && [ -n "$helper" ]; then
    brctl addbr br0 && ip link set br0 up
    mkdir -p /etc/qemu && echo "allow br0" > /etc/qemu/bridge.conf
    chmod 4755 $helper
    chmod 666 /dev/kvm
    chmod 755 /    # the initramfs' root comes from mktemp -d: 0700
    chmod 666 /dev/net/tun    # as Debian's udev rules leave it
    grep -q '^nobody:' /etc/passwd 2>/dev/null || {
      echo "root:x:0:0:root:/:/bin/sh" >> /etc/passwd
      echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> /etc/passwd
      echo "root:x:0:" >> /etc/group
      echo "nogroup:x:65534:" >> /etc/group
    }
    for g in A B; do
      d=$GB_OUT/bridge-$g
      mkdir -p $d && chmod 777 $d
      mac=52:54:00:00:00:0$( [ $g = A ] && echo a || echo b )
      echo "== bridge-$g: glassbox-vmm as nobody, --net bridge=br0 ($mac)"
      (
        t0=$(uptime_s)
        su -s /bin/sh nobody -c "GLASSBOX_VMM_VERBOSE=1 timeout 300 glassbox-vmm run --kernel $K --initrd $I \
            --cpus 1 --memory 384 --no-rng --serial file=$d/serial.log \
            --net bridge=br0,helper=$helper,mac=$mac --cmdline '$CMD gb.net=$g gb.end=poweroff' \
            2> $d/stderr.log < /dev/null; echo \$? > $d/status"
        echo "$t0 $(uptime_s)" | awk '{ printf "%.1f\n", $2 - $1 }' > $d/seconds
        echo "== bridge-$g: status $(cat $d/status) after $(cat $d/seconds) s: $(tail -1 $d/stderr.log)"
        tail -4 $d/serial.log | sed "s/^/   bridge-$g| /"
      ) &
    done
    wait
  else
    echo "== bridge: left out (not in the nested test bed, or no qemu-bridge-helper)"
  fi
fi

# Multiqueue with Linux's virtio_net: 2 vCPUs, --net tap=mq0,queues=2 on
# a tap made with multi_queue here (iproute2's ip: busybox's has no
# tuntap).  The guest (10.0.9.2, guest-check gb.net=mq) and this side
# (10.0.9.1) send each other four 2 MiB TCP flows at once, checked by
# sha256 on both ends; query-stats after each round.  Between the rounds
# the guest reloads virtio_net (a device reset), and the second round
# must find two queue pairs again.  Only inside the outer guest: directly
# on a host it would make a tap in the host's own network.
if want mq; then
  # /sbin/ip is the test's iproute2: busybox's sh runs its own applets
  # ahead of PATH.
  if [ "$GB_NESTED" = 1 ] && /sbin/ip tuntap help 2>&1 | grep -q multi_queue; then
    d=$GB_OUT/mq
    mkdir -p $d
    /sbin/ip tuntap add mq0 mode tap multi_queue && ip addr add 10.0.9.1/24 dev mq0 && ip link set mq0 up
    # A receiving nc must not see EOF on its stdin (it would end the
    # connection): a FIFO this shell holds open.
    mkfifo /tmp/mq-hold
    exec 3<>/tmp/mq-hold
    (
      for round in 1 2; do
        for i in 1 2 3 4; do
          timeout 300 nc -l -p $((7000 + i)) < /tmp/mq-hold > /tmp/mq-in$i &
        done
        wait_for $d/serial.log "GB-MQ-READY $round" 300 || break
        for i in 1 2 3 4; do
          dd if=/dev/urandom of=/tmp/mq-out$i bs=64k count=32 2> /dev/null
          echo "$round $i $(wc -c < /tmp/mq-out$i) $(sha256sum < /tmp/mq-out$i | cut -d' ' -f1)" >> $d/sent
          (
            n=0
            until timeout 300 nc 10.0.9.2 $((6000 + i)) < /tmp/mq-out$i; do
              n=$((n + 1)); [ $n -gt 60 ] && break; sleep 1
            done
          ) &
        done
        wait
        for i in 1 2 3 4; do
          echo "$round $i $(wc -c < /tmp/mq-in$i) $(sha256sum < /tmp/mq-in$i | cut -d' ' -f1)" >> $d/received
        done
        wait_for $d/serial.log "GB-MQ-DONE $round" 300 || break
        gb-api-call /tmp/mq.sock query-stats > $d/stats-$round.json 2>&1
      done
      gb-api-call /tmp/mq.sock stop > $d/api.log 2>&1
    ) &
    helper=$!
    boot mq 420 --cpus 2 --memory 256 --no-rng --net tap=mq0,queues=2,mac=52:54:00:00:00:9a \
        --api-socket /tmp/mq.sock --cmdline "$CMD gb.net=mq gb.end=wait"
    wait $helper
    exec 3<&-
    /sbin/ip link del mq0
    rm -f /tmp/mq-hold /tmp/mq-in* /tmp/mq-out*
  else
    echo "== mq: left out (not in the nested test bed, or no ip tuntap with multi_queue)"
  fi
fi

# save-state mid-I/O and --restore: Linux's virtio-blk (MSI-X through
# irqfds), virtio-rng and hvc0 go on where they were, every block read
# back as written.
if want saved; then
  d=$GB_OUT/saved
  mkdir -p $d
  dd if=/dev/zero of=/tmp/save-disk.raw bs=1M count=64 2>/dev/null
  (
    wait_for $d/serial.log "GB-LOOP 60 " 300 && sleep 1 &&
      gb-api-call /tmp/saved.sock save-state='{"filename":"/tmp/saved.state"}' > $d/api.log 2>&1 &&
      gb-api-call /tmp/saved.sock stop >> $d/api.log 2>&1
  ) &
  presser=$!
  boot saved 330 --cpus 2 --memory 256 --disk path=/tmp/save-disk.raw,format=raw --console file=$d/hvc0.log \
      --api-socket /tmp/saved.sock --cmdline "$CMD gb.loop=1"
  wait $presser
  d=$GB_OUT/restored
  mkdir -p $d
  (
    sleep 25 && gb-api-call /tmp/restored.sock stop > $d/api.log 2>&1
  ) &
  presser=$!
  boot restored 120 --cpus 2 --memory 256 --disk path=/tmp/save-disk.raw,format=raw --console file=$d/hvc0.log \
      --api-socket /tmp/restored.sock --restore /tmp/saved.state
  wait $presser
  rm -f /tmp/saved.state /tmp/save-disk.raw
fi

# The ways a guest ends itself, each from the same running Linux: it boots
# once through PVH (the ELF vmlinux the test extracted from the same
# bzImage), 1 vCPU, and is saved while it asks how to end (guest-check's
# gb.end=ask), then stopped.  That saved machine is restored once per way,
# and the way is typed on its serial port: the guest's own reboot -f
# through the ACPI reset register (Linux's default), the i8042 reset line
# and a triple fault (/sys/kernel/reboot/type), poweroff -f (ACPI S5),
# sysrq b and o, a panic with panic=-1.  One boot instead of seven.
# Beside them a machine booted with acpi=off: powerdown falls back to
# Ctrl+Alt+Del, and the guest's reboot (i8042) ends it.
if want ends; then
  d=$GB_OUT/noacpi
  mkdir -p $d
  (
    wait_for $d/serial.log GB-CHECK-DONE 300 && sleep 1 &&
      gb-api-call /tmp/noacpi.sock powerdown > $d/api.log 2>&1
  ) &
  boot noacpi 360 --no-rng --memory 128 --api-socket /tmp/noacpi.sock \
      --cmdline "$CMD gb.end=wait acpi=off reboot=k" &
  noacpi=$!

  d=$GB_OUT/pvh
  mkdir -p $d
  (
    wait_for $d/serial.log GB-END-ASK 300 && sleep 1 &&
      gb-api-call /tmp/pvh.sock save-state='{"filename":"/tmp/ends.state"}' > $d/api.log 2>&1 &&
      gb-api-call /tmp/pvh.sock stop >> $d/api.log 2>&1
  ) &
  presser=$!
  kernel=$K
  [ -f $GB_IN/inner-vmlinux ] && kernel=$GB_IN/inner-vmlinux
  boot pvh 360 --no-rng --memory 128 --kernel $kernel --api-socket /tmp/pvh.sock --cmdline "$CMD gb.end=ask"
  wait $presser
  if [ -s /tmp/ends.state ]; then
    for way in reboot reboot-kbd reboot-triple poweroff sysrq-b sysrq-o panic; do
      d=$GB_OUT/end-$way
      mkdir -p $d
      (
        i=0
        until [ -S /tmp/end-$way.sock ] || [ $i -gt 600 ]; do i=$((i + 1)); sleep 0.2; done
        gb-serial-io /tmp/end-$way.sock GB-END-ASK $way > $d/serial.log 2>&1
      ) &
      typist=$!
      BOOT_SERIAL=socket=/tmp/end-$way.sock \
        boot end-$way 120 --no-rng --memory 128 --kernel $kernel --restore /tmp/ends.state
      wait $typist
    done
    rm -f /tmp/ends.state
  fi
  wait $noacpi
fi

trace_save
exit 0
