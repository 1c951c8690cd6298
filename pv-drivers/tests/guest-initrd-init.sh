#!/bin/sh
# /init of the pv-block guest's initramfs: load the PV disk and ext4
# modules, mount /dev/xvda and switch_root into it (pv-drivers/tests/).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "PVB: initramfs"
for m in crc16 crc32c_generic mbcache jbd2 ext4 xen-blkfront; do
    insmod /lib/modules/$m.ko || echo "PVB: insmod $m failed"
done
i=0
while [ ! -b /dev/xvda ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
if ! [ -b /dev/xvda ]; then
    echo "PVB: FATAL no /dev/xvda"
    exec sh
fi
mkdir -p /newroot
if ! mount -t ext4 /dev/xvda /newroot; then
    echo "PVB: FATAL mount /dev/xvda failed"
    dmesg | tail -20
    exec sh
fi
echo "PVB: root mounted $(grep ' /newroot ' /proc/mounts)"
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /sbin/pvb-init
