#!/usr/bin/env bash
# Builds an extra initramfs archive that run.sh appends to dom0's image for
# the scenarios that ask for it ("# EXTRA-IMAGE: KIND"), so that the base
# image stays small:
#
#   locale   glibc's C.UTF-8 locale (from the host): tmux refuses to start
#            without a UTF-8 locale (xen-tools drives `xl console` in a tmux
#            pane)
#   libvirt  the locale, plus Debian's libvirtd with the libxl driver
#            (libvirt-daemon, libvirt-daemon-driver-xen), virsh
#            (libvirt-clients), their libraries (those the base image does
#            not already have), libvirt's CPU map, a minimal libvirtd.conf
#            (Unix socket, no authentication, no polkit) and libxl.conf
#
# The packages come from the cache scripts/setup.sh fills
# (scripts/deps/download-packages.txt); libraries resolve as in
# mkinitramfs.sh (host-lib.sh).  Output: build/integration/extra-KIND.cpio.gz
# (printed on stdout), rebuilt only when an input is newer.
#
# Usage: mk-extra.sh locale|libvirt
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
out=${XENIA_INTEGRATION_OUT:-$top/build/integration}

die() { echo "mk-extra: $*" >&2; exit 1; }
[ $# = 1 ] || { echo "usage: mk-extra.sh locale|libvirt" >&2; exit 2; }
kind=$1
case "$kind" in
locale|libvirt) ;;
*) echo "mk-extra: unknown kind '$kind' (locale or libvirt)" >&2; exit 2 ;;
esac

img=$out/extra-$kind.cpio.gz
base=$out/dom0-base.cpio.gz
mkdir -p "$out"
# run.sh calls this before it takes the QEMU lock: two runs at once must
# not build the same archive together.
exec 8> "$out/.extra-$kind.lock"
flock 8
[ -f "$base" ] || die "$base missing (run mkinitramfs.sh first)"
locale_dir=
for d in /usr/lib/locale/C.utf8 /usr/lib/locale/C.UTF-8; do
    [ -d "$d" ] && { locale_dir=$d; break; }
done
[ -n "$locale_dir" ] || die "the host has no C.UTF-8 locale in /usr/lib/locale (package libc-bin)"

inputs=("$here/mk-extra.sh" "$here/host-lib.sh" "$base")
if [ "$kind" = libvirt ]; then
    for p in libvirt0 libvirt-daemon libvirt-daemon-driver-xen libvirt-clients; do
        [ -f "$pkg/$p/.done" ] ||
            die "package $p is not in $pkg (run scripts/setup.sh)"
        inputs+=("$pkg/$p/.done")
    done
fi
if [ -f "$img" ] && [ -z "$(find "${inputs[@]}" -newer "$img" 2>/dev/null | head -1)" ]; then
    echo "$img"
    exit 0
fi

. "$here/host-lib.sh"

mkdir -p "$out"
stage=$(mktemp -d "$out/.extra.XXXXXX")
trap 'rm -rf "$stage"' EXIT
r=$stage/root
mkdir -p "$r/usr/lib/locale"
cp -a "$locale_dir" "$r/usr/lib/locale/"

if [ "$kind" = libvirt ]; then
    lvd=$pkg/libvirt-daemon
    copy_elf "$r" "$lvd/usr/sbin/libvirtd" usr/sbin/libvirtd
    copy_elf "$r" "$lvd/usr/sbin/virtlogd" usr/sbin/virtlogd
    copy_elf "$r" "$pkg/libvirt-clients/usr/bin/virsh" usr/bin/virsh
    drv=usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_libxl.so
    copy_elf "$r" "$pkg/libvirt-daemon-driver-xen/$drv" "$drv"
    chmod 644 "$r/$drv"
    mkdir -p "$r/usr/share/libvirt"
    cp -a "$pkg/libvirt0/usr/share/libvirt/cpu_map" "$r/usr/share/libvirt/"
    # the libraries dom0's base image already has stay out of the overlay
    zcat "$base" | cpio -t --quiet 2>/dev/null |
        sed -n 's|^\./||; s|^lib/x86_64-linux-gnu/||p' | sort -u > "$stage/base-libs"
    for f in "$r"/lib/x86_64-linux-gnu/*; do
        grep -qxF "$(basename "$f")" "$stage/base-libs" && rm -f "$f"
    done
    [ -e "$r/lib/x86_64-linux-gnu/libvirt.so.0" ] || die "libvirt.so.0 did not make it into the overlay"
    rm -rf "$r/lib64"   # the loader is in the base image
    mkdir -p "$r/etc/libvirt" "$r/var/lib/libvirt/libxl" "$r/var/log/libvirt/libxl" \
             "$r/var/cache/libvirt"
    cat > "$r/etc/libvirt/libvirtd.conf" <<'EOF'
# dom0 of the libvirt scenario: the local Unix socket only, root only, no
# polkit and no SASL.
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "2:file:/var/log/libvirt/libvirtd.log"
EOF
    cat > "$r/etc/libvirt/libxl.conf" <<'EOF'
# dom0_mem is fixed on the hypervisor's command line: never balloon dom0.
autoballoon = 0
EOF
    cat > "$r/etc/libvirt/libvirt.conf" <<'EOF'
uri_default = "xen:///system"
EOF
fi
pack "$r" "$img"
echo "mk-extra: $img ($(stat -c %s "$img") bytes)" >&2
echo "$img"
