# Host-side helpers shared by mkinitramfs.sh and run.sh (sourced, bash).
# Expects: $pkg (the unpacked package cache), die().

# ---- shared-library resolution ---------------------------------------------
# The Xen libraries come from the cache; glibc and the base libraries from the
# cache when a package there has them, else from the host (Debian 12, the same
# release the packages were built for).
libdirs=()
for d in "$pkg"/*/usr/lib/x86_64-linux-gnu "$pkg"/*/lib/x86_64-linux-gnu \
         "$pkg"/*/usr/lib/xen-4.17/lib/x86_64-linux-gnu \
         /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] && libdirs+=("$d")
done

find_lib() {
    local d
    for d in "${libdirs[@]}"; do
        [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    return 1
}

# copy_elf ROOT FILE DEST: copy an executable and, recursively, every shared
# library it NEEDs into ROOT/lib/x86_64-linux-gnu (the dynamic loader's
# default search directory), plus the loader itself.
copy_elf() {
    local root=$1 src=$2 dst=$3
    mkdir -p "$root/$(dirname "$dst")"
    cp -L "$src" "$root/$dst"
    chmod 755 "$root/$dst"
    local queue=("$src") f lib path
    while [ ${#queue[@]} -gt 0 ]; do
        f=${queue[0]}; queue=("${queue[@]:1}")
        for lib in $(readelf -d "$f" 2>/dev/null |
                     sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -e "$root/lib/x86_64-linux-gnu/$lib" ] && continue
            path=$(find_lib "$lib") || die "$src needs $lib, not found"
            mkdir -p "$root/lib/x86_64-linux-gnu"
            cp -L "$path" "$root/lib/x86_64-linux-gnu/$lib"
            queue+=("$path")
        done
    done
    if readelf -l "$src" 2>/dev/null | grep -q 'program interpreter'; then
        mkdir -p "$root/lib64"
        [ -e "$root/lib64/ld-linux-x86-64.so.2" ] ||
            cp -L "$(find_lib ld-linux-x86-64.so.2)" "$root/lib64/ld-linux-x86-64.so.2"
    fi
}

add_busybox() {
    local root=$1 a
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
    cp "$busybox" "$root/bin/busybox"
    for a in $("$busybox" --list); do
        [ "$a" = busybox ] && continue
        [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
    done
}

add_xenstore_utils() {
    local root=$1 t
    copy_elf "$root" "$xsutil" usr/bin/xenstore
    for t in read write exists rm list ls watch chmod; do
        ln -sf xenstore "$root/usr/bin/xenstore-$t"
    done
}

pack() {   # pack DIR IMAGE
    ( cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet ) | gzip -6 > "$2.tmp"
    mv "$2.tmp" "$2"
}

