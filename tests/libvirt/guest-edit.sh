#!/bin/sh
# Run by the test guest's /init (gb.run=guest-edit.sh) for test-qemu-edit,
# stdin and stdout on the serial console.  Says it is up once a second until
# the first command; then answers commands read from the console:
#   disks  -> "DISKS <name>:<size in 512-byte sectors> … END" (/sys/block)
#   cpus   -> onlines any offline CPU, then "CPUS present=<list> online=<list>"
#   cdrom  -> "CDROM <the capital letters, digits and dashes of the first
#             2 KiB of /dev/sr0, or none> END" (opening it makes the kernel
#             look for a changed medium)
#   nics   -> "NICS <interfaces in /sys/class/net but lo> END"
#   mem    -> "MEM <MemTotal in KiB> END" (a virtio balloon takes from it)
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
    disks) out=
           for d in /sys/block/*; do
             out="$out $(basename "$d"):$(cat "$d/size")"
           done
           echo "DISKS$out END" ;;
    # A hot-plugged CPU arrives offline (no udev here): bring it online, as
    # udev's rule would, then report.
    cpus) for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
            [ -e "$c" ] && echo 1 > "$c" 2>/dev/null
          done
          echo "CPUS present=$(cat /sys/devices/system/cpu/present) online=$(cat /sys/devices/system/cpu/online) END" ;;
    cdrom) m=$(dd if=/dev/sr0 bs=2048 count=1 2>/dev/null | tr -cd 'A-Z0-9-')
           echo "CDROM ${m:-none} END" ;;
    nics) out=
          for n in /sys/class/net/*; do
            [ "$(basename "$n")" = lo ] || out="$out $(basename "$n")"
          done
          echo "NICS$out END" ;;
    mem) echo "MEM $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) END" ;;
    off) break ;;
  esac
done
