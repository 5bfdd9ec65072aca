#!/bin/sh
# Linux's virtio_net with two queue pairs on our virtio-net (vhost-user-net
# on a multi_queue tap, queues=2; QEMU -smp 2, mq=on).  The host end of the
# tap is 10.0.79.1, we are 10.0.79.2.  Each round: four TCP flows each way
# at once, 2 MiB each: the host sends to our ports 6001-6004, we send to
# its ports 7001-7004, two senders pinned to each CPU so that both
# transmit queues carry some (virtio_net maps CPU k to transmit queue k).
# Every byte is checked by SHA-256 on both sides.  Between the rounds the
# driver is unloaded and loaded again: a device reset, after which the
# driver must get its two pairs again.
ip link set lo up
# A receiving nc must not see EOF on its stdin (it would shut its side of
# the connection early): a FIFO this shell holds open never ends.
mkfifo /tmp/hold
exec 3<>/tmp/hold
for round in 1 2; do
  echo "GB: queues$round $(ls /sys/class/net/eth0/queues | tr '\n' ' ')"
  ip link set eth0 up
  ip addr add 10.0.79.2/24 dev eth0
  for i in 1 2 3 4; do
    nc -l -p $((6000 + i)) < /tmp/hold > /tmp/in$i &
    dd if=/dev/urandom of=/tmp/out$i bs=64k count=32 2> /dev/null
    echo "GB: sent$round-$i $(sha256sum /tmp/out$i | cut -d' ' -f1)"
  done
  echo "GB: ready$round"
  for i in 1 2 3 4; do
    taskset $((1 << (i % 2))) sh -c "n=0; until nc 10.0.79.1 $((7000 + i)) < /tmp/out$i; do
      n=\$((n + 1)); [ \$n -gt 60 ] && break; sleep 1; done" &
  done
  wait
  for i in 1 2 3 4; do
    echo "GB: got$round-$i $(wc -c < /tmp/in$i) $(sha256sum /tmp/in$i | cut -d' ' -f1)"
  done
  echo "GB: done$round"
  if [ $round = 1 ]; then
    ip link set eth0 down
    rmmod virtio_net && insmod /lib/modules/virtio_net.ko && echo "GB: reloaded"
    i=0
    until [ -e /sys/class/net/eth0 ]; do
      i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
    done
  fi
done
