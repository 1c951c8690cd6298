#!/bin/bash
# mkguest.sh OVERLAY BLKBACK VBD_ATTACH [HOSTILE_ELF]: the files the pv-block scenario
# needs in dom0, as a directory tree that tests/integration's run.sh
# copies into dom0's initramfs (build/*/overlay-SCENARIO):
#   usr/local/bin/xenia-blkback, usr/local/bin/vbd-attach
#   boot/pvb-initrd.cpio.gz  the guest's initramfs: busybox, the modules
#                            xen-blkfront ext4 jbd2 mbcache crc16
#                            crc32c_generic (from the cached Debian
#                            kernel; .ko.xz unpacked), /init
#   boot/pvb-root.img        a 32 MiB ext4 image (mke2fs -d, no root
#                            privileges): busybox and /sbin/pvb-init
#   boot/blkhostile.elf      the hostile frontend (tests/guests/
#                            blkhostile), when HOSTILE_ELF exists
# Rebuilt only when an input is newer than the stamp.
set -euo pipefail
ov=$1 blkback=$2 attach=$3 hostile=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
busybox=$pkg/busybox-static/bin/busybox
kdir=$(ls -d "$pkg"/linux-image-6.1.*-amd64/lib/modules/6.1.*-amd64 2>/dev/null | head -n 1)
die() { echo "mkguest.sh: $*" >&2; exit 1; }
[ -x "$busybox" ] || die "$busybox missing (scripts/setup.sh fetches busybox-static)"
[ -n "$kdir" ] || die "no cached linux-image-6.1 modules under $pkg"
command -v mke2fs > /dev/null || command -v /sbin/mke2fs > /dev/null ||
    die "mke2fs missing (e2fsprogs)"
PATH=$PATH:/sbin:/usr/sbin

stamp=$ov/.stamp
inputs=("$0" "$blkback" "$attach" "$here/guest-initrd-init.sh"
        "$here/guest-root-init.sh" "$busybox")
[ -n "$hostile" ] && [ -f "$hostile" ] && inputs+=("$hostile")
if [ -f "$stamp" ]; then
    fresh=1
    for f in "${inputs[@]}"; do [ "$f" -nt "$stamp" ] && fresh=0; done
    [ $fresh = 1 ] && exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvb-guest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rm -rf "$ov.new"
mkdir -p "$ov.new/usr/local/bin" "$ov.new/boot"
cp "$blkback" "$ov.new/usr/local/bin/xenia-blkback"
cp "$attach" "$ov.new/usr/local/bin/vbd-attach"
chmod 755 "$ov.new/usr/local/bin/"*
if [ -n "$hostile" ] && [ -f "$hostile" ]; then
    cp "$hostile" "$ov.new/boot/blkhostile.elf"
elif [ -n "$hostile" ]; then
    echo "mkguest.sh: $hostile missing: pv-block's hostile-frontend checks will fail" >&2
fi

add_busybox() {
    local root=$1 a
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
    cp "$busybox" "$root/bin/busybox"
    for a in $("$busybox" --list); do
        [ "$a" = busybox ] && continue
        [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
    done
}

# the initramfs
ird=$tmp/initrd
mkdir -p "$ird/lib/modules" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot"
add_busybox "$ird"
for m in drivers/block/xen-blkfront fs/ext4/ext4 fs/jbd2/jbd2 fs/mbcache \
         lib/crc16 crypto/crc32c_generic; do
    b=$(basename "$m")
    if [ -f "$kdir/kernel/$m.ko" ]; then
        cp "$kdir/kernel/$m.ko" "$ird/lib/modules/$b.ko"
    elif [ -f "$kdir/kernel/$m.ko.xz" ]; then
        xz -dc "$kdir/kernel/$m.ko.xz" > "$ird/lib/modules/$b.ko"
    else
        die "module $m not in $kdir"
    fi
done
cp "$here/guest-initrd-init.sh" "$ird/init"
chmod 755 "$ird/init"
( cd "$ird" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet ) | gzip -6 > "$ov.new/boot/pvb-initrd.cpio.gz"

# the root file system
rd=$tmp/root
mkdir -p "$rd/dev" "$rd/proc" "$rd/sys" "$rd/data" "$rd/tmp"
add_busybox "$rd"
cp "$here/guest-root-init.sh" "$rd/sbin/pvb-init"
chmod 755 "$rd/sbin/pvb-init"
rm -f "$ov.new/boot/pvb-root.img"
mke2fs -q -F -t ext4 -L pvbroot -E root_owner=0:0 -d "$rd" \
    "$ov.new/boot/pvb-root.img" 32M > /dev/null || die "mke2fs failed"

touch "$ov.new/.stamp"
rm -rf "$ov"
mv "$ov.new" "$ov"
echo "mkguest.sh: $ov"
