#!/usr/bin/env python3
"""Dom0 Linux figures for `make bench`: Debian's kernel booted as dom0 on
Xenia and on Xen 4.17, and natively, in the same QEMU, with the same
initramfs (busybox + pvbench); 3 boots each, medians.

Writes build/bench/dom0-linux.rows (FIGURE UNIT XENIA XEN NATIVE) and
build/dom0-bench/logs/<system>-<n>.log.

Environment: XENIA_CACHE, XENIA_BIN, BOOTS (default 3), CPU (qemu64),
SYSTEMS (default xenia,xen,native), TIMEOUT per boot (default 300 s),
DOM0_ARGS (extra kernel arguments, all systems).
"""
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(TOP, "build", "dom0-bench")
CACHE = os.environ.get("XENIA_CACHE", os.path.expanduser("~/.cache/xenia"))
XENIA = os.environ.get("XENIA_BIN", os.path.join(TOP, "build/hypervisor/xenia.bin"))
XEN = os.path.join(CACHE, "xen-4.17")
BOOTS = int(os.environ.get("BOOTS", "3"))
CPU = os.environ.get("CPU", "qemu64")
TIMEOUT = int(os.environ.get("TIMEOUT", "300"))
SYSTEMS = os.environ.get("SYSTEMS", "xenia,xen,native").split(",")
DOM0_ARGS = os.environ.get("DOM0_ARGS", "")

FIGURES = [  # (name printed by pvbench, row name, unit)
    ("boot_to_init", "dom0_qemu_start_to_init", "s"),
    ("getppid", "dom0_getppid", "ns"),
    ("fork_exit_wait", "dom0_fork_exit_wait", "us"),
    ("page_fault", "dom0_anon_page_fault", "ns"),
    ("mmap_munmap_1m", "dom0_mmap_munmap_1m", "us"),
    ("pipe_round_trip", "dom0_pipe_round_trip", "us"),
    ("compute_loop", "dom0_compute_loop", "ns"),
]

INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "PVBENCH: init"
/pvbench
echo "PVBENCH: done"
poweroff -f
"""


def die(msg):
    print("dom0-bench: " + msg, file=sys.stderr)
    sys.exit(1)


def kernel():
    k = sorted(glob.glob(os.path.join(CACHE, "pkg/linux-image-6*/boot/vmlinuz-*")))
    if not k:
        die("no Debian kernel in %s (run scripts/setup.sh)" % CACHE)
    return k[-1]


def build_initramfs():
    os.makedirs(OUT, exist_ok=True)
    exe = os.path.join(OUT, "pvbench")
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-static", "-o", exe,
                    os.path.join(HERE, "pvbench.c")], check=True)
    root = os.path.join(OUT, "root")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "proc", "sys", "dev"):
        os.makedirs(os.path.join(root, d))
    bb = os.path.join(CACHE, "pkg/busybox-static/bin/busybox")
    if not os.path.exists(bb):
        die("no busybox-static in the cache (run scripts/setup.sh)")
    shutil.copy(bb, os.path.join(root, "bin/busybox"))
    for c in ("sh", "mount", "echo", "poweroff"):
        os.symlink("busybox", os.path.join(root, "bin", c))
    shutil.copy(exe, os.path.join(root, "pvbench"))
    with open(os.path.join(root, "init"), "w") as f:
        f.write(INIT)
    os.chmod(os.path.join(root, "init"), 0o755)
    img = os.path.join(OUT, "bench.cpio.gz")
    subprocess.run("cd %s && find . | cpio -o -H newc --quiet | gzip -1 > %s"
                   % (root, img), shell=True, check=True)
    return img


def qemu_cmd(system, vmlinuz, initrd):
    base = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", CPU, "-m", "2048",
            "-smp", "2", "-display", "none", "-monitor", "none", "-serial",
            "stdio", "-parallel", "none", "-no-reboot", "-net", "none"]
    if system == "native":
        return base + ["-kernel", vmlinuz, "-append",
                       "console=ttyS0 mem=512M panic=-1 " + DOM0_ARGS,
                       "-initrd", initrd]
    mods = "%s console=hvc0 panic=-1 %s,%s" % (vmlinuz, DOM0_ARGS, initrd)
    if system == "xenia":
        return base + ["-kernel", XENIA, "-append",
                       "console=com1 dom0_mem=512M,max:512M", "-initrd", mods,
                       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    return base + ["-kernel", XEN, "-append",
                   "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M",
                   "-initrd", mods]


def boot(system, n, vmlinuz, initrd):
    """One boot; returns {figure: value} or None."""
    log = os.path.join(OUT, "logs", "%s-%d.log" % (system, n))
    os.makedirs(os.path.dirname(log), exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.Popen(["timeout", "-k", "5", str(TIMEOUT)] +
                         qemu_cmd(system, vmlinuz, initrd),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    vals = {}
    with open(log, "wb") as f:
        for line in p.stdout:
            f.write(line)
            s = line.decode("utf-8", "replace").strip()
            if "PVBENCH: init" in s and "boot_to_init" not in vals:
                vals["boot_to_init"] = time.monotonic() - t0
            elif s.startswith("BENCH: "):
                w = s.split()
                if len(w) == 4:
                    vals[w[1]] = float(w[3])
            elif "PVBENCH: done" in s:
                time.sleep(1)
                p.kill()
                break
    p.wait()
    if len(vals) < len(FIGURES):
        print("dom0-bench: %s boot %d incomplete (see %s)" % (system, n, log),
              file=sys.stderr)
        return None
    return vals


def main():
    vmlinuz = kernel()
    initrd = build_initramfs()
    med = {}
    for system in SYSTEMS:
        if system == "xen" and not os.path.exists(XEN):
            die("no Xen 4.17 image at %s" % XEN)
        runs = [r for r in (boot(system, i + 1, vmlinuz, initrd)
                            for i in range(BOOTS)) if r]
        med[system] = {f: statistics.median(r[f] for r in runs)
                       for f, _, _ in FIGURES} if runs else {}
        print("dom0-bench: %s: %d of %d boots complete" % (system, len(runs), BOOTS),
              file=sys.stderr)
    rows = os.path.join(TOP, "build", "bench", "dom0-linux.rows")
    os.makedirs(os.path.dirname(rows), exist_ok=True)
    with open(rows, "w") as f:
        for fig, row, unit in FIGURES:
            vals = []
            for system in ("xenia", "xen", "native"):
                v = med.get(system, {}).get(fig)
                vals.append("-" if v is None else ("%.2f" % v))
            f.write("%s\t%s\t%s\n" % (row, unit, "\t".join(vals)))
    print(open(rows).read(), end="")


if __name__ == "__main__":
    main()
