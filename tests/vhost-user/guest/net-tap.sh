#!/bin/sh
# Linux's virtio_net on our virtio-net (vhost-user-net, tap backend): the
# host end of the tap is 10.0.77.1, we are 10.0.77.2.  Ping it, take 16 MiB
# from its port 8080 and send 16 MiB to its port 8081, with checksums.
dev=$(basename $(readlink /sys/class/net/eth0/device))
echo "GB: features $(cat /sys/bus/virtio/devices/$dev/features)"
echo "GB: mac $(cat /sys/class/net/eth0/address)"
ip link set eth0 up
ip addr add 10.0.77.2/24 dev eth0
echo "GB: carrier $(cat /sys/class/net/eth0/carrier)"
if ping -c 3 -W 10 10.0.77.1 > /tmp/ping 2>&1; then echo "GB: ping ok"; else echo "GB: ping FAILED"; cat /tmp/ping; fi
nc 10.0.77.1 8080 < /dev/null | sha256sum | sed 's/ .*//; s/^/GB: download-sum /'
dd if=/dev/urandom of=/tmp/up bs=1M count=16 2>/dev/null
sha256sum /tmp/up | sed 's/ .*//; s/^/GB: upload-sum /'
nc 10.0.77.1 8081 < /tmp/up > /dev/null && echo "GB: upload sent"
echo "GB: rx-packets $(cat /sys/class/net/eth0/statistics/rx_packets)"
echo "GB: tx-packets $(cat /sys/class/net/eth0/statistics/tx_packets)"
