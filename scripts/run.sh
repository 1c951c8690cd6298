#!/usr/bin/env bash
# make run: boot Xenia in QEMU (TCG, -cpu qemu64 -m 2048 -smp 2) with
# Debian's Linux kernel (the bzImage as shipped) as dom0 and an initramfs
# built under build/run/ from the integration harness's dom0 image plus
# xenia-stored, the toolstack (xenia, xenia-consoled), the xenia-dom0test
# program and a ready guest config (tests/integration/xen-dom0/mkrun.sh).
#
# With a terminal on stdin: a dom0 shell on the console (hvc0), with a motd
# saying what to try; quit with `poweroff` or QEMU's Ctrl-A x (the serial
# line is -serial mon:stdio). Without a terminal: a short scripted tour
# (uname, /sys/hypervisor, /proc/xen/capabilities, xenstore-ls, free, the
# test program; a guest created from /etc/xenia/guest.cfg, listed, shown by
# `xenia top -b -i 1` and destroyed), then poweroff.
#
# Exits 0 when Xenia ends QEMU with status 33 (dom0 powered off), or when
# the user quits QEMU from the terminal.
# Environment: XENIA_BIN (default build/hypervisor/xenia.bin), RUN_TIMEOUT
# (s; default 600 without a terminal, 86400 with one), RUN_SMP (default 2),
# RUN_MEM (MiB, default 2048), RUN_CPU (default qemu64), RUN_MODE (shell or
# tour: overrides the terminal test).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
xenia=${XENIA_BIN:-$root/build/hypervisor/xenia.bin}
vmlinuz=$root/build/integration/vmlinuz

if [ ! -f "$xenia" ]; then
    echo "run.sh: $xenia missing: the hypervisor is not built (make all)" >&2
    exit 1
fi
if [ -n "${RUN_MODE:-}" ]; then
    mode=$RUN_MODE
elif [ -t 0 ] && [ -t 1 ]; then
    mode=shell
else
    mode=tour
fi
case "$mode" in shell|tour) ;; *) echo "run.sh: RUN_MODE is shell or tour" >&2; exit 1 ;; esac

initrd=$root/build/run/dom0-$mode.cpio.gz
"$root/tests/integration/xen-dom0/mkrun.sh" "$mode" "$initrd" > /dev/null || {
    echo "run.sh: cannot build dom0's initramfs (did scripts/setup.sh run?)" >&2
    exit 1
}

if [ "$mode" = shell ]; then
    serial=(-serial mon:stdio)
    limit=${RUN_TIMEOUT:-86400}
    echo "run.sh: booting Xenia with Linux dom0 (about a minute under TCG);" \
         "Ctrl-A x quits QEMU, 'poweroff' in dom0 ends the run"
else
    serial=(-monitor none -serial stdio)
    limit=${RUN_TIMEOUT:-600}
    exec < /dev/null
fi

timeout --foreground "$limit" \
    qemu-system-x86_64 -accel tcg -cpu "${RUN_CPU:-qemu64}" \
        -smp "${RUN_SMP:-2}" -m "${RUN_MEM:-2048}" \
        -display none "${serial[@]}" -parallel none \
        -no-reboot -net none \
        -kernel "$xenia" -append "console=com1 dom0_mem=512M,max:512M" \
        -initrd "$vmlinuz console=hvc0,$initrd" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
rc=$?

case $rc in
    33) echo "run.sh: dom0 powered off (QEMU exit 33)"; exit 0 ;;
    0)  if [ "$mode" = shell ]; then echo "run.sh: QEMU quit"; exit 0; fi
        why="QEMU exited without Xenia's exit code" ;;
    35) why="dom0 crashed" ;;
    37) why="hypervisor panic" ;;
    39) why="dom0 rebooted" ;;
    124) why="timed out after ${limit}s" ;;
    *) why="unexpected QEMU exit status" ;;
esac
echo "run.sh: $why (QEMU exit $rc)" >&2
exit 1
