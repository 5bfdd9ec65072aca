#!/bin/sh
# Boot 2 of the ext4 test, against the same back-end process (it reconnects):
# the file system is still clean and every file still has its checksum.
# busybox runs its own applets before anything in PATH: extra binaries
# (GB_GUEST_EXTRA_BINARIES) are called by their full path, /sbin/…
ln -sf /proc/mounts /etc/mtab
/sbin/e2fsck -f -n /dev/vda > /tmp/fsck.log 2>&1 && echo "GB: fsck clean" || { cat /tmp/fsck.log; echo "GB: fsck FAILED"; }
mount -t ext4 -o ro /dev/vda /mnt || { echo "GB: mount FAILED"; exit 1; }
grep -v '^.* big$' /mnt/SUMS > /tmp/SUMS
(cd /mnt && sha256sum -c /tmp/SUMS > /dev/null) && echo "GB: verify ok" || echo "GB: verify FAILED"
umount /mnt
