#!/bin/sh
# Boot 1 of the ext4 test: format /dev/vda, fill it with files of known
# checksums, sync, unmount, fsck, remount, verify, trim.  Lines starting
# with "GB:" are read by tests/vhost-user/test-vhost-user-linux.c.
# busybox runs its own applets before anything in PATH: extra binaries
# (GB_GUEST_EXTRA_BINARIES) are called by their full path, /sbin/…
set -e
ln -sf /proc/mounts /etc/mtab
echo "GB: write-cache $(cat /sys/block/vda/queue/write_cache)"
/sbin/mke2fs -q -F -t ext4 -L glassbox /dev/vda
mount -t ext4 /dev/vda /mnt
mkdir /mnt/dir
dd if=/dev/urandom of=/mnt/big bs=1M count=24 2>/dev/null
dd if=/dev/urandom of=/mnt/odd bs=12345 count=3 2>/dev/null
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
  dd if=/dev/urandom of=/mnt/dir/small$i bs=1k count=$i 2>/dev/null
done
(cd /mnt && sha256sum big odd dir/* > /tmp/SUMS && cp /tmp/SUMS SUMS)
sed 's/^/GB: sum /' /tmp/SUMS
sync
umount /mnt
/sbin/e2fsck -f -n /dev/vda > /tmp/fsck.log 2>&1 && echo "GB: fsck clean" || { cat /tmp/fsck.log; echo "GB: fsck FAILED"; }
mount -t ext4 /dev/vda /mnt
(cd /mnt && sha256sum -c SUMS > /dev/null) && echo "GB: verify ok" || echo "GB: verify FAILED"
rm /mnt/big
sync
/sbin/fstrim -v /mnt | sed 's/^/GB: fstrim /'
umount /mnt
# /sys/block/<dev>/stat field 16 counts completed flush requests: a flush
# only completes if the device answered it.
echo "GB: flushes $(awk '{print $16}' /sys/block/vda/stat)"
echo "GB: discards $(awk '{print $12}' /sys/block/vda/stat)"
