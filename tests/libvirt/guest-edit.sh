#!/bin/sh
# Run by the test guest's /init (gb.run=guest-edit.sh) for test-qemu-edit,
# stdin and stdout on the serial console.  Says it is up once a second until
# the first command; then answers commands read from the console:
#   disks  -> "DISKS <names in /sys/block>"
#   cpus   -> onlines any offline CPU, then "CPUS present=<list> online=<list>"
#   off    -> stops (then /init powers the guest off)
(
  while [ ! -e /tmp/asked ]; do
    echo "GLASSBOX-MARKER guest-is-up"
    sleep 1
  done
) &
while read -r line; do
  : > /tmp/asked
  case "$line" in
    disks) echo "DISKS $(ls /sys/block | tr '\n' ' ')END" ;;
    # A hot-plugged CPU arrives offline (no udev here): bring it online, as
    # udev's rule would, then report.
    cpus) for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
            [ -e "$c" ] && echo 1 > "$c" 2>/dev/null
          done
          echo "CPUS present=$(cat /sys/devices/system/cpu/present) online=$(cat /sys/devices/system/cpu/online) END" ;;
    off) break ;;
  esac
done
