#!/bin/bash
# mkguest.sh OVERLAY: the files the bench-pv scenario (make bench) needs in
# dom0, as a directory tree that tests/integration's run.sh copies into
# dom0's initramfs (build/integration/overlay-bench-pv/):
#   usr/local/bin/xenia-blkback, xenia-netback   (make -C pv-drivers)
#   lib/modules/pvbench/*.ko   loop, xen-blkback, xen-netback, tun, llc,
#                              stp, bridge for dom0 (cached Debian kernel)
#   boot/pvbench-initrd.cpio.gz  the guest's initramfs: busybox, the host's
#                              fio (Debian's package, scripts/deps) with
#                              every library it links, xen-blkfront.ko,
#                              xen-netfront.ko and /init (guest-init.sh)
# Rebuilt only when an input is newer than the stamp.  Nothing here is
# committed: the binaries come from the host and the package cache.
set -euo pipefail
ov=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
busybox=$pkg/busybox-static/bin/busybox
kdir=$(ls -d "$pkg"/linux-image-6.1.*-amd64/lib/modules/6.1.*-amd64 2>/dev/null | head -n 1)
blkback=$top/build/pv-drivers/xenia-blkback
netback=$top/build/pv-drivers/xenia-netback
fio=$(command -v fio || true)
ldso=/lib64/ld-linux-x86-64.so.2
die() { echo "mkguest.sh: $*" >&2; exit 1; }
[ -x "$busybox" ] || die "$busybox missing (scripts/setup.sh fetches busybox-static)"
[ -n "$kdir" ] || die "no cached linux-image-6.1 modules under $pkg"
[ -n "$fio" ] || die "no fio on this host (scripts/setup.sh installs Debian's fio)"
[ -x "$blkback" ] || die "$blkback missing (make -C pv-drivers)"
[ -x "$netback" ] || die "$netback missing (make -C pv-drivers)"

stamp=$ov/.stamp
inputs=("$0" "$here/guest-init.sh" "$busybox" "$fio" "$blkback" "$netback")
if [ -f "$stamp" ]; then
    fresh=1
    for f in "${inputs[@]}"; do [ "$f" -nt "$stamp" ] && fresh=0; done
    [ $fresh = 1 ] && exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvbench-guest.XXXXXX")
trap 'rm -rf "$tmp" "$ov.new"' EXIT
rm -rf "$ov.new"
mkdir -p "$ov.new/usr/local/bin" "$ov.new/boot" "$ov.new/lib/modules/pvbench"
cp "$blkback" "$netback" "$ov.new/usr/local/bin/"

module() {   # module PATH-UNDER-kernel/ DESTDIR
    local b
    b=$(basename "$1")
    if [ -f "$kdir/kernel/$1.ko" ]; then
        cp "$kdir/kernel/$1.ko" "$2/$b.ko"
    elif [ -f "$kdir/kernel/$1.ko.xz" ]; then
        xz -dc "$kdir/kernel/$1.ko.xz" > "$2/$b.ko"
    else
        die "module $1 not in $kdir"
    fi
}
for m in drivers/block/loop drivers/block/xen-blkback/xen-blkback \
         drivers/net/xen-netback/xen-netback drivers/net/tun \
         net/llc/llc net/802/stp net/bridge/bridge; do
    module "$m" "$ov.new/lib/modules/pvbench"
done

ird=$tmp/initrd
mkdir -p "$ird/lib/modules" "$ird/lib/x86_64-linux-gnu" "$ird/lib64" "$ird/dev" \
         "$ird/proc" "$ird/sys" "$ird/tmp" "$ird/bin" "$ird/sbin" "$ird/usr/bin" \
         "$ird/usr/sbin" "$ird/usr/lib"
cp "$busybox" "$ird/bin/busybox"
for a in $("$busybox" --list); do
    [ "$a" = busybox ] || [ -e "$ird/bin/$a" ] || ln -s busybox "$ird/bin/$a"
done
module drivers/block/xen-blkfront "$ird/lib/modules"
module drivers/net/xen-netfront "$ird/lib/modules"
cp "$fio" "$ird/usr/bin/fio"
# Every library fio links, as the host's loader resolves them (it lists
# them without running fio), flat in /lib/x86_64-linux-gnu.
libs=$("$ldso" --list "$fio" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[ -n "$libs" ] || die "the loader listed no library for $fio"
if "$ldso" --list "$fio" | grep -q 'not found'; then
    die "fio's libraries are incomplete on this host: $("$ldso" --list "$fio" | grep 'not found' | tr '\n' ' ')"
fi
for l in $libs; do
    cp -L "$l" "$ird/lib/x86_64-linux-gnu/$(basename "$l")"
done
cp -L "$ldso" "$ird/lib64/ld-linux-x86-64.so.2"
ln -s ../lib/x86_64-linux-gnu "$ird/usr/lib/x86_64-linux-gnu"
cp "$here/guest-init.sh" "$ird/init"
chmod 755 "$ird/init"
( cd "$ird" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet ) | gzip -6 > "$ov.new/boot/pvbench-initrd.cpio.gz"

touch "$ov.new/.stamp"
rm -rf "$ov"
mv "$ov.new" "$ov"
echo "mkguest.sh: $ov ($(du -h "$ov/boot/pvbench-initrd.cpio.gz" | cut -f1) guest initramfs)"
