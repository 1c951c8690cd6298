#!/usr/bin/env python3
"""Boot the in-guest test kernels on Xen 4.17 and Xenia in QEMU and score them.

Usage (normally through make -C tests/guests check|bench):
    run.py            run every image on every (hypervisor, CPU model)
    run.py --bench    boot_to_first_guest_line, the bench image's hot paths
                      and the interbench image's two-domain figures
                      (domain destroy at -m 512 and -m 2048),
                      Xenia vs Xen, medians of 3

Environment:
    HV=xen,xenia        hypervisors to use (default both)
    CPUS=qemu64,core2duo  QEMU CPU models (default both)
    TESTS=hello,version only these tests (images without any are skipped)
    TIMEOUT=120         seconds per boot
    GUEST_ARGS=...      words appended to every image's command line
                        (e.g. "fuzz_seed=0x1234 fuzz_calls=500"; no commas)
    RESULTS=path        where to write the results (build/results/guests.tsv)
    XENIA_CACHE         where scripts/setup.sh put xen-4.17 (~/.cache/xenia)
    XENIA_BIN           Xenia image (build/hypervisor/xenia.bin)
    QEMU                the QEMU binary (qemu-system-x86_64)

Every boot's serial log goes to build/tests/guests/logs/<hv>-<cpu>-<image>.log.
Results go to build/results/guests.tsv (STATUS<TAB>NAME<TAB>DETAIL), one line
per planned check per (hypervisor, CPU model), NAME = <hv>/<cpu>/<test>.<check>,
plus <hv>/<cpu>/<image>.boot for the boot itself.  Failing tests do not make
this script fail; only a broken runner does.
"""

import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build", "tests", "guests")
LOGS = os.path.join(BUILD, "logs")
MANIFEST = os.path.join(BUILD, "manifest.tsv")
KNOWN_PLANS = os.path.join(BUILD, "known-checks.json")
RESULTS = os.environ.get("RESULTS") or \
    os.path.join(ROOT, "build", "results", "guests.tsv")
BENCH_ROWS = os.path.join(ROOT, "build", "bench", "guests.rows")

CACHE = os.environ.get("XENIA_CACHE") or os.path.expanduser("~/.cache/xenia")
XEN = os.path.join(CACHE, "xen-4.17")
XENIA = os.environ.get("XENIA_BIN") or \
    os.path.join(ROOT, "build", "hypervisor", "xenia.bin")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")

# Xenia's documented QEMU exit statuses (isa-debug-exit: (value << 1) | 1).
XENIA_EXIT = {33: "initial domain powered off", 35: "initial domain crashed",
              37: "hypervisor panic", 39: "initial domain rebooted"}
EXIT_POWEROFF, EXIT_CRASH = 33, 35

# Xen 4.17 halts (or reboots) instead of ending QEMU: these lines end a boot.
XEN_CRASH_MSG = "Hardware Dom0 crashed"
XENIA_CRASH_MSG = "Domain 0 crashed"
AUDIT_FAILED = "AUDIT FAILED"
AUDIT_CLEAN = "frames released cleanly"

GUEST_LINE = re.compile(r"^(?:\(d\d+\) )?(PLAN|RESULT|Test result):\s*(.*)$")
FIRST_GUEST_LINE = re.compile(r"^(?:\(d\d+\) )?(xtest: |PLAN: )")

# Every boot has two CPUs.  Xen gives dom0 one VCPU per CPU by default
# (dom0_max_vcpus), so the initial domain has VCPUs 0 and 1 (tests/smp).
SMP = 2

STOP_GRACE = 1.0      # seconds of log kept after the end marker (Xen)
EXIT_GRACE = 15.0     # seconds Xenia gets to exit after the final line


def env_list(name, default):
    value = os.environ.get(name, "").strip()
    return [v for v in value.split(",") if v] if value else list(default)


