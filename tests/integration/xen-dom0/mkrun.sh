#!/usr/bin/env bash
# Builds the initramfs `make run` boots as Xenia's dom0, outside the source
# tree: the harness's dom0 image (mkinitramfs.sh: busybox, the Xen modules,
# Xen 4.17's tools, dom0-init.sh as /init) plus an overlay with
# xenia-stored, the toolstack (xenia, xenia-consoled: make -C dom0-tools),
# the xenia-dom0test program, a motd, a ready guest config and the make-run
# scenarios (make-run/shell.sh for a terminal, make-run/tour.sh without).
#
# Usage: mkrun.sh shell|tour OUTPUT.cpio.gz
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
out=$top/build/integration
[ $# = 2 ] || { echo "usage: mkrun.sh shell|tour OUTPUT.cpio.gz" >&2; exit 2; }
mode=$1
dst=$2
case "$mode" in shell|tour) ;; *) echo "mkrun: mode shell or tour" >&2; exit 2 ;; esac

die() { echo "mkrun: $*" >&2; exit 1; }

"$here/mkinitramfs.sh" > /dev/null || die "mkinitramfs.sh failed"
xenia_stored=${XENIA_STORED:-$top/build/xenstore-like/xenia-stored}
[ -x "$xenia_stored" ] || die "$xenia_stored missing (make -C xenstore-like)"
for b in xenia xenia-consoled; do
    [ -x "$top/build/dom0-tools/$b" ] || die "$top/build/dom0-tools/$b missing (make -C dom0-tools)"
done
dom0test=$out/xenia-dom0test
if [ ! -x "$dom0test" ] || [ "$here/dom0test.c" -nt "$dom0test" ]; then
    ${CC:-gcc} -O2 -Wall -Wextra -static -o "$dom0test" "$here/dom0test.c" ||
        die "cannot build $dom0test"
fi

. "$here/host-lib.sh"

mkdir -p "$(dirname "$dst")"
ov=$(mktemp -d "$(dirname "$dst")/.overlay.XXXXXX")
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/etc" "$ov/scenarios" "$ov/usr/local/bin"
copy_elf "$ov" "$xenia_stored" usr/sbin/xenia-stored
cp "$dom0test" "$ov/usr/local/bin/xenia-dom0test"
copy_elf "$ov" "$top/build/dom0-tools/xenia" usr/local/bin/xenia
copy_elf "$ov" "$top/build/dom0-tools/xenia-consoled" usr/local/bin/xenia-consoled
cp "$here/make-run/lib.sh" "$ov/scenarios/make-run-lib.sh"
cp "$here/make-run/shell.sh" "$ov/scenarios/make-run-shell.sh"
cp "$here/make-run/tour.sh" "$ov/scenarios/make-run-tour.sh"
cp "$here/make-run/motd" "$ov/etc/motd"
# /init reads this (RUN_TIMEOUT=0: no watchdog)
cat > "$ov/etc/xenia-run.conf" <<CONF
SCENARIO=make-run-$mode
STORE=xenia
STORE_TRACE=0
HV_NAME=xenia
RUN_TIMEOUT=0
CONF
pack "$ov" "$ov.cpio.gz"
cat "$out/dom0-base.cpio.gz" "$ov.cpio.gz" > "$dst.tmp"
rm -f "$ov.cpio.gz"
mv "$dst.tmp" "$dst"
echo "$dst"
