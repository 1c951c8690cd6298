#!/usr/bin/env bash
# Builds the initramfs images of the "Linux dom0 on a Xen-compatible
# hypervisor under QEMU" harness, from Debian packages that scripts/setup.sh
# fetched by name into $XENIA_CACHE/pkg/ (scripts/deps/download-packages.txt):
#
#   build/integration/domu.cpio.gz       the guest's initramfs: busybox,
#                                        xenstore-utils (+ libs), domu-init.sh
#   build/integration/dom0-base.cpio.gz  dom0's initramfs: busybox, the Xen
#                                        modules, Xen 4.17's tools (+ libs),
#                                        the guest kernel and domu.cpio.gz,
#                                        dom0-init.sh as /init
#   build/integration/vmlinuz            the Debian kernel (dom0 and domU)
#
# run.sh appends a small per-run overlay archive (scenario, store binary,
# load generator) to dom0-base.cpio.gz; Linux unpacks concatenated archives.
#
# Usage: mkinitramfs.sh [--force]   (rebuilds only when an input is newer)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
out=${XENIA_INTEGRATION_OUT:-$top/build/integration}
force=0
[ "${1:-}" = "--force" ] && force=1

die() { echo "mkinitramfs: $*" >&2; exit 1; }

kpkg=$(readlink "$pkg/linux-image-amd64" 2>/dev/null || true)
[ -n "$kpkg" ] && [ -d "$pkg/$kpkg" ] ||
    die "no kernel package in $pkg (run scripts/setup.sh)"
kver=${kpkg#linux-image-}
vmlinuz=$pkg/$kpkg/boot/vmlinuz-$kver
kmods=$pkg/$kpkg/lib/modules/$kver/kernel/drivers/xen
xenbin=$pkg/xen-utils-4.17/usr/lib/xen-4.17/bin
busybox=$pkg/busybox-static/bin/busybox
xsutil=$pkg/xenstore-utils/usr/bin/xenstore
for f in "$vmlinuz" "$busybox" "$xsutil" "$xenbin/xl" "$xenbin/xenstored" \
         "$xenbin/xenconsoled" "$xenbin/xen-init-dom0"; do
    [ -e "$f" ] || die "missing $f (run scripts/setup.sh)"
done

mkdir -p "$out"
dom0_img=$out/dom0-base.cpio.gz
domu_img=$out/domu.cpio.gz

# Up to date? Inputs: this script, the init scripts, the package stamps.
if [ "$force" = 0 ] && [ -f "$dom0_img" ] && [ -f "$domu_img" ] &&
   [ -f "$out/vmlinuz" ]; then
    newer=$(find "$here/mkinitramfs.sh" "$here/host-lib.sh" "$here/dom0-init.sh" "$here/domu-init.sh" \
                 "$here/lib" "$pkg"/*/.done -newer "$dom0_img" 2>/dev/null | head -1)
    [ -z "$newer" ] && { echo "mkinitramfs: up to date ($dom0_img)"; exit 0; }
fi

. "$here/host-lib.sh"

stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# ---- domU ------------------------------------------------------------------
u=$stage/domu
mkdir -p "$u"/{proc,sys,dev,tmp,run,etc}
add_busybox "$u"
add_xenstore_utils "$u"
install -m 755 "$here/domu-init.sh" "$u/init"
pack "$u" "$domu_img"

# ---- dom0 ------------------------------------------------------------------
r=$stage/dom0
mkdir -p "$r"/{proc,sys,dev,tmp,run,root,etc/xen,lib/modules,boot,scenarios} \
         "$r"/var/{lib/xen,lib/xenstored,log/xen/console,lock} \
         "$r"/usr/lib/xen-4.17/bin
ln -s ../run "$r/var/run"
add_busybox "$r"
add_xenstore_utils "$r"
for b in xl xenstored xenconsoled xen-init-dom0 xenstore-control xentop \
         xenconsole; do
    copy_elf "$r" "$xenbin/$b" "usr/lib/xen-4.17/bin/$b"
done
# tmux (the host's, from apt-packages.txt) drives `xenia top` in the
# toolstack scenario; ncurses programs need the terminfo entries.
if [ -x /usr/bin/tmux ]; then
    copy_elf "$r" /usr/bin/tmux usr/bin/tmux
    for t in l/linux s/screen s/screen-256color t/tmux t/tmux-256color \
             v/vt100 v/vt220 x/xterm x/xterm-256color d/dumb; do
        if [ -e "/lib/terminfo/$t" ]; then
            mkdir -p "$r/lib/terminfo/${t%/*}"
            cp -L "/lib/terminfo/$t" "$r/lib/terminfo/$t"
        elif [ -e "/usr/share/terminfo/$t" ]; then
            mkdir -p "$r/usr/share/terminfo/${t%/*}"
            cp -L "/usr/share/terminfo/$t" "$r/usr/share/terminfo/$t"
        fi
    done
fi
# glibc dlopen()s libgcc_s for pthread_cancel (libxl); ldd does not show it.
cp -L "$(find_lib libgcc_s.so.1)" "$r/lib/x86_64-linux-gnu/libgcc_s.so.1"

for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    src=$(find "$kmods" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
    [ -n "$src" ] || die "module $m not found under $kmods"
    case "$src" in
    *.xz) xz -dc "$src" > "$r/lib/modules/$m.ko" ;;
    *)    cp "$src" "$r/lib/modules/$m.ko" ;;
    esac
done

cat > "$r/etc/xen/xl.conf" <<'EOF'
# dom0_mem is fixed on the hypervisor command line: never balloon dom0.
autoballoon="off"
EOF
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\n' > "$r/etc/group"

cp "$vmlinuz" "$r/boot/vmlinuz"
cp "$domu_img" "$r/boot/domu.cpio.gz"
mkdir -p "$r/lib/xenia"
cp "$here"/lib/*.sh "$r/lib/xenia/"
install -m 755 "$here/dom0-init.sh" "$r/init"
pack "$r" "$dom0_img"

cp "$vmlinuz" "$out/vmlinuz"
echo "mkinitramfs: kernel $kver"
echo "mkinitramfs: $domu_img ($(stat -c %s "$domu_img") bytes)"
echo "mkinitramfs: $dom0_img ($(stat -c %s "$dom0_img") bytes)"