class Boot:
    """One QEMU run: its log lines with timestamps and how it ended."""

    def __init__(self, hv, cpu, image):
        self.hv, self.cpu, self.image = hv, cpu, image
        self.lines = []          # (seconds since QEMU start, text)
        self.rc = None           # QEMU's exit status (None: we stopped it)
        self.timed_out = False
        self.stopped = False     # the runner ended QEMU after the end marker
        self.error = None        # could not boot at all
        self.hung = False        # still running long after its final line
        self.elapsed = 0.0

    def text(self):
        return "\n".join(t for _, t in self.lines)

    def first_guest_line_time(self):
        for t, line in self.lines:
            if FIRST_GUEST_LINE.match(line):
                return t
        return None


def qemu_command(hv, cpu, image_path, cmdline, mem=512):
    module = image_path + (" " + cmdline if cmdline else "")
    cmd = [QEMU, "-accel", "tcg", "-cpu", cpu, "-m", str(mem),
           "-smp", str(SMP),
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-parallel", "none", "-no-reboot", "-net", "none"]
    if hv == "xen":
        cmd += ["-kernel", XEN,
                "-append", "console=com1 com1=115200,8n1 dom0_mem=64M "
                           "loglvl=all guest_loglvl=all",
                "-initrd", module]
    else:
        cmd += ["-kernel", XENIA, "-append", "console=com1 loglvl=info",
                "-initrd", module,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    return cmd


def is_final_line(line):
    m = GUEST_LINE.match(line)
    return m is not None and m.group(1) == "Test result"


def end_marker_seen(boot, line, expect, first_line_only):
    """Has the boot reached the point after which the log adds nothing?"""
    if first_line_only:
        return FIRST_GUEST_LINE.match(line) is not None
    if boot.hv != "xen":
        return False                  # Xenia ends QEMU itself
    if XEN_CRASH_MSG in line:
        return True
    return expect == "poweroff" and is_final_line(line)


def run_qemu(hv, cpu, image, image_path, cmdline, expect, timeout,
             log_name, first_line_only=False, mem=512):
    boot = Boot(hv, cpu, image)
    kernel = XEN if hv == "xen" else XENIA
    if not os.path.exists(kernel):
        boot.error = ("xenia.bin missing" if hv == "xenia"
                      else "xen-4.17 missing (run scripts/setup.sh)")
        return boot
    cmd = ["timeout", "--kill-after=5", str(timeout)] + \
        qemu_command(hv, cpu, image_path, cmdline, mem)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    fd = proc.stdout.fileno()
    pending = b""
    stop_at = None
    final_at = None
    try:
        while True:
            now = time.monotonic()
            if stop_at is not None and now >= stop_at:
                boot.stopped = True
                break
            if final_at is not None and now >= final_at:
                boot.hung = True           # Xenia did not exit: a failure
                break
            if now - start > timeout + 10:
                boot.timed_out = True
                break
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            stamp = time.monotonic() - start
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                boot.lines.append((stamp, line))
                if stop_at is None and end_marker_seen(boot, line, expect,
                                                       first_line_only):
                    stop_at = time.monotonic() + \
                        (0 if first_line_only else STOP_GRACE)
                if hv == "xenia" and final_at is None and \
                        is_final_line(line) and not first_line_only:
                    final_at = time.monotonic() + EXIT_GRACE
    finally:
        if pending:
            boot.lines.append((time.monotonic() - start,
                               pending.decode("utf-8", "replace")))
        if not (boot.stopped or boot.hung or boot.timed_out):
            try:
                proc.wait(timeout=10)      # output ended: QEMU is exiting
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            # Our own QEMU (and its 'timeout' parent) only: its process group.
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if not boot.stopped:
                boot.rc = None
        else:
            boot.rc = proc.returncode
        proc.stdout.close()
    boot.elapsed = time.monotonic() - start
    if boot.rc == 124 or (boot.rc is None and not boot.stopped and
                          not boot.hung):
        boot.timed_out = True
        boot.rc = None
    os.makedirs(LOGS, exist_ok=True)
    with open(os.path.join(LOGS, log_name), "w") as f:
        f.write(" ".join(cmd) + "\n")
        f.write(boot.text() + "\n")
        f.write("# exit status %s, %.1fs%s%s\n" % (
            boot.rc, boot.elapsed, ", timed out" if boot.timed_out else "",
            ", stopped by runner" if boot.stopped else ""))
    return boot


def load_manifest():
    images = []
    with open(MANIFEST) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            image, expect, tests = parts
            images.append((image, expect, [t for t in tests.split(",") if t]))
    return images


def load_known():
    try:
        with open(KNOWN_PLANS) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def parse_guest(boot):
    """PLAN counts, RESULT entries (in order) and final lines of a boot."""
    plans, results, finals = {}, [], []
    for _, line in boot.lines:
        m = GUEST_LINE.match(line)
        if not m:
            continue
        kind, rest = m.groups()
        if kind == "PLAN":
            parts = rest.split()
            if len(parts) == 2 and parts[1].isdigit():
                plans[parts[0]] = int(parts[1])
        elif kind == "RESULT":
            parts = rest.split(" ", 2)
            if len(parts) >= 2 and "." in parts[0]:
                test, check = parts[0].split(".", 1)
                results.append((test, check, parts[1],
                                parts[2] if len(parts) > 2 else ""))
        else:
            finals.append(rest.strip())
    return plans, results, finals


def boot_problem(boot, expect, finals):
    """None if the boot ended as expected, else why not."""
    if boot.error:
        return boot.error
    if boot.timed_out:
        return "timeout after %.0fs" % boot.elapsed
    if boot.hung:
        return "QEMU still running %.0fs after the final line" % EXIT_GRACE
    text = boot.text()
    if expect == "crash":
        if finals:
            return "domain survived: Test result: %s" % finals[-1]
        if boot.hv == "xen":
            return None if XEN_CRASH_MSG in text else \
                "no '%s' in the log" % XEN_CRASH_MSG
        if boot.rc != EXIT_CRASH:
            return "QEMU exit status %s (%s), expected %d" % (
                boot.rc, XENIA_EXIT.get(boot.rc, "?"), EXIT_CRASH)
        if XENIA_CRASH_MSG not in text:
            return "no '%s' in the log" % XENIA_CRASH_MSG
        return None
    if not finals:
        return "no 'Test result:' line"
    if len(finals) > 1:
        return "%d 'Test result:' lines" % len(finals)
    if finals[0] not in ("SUCCESS", "SKIP"):
        return "Test result: %s" % finals[0]
    if boot.hv == "xenia" and boot.rc != EXIT_POWEROFF:
        return "QEMU exit status %s (%s), expected %d" % (
            boot.rc, XENIA_EXIT.get(boot.rc, "still running"), EXIT_POWEROFF)
    if boot.hv == "xen" and XEN_CRASH_MSG in text:
        return "dom0 crashed after its final line"
    return None


def audit_row(boot, prefix):
    """Xenia audits page references when dom0 goes; a leak fails the boot."""
    text = boot.text()
    name = prefix + boot.image + ".audit"
    if AUDIT_FAILED in text:
        leaks = [l for l in text.splitlines() if "AUDIT" in l]
        return ("FAIL", name, "; ".join(leaks[:3]))
    if AUDIT_CLEAN not in text:
        return ("FAIL", name, "no audit report in the log")
    return ("PASS", name, "")


def score(boot, expect, tests, known):
    """Result rows (status, name, detail) for one boot."""
    prefix = "%s/%s/" % (boot.hv, boot.cpu)
    plans, results, finals = parse_guest(boot)
    problem = boot_problem(boot, expect, finals)
    rows = [("PASS" if problem is None else "FAIL",
             prefix + boot.image + ".boot", problem or "")]
    if boot.hv == "xenia":
        rows.append(audit_row(boot, prefix))
    why_missing = "planned, never reported" + \
        ("; boot: " + problem if problem else "")
    for test in tests:
        got = {}
        order = []
        for t, check, status, detail in results:
            if t != test:
                continue
            if check in got:
                rows.append(("FAIL", prefix + test + "." + check,
                             "reported more than once"))
                continue
            if status not in ("PASS", "FAIL", "SKIP"):
                detail = "bad status %r %s" % (status, detail)
                status = "FAIL"
            got[check] = (status, detail)
            order.append(check)
        if expect == "crash" and "domain_crashed" not in got \
                and test in plans:
            crashed = problem is None
            got["domain_crashed"] = ("PASS" if crashed else "FAIL",
                                     "" if crashed else problem)
            order.append("domain_crashed")
        for check in order:
            status, detail = got[check]
            rows.append((status, prefix + test + "." + check, detail))
        planned = plans.get(test)
        names = known.get(test, [])
        if planned is None:
            planned = len(names) if names else 1
            if not names:
                rows.append(("FAIL", prefix + test + ".plan",
                             "no PLAN line; boot: " + (problem or "ok")))
                continue
        if len(got) > planned:
            rows.append(("FAIL", prefix + test + ".plan",
                         "reported %d checks, planned %d" %
                         (len(got), planned)))
        missing = [n for n in names if n not in got]
        for k in range(planned - len(got)):
            name = missing[k] if k < len(missing) else "missing_%d" % (k + 1)
            rows.append(("FAIL", prefix + test + "." + name, why_missing))
    return rows, plans, results


def learn(known, plans, results, expect):
    """Remember the check names of tests that reported their whole plan."""
    for test, n in plans.items():
        names = []
        for t, check, _, _ in results:
            if t == test and check not in names:
                names.append(check)
        if expect == "crash" and "domain_crashed" not in names:
            names.append("domain_crashed")
        if len(names) == n:
            known[test] = names


def run_suite():
    if not os.path.exists(MANIFEST):
        print("run.py: %s missing; run 'make -C tests/guests all' first"
              % MANIFEST, file=sys.stderr)
        return 2
    hvs = env_list("HV", ["xen", "xenia"])
    cpus = env_list("CPUS", ["qemu64", "core2duo"])
    only = env_list("TESTS", [])
    timeout = int(os.environ.get("TIMEOUT", "120"))
    known = load_known()
    # Xen first: a complete Xen boot names the checks a failed Xenia boot
    # never reported.
    hvs.sort(key=lambda h: 0 if h == "xen" else 1)
    rows = []
    for hv in hvs:
        for cpu in cpus:
            for image, expect, tests in load_manifest():
                chosen = [t for t in tests if not only or t in only]
                if not chosen:
                    continue
                cmdline = "" if chosen == tests else \
                    "tests=" + "+".join(chosen)
                extra = os.environ.get("GUEST_ARGS", "").strip()
                if extra:
                    cmdline = (cmdline + " " + extra).strip()
                path = os.path.join(BUILD, image + ".elf")
                boot = run_qemu(hv, cpu, image, path, cmdline, expect,
                                timeout, "%s-%s-%s.log" % (hv, cpu, image))
                boot_rows, plans, results = score(boot, expect, chosen, known)
                learn(known, plans, results, expect)
                rows += boot_rows
                counts = {s: sum(1 for r in boot_rows if r[0] == s)
                          for s in ("PASS", "FAIL", "SKIP")}
                print("%-8s %-9s %-8s %3d pass %3d fail %3d skip  %5.1fs  %s"
                      % (hv, cpu, image, counts["PASS"], counts["FAIL"],
                         counts["SKIP"], boot.elapsed,
                         boot_rows[0][2] or "ok"))
                sys.stdout.flush()
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        for status, name, detail in rows:
            detail = detail.replace("\t", " ").replace("\n", " ")
            f.write("%s\t%s\t%s\n" % (status, name, detail))
    with open(KNOWN_PLANS, "w") as f:
        json.dump(known, f, indent=1, sort_keys=True)
    failed = sum(1 for r in rows if r[0] == "FAIL")
    print("guests: %d results, %d failed -> %s" % (len(rows), failed,
                                                     os.path.relpath(RESULTS)))
    return 0


BENCH_FIGURES = ("null_hypercall", "syscall_roundtrip", "pf_bounce",
                 "mmu_update_pte")


def bench_hot_paths(timeout):
    """Medians of 3 boots of the bench image: hot PV paths, ns each."""
    path = os.path.join(BUILD, "bench.elf")
    out = {}
    for hv in ("xenia", "xen"):
        samples = {name: [] for name in BENCH_FIGURES}
        for i in range(3):
            boot = run_qemu(hv, "qemu64", "bench", path, "", "poweroff",
                            timeout, "bench-hot-%s-%d.log" % (hv, i))
            for line in boot.text().splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "BENCH:" \
                        and parts[1] in samples:
                    samples[parts[1]].append(int(parts[2]))
        out[hv] = {name: "%d" % statistics.median(v)
                   for name, v in samples.items() if len(v) == 3}
        print("bench: %s hot paths (ns): %s" % (hv, out[hv]))
    return out


# The interbench image: (figure, unit) as it prints them, value with
# decimals ("BENCH: <figure> <value> <unit>").
INTERDOMAIN_FIGURES = (("evtchn_roundtrip_interdomain", "ns"),
                       ("grant_copy_4k", "MB/s"),
                       ("domain_create_to_first_line", "ms"),
                       ("domain_destroy", "ms"))

# Domain destroy must cost in proportion to the domain, not to the host's
# RAM: the interbench image runs again with four times the RAM, and both
# sizes are reported (domain_destroy_m512, domain_destroy_m2048).
DESTROY_MEMS = (512, 2048)


def bench_interdomain(timeout, mem=512, figures=INTERDOMAIN_FIGURES):
    """Medians of 3 boots of the interbench image: two-domain figures."""
    path = os.path.join(BUILD, "interbench.elf")
    units = dict(figures)
    out = {}
    for hv in ("xenia", "xen"):
        samples = {name: [] for name in units}
        for i in range(3):
            boot = run_qemu(hv, "qemu64", "interbench", path, "", "poweroff",
                            timeout, "bench-interdom-%s-m%d-%d.log"
                            % (hv, mem, i), mem=mem)
            for line in boot.text().splitlines():
                parts = line.split()
                if len(parts) >= 4 and parts[0] == "BENCH:" \
                        and units.get(parts[1]) == parts[3]:
                    try:
                        samples[parts[1]].append(float(parts[2]))
                    except ValueError:
                        pass
        out[hv] = {name: "%.3f" % statistics.median(v)
                   for name, v in samples.items() if len(v) == 3}
        print("bench: %s interdomain (-m %d): %s" % (hv, mem, out[hv]))
    return out


def run_bench():
    """Seconds from QEMU start to the first guest console line."""
    timeout = int(os.environ.get("TIMEOUT", "120"))
    path = os.path.join(BUILD, "main.elf")
    figures = {}
    for hv in ("xenia", "xen"):
        times = []
        for i in range(3):
            boot = run_qemu(hv, "qemu64", "main", path, "tests=hello",
                            "poweroff", timeout,
                            "bench-%s-%d.log" % (hv, i), first_line_only=True)
            t = boot.first_guest_line_time()
            if boot.error or t is None:
                print("bench: %s boot %d: %s" % (
                    hv, i, boot.error or "no guest line"))
                break
            times.append(t)
            print("bench: %s boot %d: first guest line after %.3fs"
                  % (hv, i, t))
        figures[hv] = "%.3f" % statistics.median(times) \
            if len(times) == 3 else "-"
    hot = bench_hot_paths(timeout)
    inter = bench_interdomain(timeout)
    big = bench_interdomain(timeout, DESTROY_MEMS[1],
                            (("domain_destroy", "ms"),))
    os.makedirs(os.path.dirname(BENCH_ROWS), exist_ok=True)
    with open(BENCH_ROWS, "w") as f:
        f.write("boot_to_first_guest_line\ts\t%s\t%s\t-\n"
                % (figures["xenia"], figures["xen"]))
        for name in BENCH_FIGURES:
            f.write("%s\tns\t%s\t%s\t-\n"
                    % (name, hot["xenia"].get(name, "-"),
                       hot["xen"].get(name, "-")))
        for name, unit in INTERDOMAIN_FIGURES:
            if name == "domain_destroy":
                continue
            f.write("%s\t%s\t%s\t%s\t-\n"
                    % (name, unit, inter["xenia"].get(name, "-"),
                       inter["xen"].get(name, "-")))
        for mem, run in zip(DESTROY_MEMS, (inter, big)):
            f.write("domain_destroy_m%d\tms\t%s\t%s\t-\n"
                    % (mem, run["xenia"].get("domain_destroy", "-"),
                       run["xen"].get("domain_destroy", "-")))
    print("bench: boot_to_first_guest_line xenia=%s xen=%s -> %s"
          % (figures["xenia"], figures["xen"], os.path.relpath(BENCH_ROWS)))
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--bench":
        return run_bench()
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    return run_suite()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
