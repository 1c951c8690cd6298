#!/usr/bin/env bash
# make run: boot Xenia in QEMU (-cpu qemu64, TCG) with the 'hello' in-guest
# test kernel as the initial domain, serial console on stdio, under timeout.
# Exits 0 when Xenia ends QEMU with status 33 (initial domain powered off).
# Environment: XENIA_BIN (default build/hypervisor/xenia.bin), RUN_TIMEOUT (s).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
xenia=${XENIA_BIN:-$root/build/hypervisor/xenia.bin}
guest=$root/build/tests/guests/main.elf

if [ ! -f "$xenia" ]; then
    echo "run.sh: $xenia missing: the hypervisor is not built (make all)" >&2
    exit 1
fi
if [ ! -f "$guest" ]; then
    make --no-print-directory -C "$root/tests/guests" all || exit 1
fi

timeout --foreground "${RUN_TIMEOUT:-120}" \
    qemu-system-x86_64 -accel tcg -cpu qemu64 -smp "${RUN_SMP:-2}" -m 512 \
        -display none -monitor none -serial stdio -parallel none \
        -no-reboot -net none \
        -kernel "$xenia" -append "console=com1 loglvl=info" \
        -initrd "$guest tests=hello" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
rc=$?

case $rc in
    33) echo "run.sh: initial domain powered off (QEMU exit 33)"; exit 0 ;;
    35) why="initial domain crashed" ;;
    37) why="hypervisor panic" ;;
    39) why="initial domain rebooted" ;;
    124) why="timed out after ${RUN_TIMEOUT:-120}s" ;;
    *) why="unexpected QEMU exit status" ;;
esac
echo "run.sh: $why (QEMU exit $rc)" >&2
exit 1
