#!/bin/bash
# mkguest.sh OVERLAY NETBACK VIF_ATTACH: the files the pv-net scenario
# needs in dom0, as a directory tree that tests/integration's run.sh
# copies into dom0's initramfs (build/pv-drivers/overlay-pv-net):
#   usr/local/bin/xenia-netback, usr/local/bin/vif-attach
#   lib/modules/pvnet/{tun,llc,stp,bridge}.ko   for dom0 (cached Debian
#                                               kernel; .ko.xz unpacked)
#   boot/pvn-initrd.cpio.gz  the guest's initramfs: busybox,
#                            xen-netfront.ko and /init (guest-init.sh)
# Rebuilt only when an input is newer than the stamp.
set -euo pipefail
ov=$1 netback=$2 attach=$3
here=$(cd "$(dirname "$0")" && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
busybox=$pkg/busybox-static/bin/busybox
kdir=$(ls -d "$pkg"/linux-image-6.1.*-amd64/lib/modules/6.1.*-amd64 2>/dev/null | head -n 1)
die() { echo "mkguest.sh: $*" >&2; exit 1; }
[ -x "$busybox" ] || die "$busybox missing (scripts/setup.sh fetches busybox-static)"
[ -n "$kdir" ] || die "no cached linux-image-6.1 modules under $pkg"

stamp=$ov/.stamp
inputs=("$0" "$netback" "$attach" "$here/guest-init.sh" "$busybox")
if [ -f "$stamp" ]; then
    fresh=1
    for f in "${inputs[@]}"; do [ "$f" -nt "$stamp" ] && fresh=0; done
    [ $fresh = 1 ] && exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvn-guest.XXXXXX")
trap 'rm -rf "$tmp" "$ov.new"' EXIT
rm -rf "$ov.new"
mkdir -p "$ov.new/usr/local/bin" "$ov.new/boot" "$ov.new/lib/modules/pvnet"
cp "$netback" "$ov.new/usr/local/bin/xenia-netback"
cp "$attach" "$ov.new/usr/local/bin/vif-attach"
chmod 755 "$ov.new/usr/local/bin/"*

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
for m in drivers/net/tun net/llc/llc net/802/stp net/bridge/bridge; do
    module "$m" "$ov.new/lib/modules/pvnet"
done

ird=$tmp/initrd
mkdir -p "$ird/lib/modules" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/tmp" \
         "$ird/bin" "$ird/sbin" "$ird/usr/bin" "$ird/usr/sbin"
cp "$busybox" "$ird/bin/busybox"
for a in $("$busybox" --list); do
    [ "$a" = busybox ] || [ -e "$ird/bin/$a" ] || ln -s busybox "$ird/bin/$a"
done
module drivers/net/xen-netfront "$ird/lib/modules"
cp "$here/guest-init.sh" "$ird/init"
chmod 755 "$ird/init"
( cd "$ird" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet ) | gzip -6 > "$ov.new/boot/pvn-initrd.cpio.gz"

touch "$ov.new/.stamp"
rm -rf "$ov"
mv "$ov.new" "$ov"
echo "mkguest.sh: $ov"
