#!/usr/bin/env bash
# make -C guest-kernel-patches check: xenia-kcheck against Debian's kernel
# from the package cache, one of our test kernels, and hostile images.
# Results: build/results/kcheck.tsv (STATUS<TAB>NAME<TAB>DETAIL).
set -u
kcheck=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
out=$top/build/results/kcheck.tsv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
: > "$out"

# expect NAME RC PATTERN IMAGE [ARGS]: exit status and a line of output
expect() {
    local name=$1 want=$2 pat=$3 rc
    shift 3
    "$kcheck" "$@" > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" = "$want" ] && grep -q -- "$pat" "$tmp/out"; then
        printf 'PASS\tkcheck/%s\n' "$name" >> "$out"
    else
        printf 'FAIL\tkcheck/%s\texit %s (want %s), output: %s\n' "$name" "$rc" \
            "$want" "$(tr '\n' ' ' < "$tmp/out" | cut -c1-200)" >> "$out"
    fi
}

vmlinuz=$(ls "$cache"/pkg/linux-image-6*/boot/vmlinuz-* 2>/dev/null | head -1)
if [ -n "$vmlinuz" ]; then
    expect debian_kernel_dom0 0 "boots it as dom0" "$vmlinuz"
    expect debian_kernel_domu 0 "boots it as a domU" --domu "$vmlinuz"
    expect debian_kernel_notes 0 "FEATURES.*writable_page_tables" "$vmlinuz"
    head -c 3000000 "$vmlinuz" > "$tmp/truncated"
    expect truncated_bzimage 1 "runs past the end" "$tmp/truncated"
    cp "$vmlinuz" "$tmp/corrupt"
    printf '\x55\x55\x55\x55\x55\x55\x55\x55' |
        dd of="$tmp/corrupt" bs=1 seek=4000000 conv=notrunc 2>/dev/null
    expect corrupt_payload 1 "unpacking the xz payload failed" "$tmp/corrupt"
else
    for c in debian_kernel_dom0 debian_kernel_domu debian_kernel_notes \
             truncated_bzimage corrupt_payload; do
        printf 'SKIP\tkcheck/%s\tno Debian kernel in %s\n' "$c" "$cache" >> "$out"
    done
fi
guest=$top/build/tests/guests/main.elf
if [ -f "$guest" ]; then
    expect test_kernel_elf 0 "boots it as dom0" "$guest"
else
    printf 'SKIP\tkcheck/test_kernel_elf\t%s not built\n' "$guest" >> "$out"
fi
# The hypervisor itself refuses the same bad image as dom0: a clean panic
# that names the problem, and QEMU's "hypervisor panic" exit (37).
xenia=$top/build/hypervisor/xenia.bin
if [ -n "$vmlinuz" ] && [ -f "$xenia" ] && command -v qemu-system-x86_64 >/dev/null; then
    timeout -k 5 120 qemu-system-x86_64 -accel tcg -cpu qemu64 -m 512 -smp 1 \
        -display none -monitor none -serial stdio -parallel none -no-reboot \
        -net none -kernel "$xenia" -append "console=com1" \
        -initrd "$tmp/truncated console=hvc0" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null > "$tmp/boot" 2>&1
    rc=$?
    if [ "$rc" = 37 ] && grep -q "Dom0 kernel image refused: bzImage payload.*runs past the end" "$tmp/boot" &&
       grep -q "Could not set up DOM0 guest OS" "$tmp/boot"; then
        printf 'PASS\tkcheck/hypervisor_panics_cleanly\n' >> "$out"
    else
        printf 'FAIL\tkcheck/hypervisor_panics_cleanly\tQEMU exit %s: %s\n' "$rc" \
            "$(grep -a 'refused\|Panic\|DOM0' "$tmp/boot" | tr '\n' ' ' | cut -c1-200)" >> "$out"
    fi
else
    printf 'SKIP\tkcheck/hypervisor_panics_cleanly\tno kernel, xenia.bin or QEMU\n' >> "$out"
fi
expect host_program 1 "not an x86-64 executable" /bin/true
printf 'hello' | xz > "$tmp/bare.xz"
expect bare_xz_stream 1 "a bare xz stream" "$tmp/bare.xz"
expect missing_file 2 "No such file" "$tmp/nothing"
expect no_arguments 2 "usage"
awk -F'\t' '{ n[$1]++ } END { printf "kcheck: %d passed, %d failed, %d skipped\n", n["PASS"], n["FAIL"], n["SKIP"] }' "$out"
