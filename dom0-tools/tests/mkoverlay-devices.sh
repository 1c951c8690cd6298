#!/bin/bash
# The files the toolstack-devices scenario needs in dom0, as an overlay
# directory that tests/integration/xen-dom0/run.sh copies in
# (build/dom0-tools/overlay-toolstack-devices/): pv-drivers' pv-block guest
# (initramfs and ext4 root image) and xenia-blkback (make -C pv-drivers),
# xenia-netback and the pv-net guest's initramfs when built (the kernel-vif
# guest's netfront moves data with it), and the dom0 kernel modules the
# kernel's backends need (and ext4's, for dom0 to read the root image back),
# from the cached Debian kernel package.
# Usage: mkoverlay-devices.sh OUTDIR
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
pvb=$top/build/pv-drivers/overlay-pv-block
pkg=${XENIA_PKG_CACHE:-$HOME/.cache/xenia/pkg}
kdir=$(ls -d "$pkg"/linux-image-6.1.*-amd64/lib/modules/6.1.*-amd64 2>/dev/null | head -n 1)

for f in boot/pvb-root.img boot/pvb-initrd.cpio.gz usr/local/bin/xenia-blkback; do
    [ -f "$pvb/$f" ] || { echo "mkoverlay-devices: $pvb/$f missing (make -C pv-drivers)" >&2; exit 1; }
done
[ -n "$kdir" ] || { echo "mkoverlay-devices: no cached linux-image-6.1 modules under $pkg" >&2; exit 1; }

rm -rf "$out.tmp"
mkdir -p "$out.tmp/boot" "$out.tmp/usr/local/bin" "$out.tmp/lib/modules"
cp "$pvb/boot/pvb-initrd.cpio.gz" "$out.tmp/boot/"
# the scenario's own copy of the root image (pv-block writes to its own)
cp "$pvb/boot/pvb-root.img" "$out.tmp/boot/tsd-root.img"
cp "$pvb/usr/local/bin/xenia-blkback" "$out.tmp/usr/local/bin/"
if [ -x "$top/build/pv-drivers/xenia-netback" ]; then
    cp "$top/build/pv-drivers/xenia-netback" "$out.tmp/usr/local/bin/"
fi
if [ -f "$top/build/pv-drivers/overlay-pv-net/boot/pvn-initrd.cpio.gz" ]; then
    cp "$top/build/pv-drivers/overlay-pv-net/boot/pvn-initrd.cpio.gz" "$out.tmp/boot/"
fi
for m in drivers/block/loop drivers/block/xen-blkback/xen-blkback \
         drivers/net/xen-netback/xen-netback drivers/net/tun \
         net/llc/llc net/802/stp net/bridge/bridge \
         lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4; do
    b=$(basename "$m")
    if [ -f "$kdir/kernel/$m.ko" ]; then
        cp "$kdir/kernel/$m.ko" "$out.tmp/lib/modules/$b.ko"
    elif [ -f "$kdir/kernel/$m.ko.xz" ]; then
        xz -dc "$kdir/kernel/$m.ko.xz" > "$out.tmp/lib/modules/$b.ko"
    else
        echo "mkoverlay-devices: module $m not in $kdir" >&2
        exit 1
    fi
done
rm -rf "$out"
mv "$out.tmp" "$out"
