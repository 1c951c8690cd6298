#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 machine: installs the Debian packages the
# project uses (scripts/deps/apt-packages.txt) when they are missing, and
# downloads the package files it needs by name (scripts/deps/download-packages.txt)
# into a cache outside the source tree, unpacked under $XENIA_CACHE/pkg/<name>/.
# Safe to run any number of times; does nothing when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
updated=0

list() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }

apt_update_once() {
    [ "$updated" = 1 ] && return 0
    echo "setup: apt-get update" >&2
    $sudo apt-get update -qq
    updated=1
}

missing=()
for p in $(list "$here/deps/apt-packages.txt"); do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        apt_update_once
        $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

resolve() {
    case "$1" in
    @*) apt-cache depends "${1#@}" 2>/dev/null | awk '/Depends:/ {print $2; exit}' ;;
    *) echo "$1" ;;
    esac
}

mkdir -p "$cache/debs" "$cache/pkg"
for spec in $(list "$here/deps/download-packages.txt"); do
    name=$(resolve "$spec")
    if [ -z "$name" ]; then
        apt_update_once
        name=$(resolve "$spec")
    fi
    [ -n "$name" ] || { echo "setup: cannot resolve $spec" >&2; exit 1; }
    [ -f "$cache/pkg/$name/.done" ] && continue
    deb=$(ls "$cache/debs/${name}_"*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        echo "setup: apt-get download $name" >&2
        ( cd "$cache/debs" && { apt-get download -qq "$name" 2>/dev/null ||
            { apt_update_once; apt-get download -qq "$name"; }; } )
        deb=$(ls "$cache/debs/${name}_"*.deb | head -1)
    fi
    rm -rf "$cache/pkg/$name"
    mkdir -p "$cache/pkg/$name"
    dpkg-deb -x "$deb" "$cache/pkg/$name"
    touch "$cache/pkg/$name/.done"
    # A meta name resolves to a versioned one; leave a stable link for scripts.
    case "$spec" in @*) ln -sfn "$name" "$cache/pkg/${spec#@}" ;; esac
done

# Xen's hypervisor ships gzipped; QEMU's -kernel takes the plain multiboot ELF.
xen_gz=$(ls "$cache"/pkg/xen-hypervisor-4.17-amd64/boot/xen-4.17-amd64.gz 2>/dev/null | head -1 || true)
if [ -n "$xen_gz" ] && [ ! -f "$cache/xen-4.17" ]; then
    zcat "$xen_gz" > "$cache/xen-4.17.tmp" && mv "$cache/xen-4.17.tmp" "$cache/xen-4.17"
fi
exit 0
