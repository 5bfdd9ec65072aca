#!/bin/sh
# One of two guests on a bridge, each with Linux's own virtio_net on our
# virtio-net (served by glassbox-vmm vhost-user-net).  gb.ip= is our
# address, gb.peer= the other's, gb.role= server (receives 64 MiB on TCP
# port 5000 and prints their SHA-256) or client (sends them).
for arg in $(cat /proc/cmdline); do
  case $arg in
    gb.ip=*) ip=${arg#gb.ip=} ;;
    gb.peer=*) peer=${arg#gb.peer=} ;;
    gb.role=*) role=${arg#gb.role=} ;;
  esac
done
dev=$(basename $(readlink /sys/class/net/eth0/device))
echo "GB-NET-FEATURES $(cat /sys/bus/virtio/devices/$dev/features)"
echo "GB-NET-MAC $(cat /sys/class/net/eth0/address)"
ip link set eth0 up
ip addr add $ip/24 dev eth0
i=0
until ping -c 1 -W 2 $peer > /dev/null 2>&1; do
  i=$((i + 1))
  [ $i -gt 90 ] && break
done
if ping -c 3 -W 5 $peer > /tmp/ping 2>&1; then echo "GB-PING ok"; else echo "GB-PING FAILED"; cat /tmp/ping; fi
if [ "$role" = server ]; then
  echo "GB-RECEIVED $(nc -l -p 5000 | sha256sum | cut -d' ' -f1)"
else
  dd if=/dev/urandom of=/tmp/blob bs=1M count=64 2>/dev/null
  echo "GB-SENT $(sha256sum /tmp/blob | cut -d' ' -f1)"
  t0=$(cut -d' ' -f1 /proc/uptime)
  i=0
  until nc $peer 5000 < /tmp/blob 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 60 ] && { echo "GB-SEND FAILED"; break; }
    sleep 1
  done
  echo "GB-SEND-SECONDS $(echo "$t0 $(cut -d' ' -f1 /proc/uptime)" | awk '{print $2 - $1}')"
fi
echo "GB-NET-DONE"
