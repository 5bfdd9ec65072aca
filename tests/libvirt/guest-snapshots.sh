#!/bin/sh
# Run by the test guest's /init (gb.run=guest-snapshots.sh), stdin and stdout
# on the serial console.  Counts on the console ("GLASSBOX-COUNT n", five a
# second) so a test sees whether a restored machine continues or starts
# again, and answers commands read from the console:
#   mark   writes "GLASSBOX-DISK-MARK" at the start of /dev/vda (synced)
#   check  prints "GLASSBOX-DISK:<the first 18 bytes of /dev/vda>" (O_DIRECT,
#          so what is on the disk, not in the page cache)
#   mark2, check2  the same on the data disk /dev/vdb ("GLASSBOX-DISK2:")
#   disks  prints "GLASSBOX-DISKS <the vd* block devices> END"
#   off    ends the script; /init powers the guest off
(
  n=0
  while :; do
    n=$((n + 1))
    echo "GLASSBOX-COUNT $n"
    sleep 0.2
  done
) &
counter=$!
while read -r line; do
  case "$line" in
    mark)
      printf 'GLASSBOX-DISK-MARK' | dd of=/dev/vda bs=512 count=1 conv=notrunc,sync oflag=direct 2>/dev/null
      sync
      echo "GLASSBOX-MARKED"
      ;;
    check)
      echo "GLASSBOX-DISK:$(dd if=/dev/vda bs=512 count=1 iflag=direct 2>/dev/null | head -c 18 | tr -c 'A-Z-' '.')"
      ;;
    mark2)
      printf 'GLASSBOX-DISK-MARK' | dd of=/dev/vdb bs=512 count=1 conv=notrunc,sync oflag=direct 2>/dev/null
      sync
      echo "GLASSBOX-MARKED2"
      ;;
    check2)
      echo "GLASSBOX-DISK2:$(dd if=/dev/vdb bs=512 count=1 iflag=direct 2>/dev/null | head -c 18 | tr -c 'A-Z-' '.')"
      ;;
    disks)
      echo "GLASSBOX-DISKS $(cd /sys/block && echo vd*) END"
      ;;
    off)
      break
      ;;
  esac
done
kill $counter
