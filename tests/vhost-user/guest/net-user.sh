#!/bin/sh
# Linux's virtio_net on our virtio-net (vhost-user-net, libslirp or passt):
# a DHCP lease, a TCP server on the host's loopback reached through the
# gateway 10.0.2.2 (port 8082), and a server in the guest (port 7777) that a
# host port forward reaches.
ip link set eth0 up
# udhcpc's default script is not in the initramfs: print what it got.
cat > /tmp/dhcp.sh <<'S'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add $ip/${mask:-24} dev $interface
ip route add default via $router
echo "$ip router $router dns $dns" > /tmp/lease
S
chmod +x /tmp/dhcp.sh
udhcpc -i eth0 -n -q -t 5 -s /tmp/dhcp.sh > /dev/null 2>&1 || echo "FAILED" > /tmp/lease
echo "GB: lease $(cat /tmp/lease)"
echo "GB: from-host $(nc 10.0.2.2 8082 < /dev/null)"
echo "hello from the guest" | nc -l -p 7777 > /dev/null &
sleep 1
echo "GB: listening"
wait
echo "GB: forward done"
