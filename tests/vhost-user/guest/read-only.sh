#!/bin/sh
# The disk is served with readonly=on and holds an ext4 file system the
# host made with one file, /hello.  Writes must fail; reads must work.
echo "GB: ro $(cat /sys/block/vda/ro)"
dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/dev/null && echo "GB: raw write ACCEPTED" || echo "GB: raw write refused"
mount -t ext4 -o ro /dev/vda /mnt && echo "GB: mount ok" || echo "GB: mount FAILED"
sha256sum /mnt/hello | sed 's/ .*//; s/^/GB: hello /'
touch /mnt/new 2>/dev/null && echo "GB: file write ACCEPTED" || echo "GB: file write refused"
mount -o remount,rw /mnt 2>/dev/null && echo "GB: remount rw ACCEPTED" || echo "GB: remount rw refused"
umount /mnt
