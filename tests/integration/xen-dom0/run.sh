#!/usr/bin/env bash
# Boots Linux dom0 on a Xen-compatible hypervisor in QEMU (TCG) and runs one
# scenario inside it; turns the scenario's RESULT lines into a results file.
#
# Usage: run.sh [options] SCENARIO
#   --store xen|xenia   the store dom0 starts (default: $STORE or xen)
#   --hv PATH           the hypervisor's multiboot image
#                       (default: $XENIA_HV or $XENIA_CACHE/xen-4.17)
#   --hv-args ARGS      its command line (default: $XENIA_HV_ARGS or
#                       "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M")
#   --hv-name NAME      label for logs and details (default: basename of --hv)
#   --dom0-args ARGS    extra dom0 kernel arguments
#   --cpu MODEL         QEMU CPU model (default qemu64; also core2duo)
#   --mem MB            QEMU memory size (default 2048)
#   --qemu-args ARGS    extra QEMU arguments (e.g. an isa-debug-exit device)
#   --timeout SECS      limit for the whole QEMU run (default: the scenario's
#                       "# TIMEOUT:" line, else 300)
#   --name NAME         results/log name (default SCENARIO-STORE)
#   --trace             run the store with its trace file (-T)
#   --set VAR=VALUE     extra variable for the scenario (repeatable)
#   --results FILE      where the results go (default
#                       build/results/integration-NAME.tsv)
#
# A scenario file may carry "# WAIT-EXIT: SECS": after its end marker the
# host then waits (up to SECS) for QEMU to exit by itself (a hypervisor that
# ends QEMU through isa-debug-exit) or for Xen's "Hardware Dom0 halted" line,
# and records QEMU's exit status. A host-side script
# host-checks/SCENARIO.sh, when present, runs after QEMU is gone and adds
# RESULT lines of its own (see docs/integration.md).
#
# Writes build/integration/logs/NAME.log (the whole serial console),
# build/integration/logs/NAME.stamps (the host's arrival time of every
# "XENIA-STAMP:" line, seconds since the epoch),
# build/results/integration-NAME.tsv (STATUS<TAB>NAME<TAB>DETAIL per check;
# a planned check that never reported, a timeout or an unexpected exit is a
# FAIL) and, when the scenario prints "BENCH: figure unit value" lines,
# build/integration/logs/NAME.bench. Exit status 0 when every check passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cache=${XENIA_CACHE:-$HOME/.cache/xenia}
pkg=$cache/pkg
out=$top/build/integration
logs=$out/logs
results=$top/build/results

store=${STORE:-xen}
hv=${XENIA_HV:-$cache/xen-4.17}
hv_args=${XENIA_HV_ARGS:-console=com1 com1=115200,8n1 dom0_mem=512M,max:512M}
hv_name=
dom0_args=
cpu=${XENIA_QEMU_CPU:-qemu64}
mem=${XENIA_QEMU_MEM:-2048}
qemu_extra=${XENIA_QEMU_ARGS:-}
limit=
name=
trace=0
sets=()
tsv=

die() { echo "run.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --store) store=$2; shift 2 ;;
    --hv) hv=$2; shift 2 ;;
    --hv-args) hv_args=$2; shift 2 ;;
    --hv-name) hv_name=$2; shift 2 ;;
    --dom0-args) dom0_args=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --qemu-args) qemu_extra=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --trace) trace=1; shift ;;
    --set) sets+=("$2"); shift 2 ;;
    --results) tsv=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || die "usage: run.sh [options] SCENARIO (see --help)"
scenario=$1
sfile=$here/scenarios/$scenario.sh
[ -f "$sfile" ] || die "no scenario $scenario (in $here/scenarios/)"
case "$store" in xen|xenia) ;; *) die "--store must be xen or xenia" ;; esac
[ -n "$hv_name" ] || hv_name=$(basename "$hv")
case "$mem" in ''|*[!0-9]*) die "--mem takes a size in MiB" ;; esac
# label inside check names: the store, and the CPU model and memory size
# when not the defaults
label=$store
[ "$cpu" = qemu64 ] || label=$label,$cpu
[ "$mem" = 2048 ] || label=$label,${mem}M
[ -n "$name" ] || { name=$scenario-$store; [ "$cpu" = qemu64 ] || name=$name-$cpu
                    [ "$mem" = 2048 ] || name=$name-${mem}M; }
mkdir -p "$logs" "$results"
log=$logs/$name.log
[ -n "$tsv" ] || tsv=$results/integration-$name.tsv
mkdir -p "$(dirname "$tsv")"
: > "$log"
stamps=$logs/$name.stamps
hostres=$logs/$name.host
rm -f "$logs/$name.bench" "$stamps" "$hostres"

# The scenario may set its own default limit ("# TIMEOUT: seconds").
if [ -z "$limit" ]; then
    limit=$(sed -n 's/^# TIMEOUT:[[:space:]]*\([0-9]*\).*/\1/p' "$sfile")
    [ -n "$limit" ] || limit=300
fi

# After the end marker, wait for QEMU's own exit? ("# WAIT-EXIT: seconds")
wait_exit=$(sed -n 's/^# WAIT-EXIT:[[:space:]]*\([0-9]*\).*/\1/p' "$sfile")

# Checks every run reports (dom0's bring-up) plus the scenario's own list.
planned="modules store-up init-dom0 consoled $(sed -n 's/^# PLANNED:[[:space:]]*//p' "$sfile")"

# record_all STATUS DETAIL: every planned check gets the same verdict
record_all() {
    local c
    for c in $planned; do
        printf '%s\t%s[%s].%s\t%s\n' "$1" "$scenario" "$label" "$c" "$2"
    done > "$tsv"
    echo "run.sh: $1 $scenario[$label]: $2" >&2
}

# ---- images ---------------------------------------------------------------
[ -f "$hv" ] || { record_all FAIL "hypervisor image $hv missing (run scripts/setup.sh)"; exit 1; }
"$here/mkinitramfs.sh" > /dev/null || { record_all FAIL "mkinitramfs.sh failed"; exit 1; }

xenia_stored=${XENIA_STORED:-$top/build/xenstore-like/xenia-stored}
if [ "$store" = xenia ] && [ ! -x "$xenia_stored" ]; then
    record_all FAIL "xenia-stored not built ($xenia_stored missing)"
    exit 1
fi

die() { echo "run.sh: $*" >&2; record_all FAIL "harness: $*"; exit 1; }
. "$here/host-lib.sh"

ov=$(mktemp -d "$out/.overlay.XXXXXX")
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/etc" "$ov/scenarios" "$ov/usr/sbin" "$ov/usr/local/bin"
cp "$here"/scenarios/*.sh "$ov/scenarios/"
{
    echo "SCENARIO=$scenario"
    echo "STORE=$store"
    echo "STORE_TRACE=$trace"
    echo "HV_NAME=$hv_name"
    echo "RUN_TIMEOUT=$limit"
    for s in ${sets[@]+"${sets[@]}"}; do
        printf '%s=%q\n' "${s%%=*}" "${s#*=}"
    done
} > "$ov/etc/xenia-run.conf"
if [ "$store" = xenia ]; then
    copy_elf "$ov" "$xenia_stored" usr/sbin/xenia-stored
fi
# the toolstack CLI (make -C dom0-tools), when built
if [ -x "$top/build/dom0-tools/xenia" ]; then
    copy_elf "$ov" "$top/build/dom0-tools/xenia" usr/local/bin/xenia
fi
if [ -x "$out/xsbench" ]; then
    cp "$out/xsbench" "$ov/usr/local/bin/xsbench"
fi
# the dom0 test program (privcmd, grants, event channels, clocks, stress)
dom0test=$out/xenia-dom0test
if [ ! -x "$dom0test" ] || [ "$here/dom0test.c" -nt "$dom0test" ]; then
    ${CC:-gcc} -O2 -Wall -Wextra -static -o "$dom0test" "$here/dom0test.c" ||
        die "cannot build $dom0test"
fi
cp "$dom0test" "$ov/usr/local/bin/xenia-dom0test"
# files a component builds for this scenario (build/COMPONENT/overlay-SCENARIO/,
# e.g. pv-drivers' pv-block guest images), copied in as they are
for extra in "$top"/build/*/overlay-"$scenario"; do
    [ -d "$extra" ] && cp -a "$extra"/. "$ov"/
done
initrd=$out/run-$name.cpio.gz
cp "$out/dom0-base.cpio.gz" "$initrd.tmp"
pack "$ov" "$ov.cpio.gz"
cat "$ov.cpio.gz" >> "$initrd.tmp"
rm -f "$ov.cpio.gz"
# A scenario may ask for an extra archive ("# EXTRA-IMAGE: KIND"), built by
# mk-extra.sh KIND (the libvirt overlay; a UTF-8 locale for tmux).
extra=$(sed -n 's/^# EXTRA-IMAGE:[[:space:]]*\([a-z0-9-]*\).*/\1/p' "$sfile")
if [ -n "$extra" ]; then
    extra_img=$("$here/mk-extra.sh" "$extra") || die "mk-extra.sh $extra failed"
    cat "$extra_img" >> "$initrd.tmp"
fi
mv "$initrd.tmp" "$initrd"

# ---- boot -----------------------------------------------------------------
# One QEMU at a time on this machine (2 shared cores): serialise our runs.
exec 9> "$out/qemu.lock"
flock 9

qemu=(qemu-system-x86_64 -accel tcg -cpu "$cpu" -m "$mem" -smp 2 -nographic
      -no-reboot -net none -kernel "$hv" -append "$hv_args"
      -initrd "$out/vmlinuz console=hvc0 earlyprintk=xen panic=-1 $dom0_args,$initrd")
# shellcheck disable=SC2206
[ -n "$qemu_extra" ] && qemu+=($qemu_extra)
printf 'run.sh: %q ' "${qemu[@]}" > "$logs/$name.cmd"
echo >> "$logs/$name.cmd"
echo "run.sh: $scenario store=$store hv=$hv_name cpu=$cpu mem=${mem}M (log: ${log#$top/})" >&2

# The serial console goes through a FIFO to a reader that writes the log and
# stamps every "XENIA-STAMP:" line with the host's time of arrival (the
# clock checks compare the guest's clock with the host's).
stamp_serial() {
    local line
    exec 3> "$log" 4> "$stamps"
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line" >&3
        case $line in
        *XENIA-STAMP:*) printf '%s\t%s\n' "$EPOCHREALTIME" "${line%$'\r'}" >&4 ;;
        esac
    done
}
fifo=$ov/serial.fifo
mkfifo "$fifo"
stamp_serial < "$fifo" &
spid=$!

start=$(date +%s.%N)
timeout -k 5 "$limit" "${qemu[@]}" < /dev/null > "$fifo" 2>&1 &
qpid=$!
ended=
reason=
qrc=
stop_qemu() {
    kill "$qpid" 2>/dev/null || true
    wait "$qpid" 2>/dev/null || true
}
while :; do
    if ! kill -0 "$qpid" 2>/dev/null; then
        rc=0; wait "$qpid" || rc=$?
        if grep -q 'XENIA-DOM0: END' "$log"; then ended=1; qrc=$rc
        elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then reason="timeout after ${limit} s"
        else reason="QEMU exited (rc $rc) before the scenario ended"; qrc=$rc
        fi
        break
    fi
    if grep -q 'XENIA-DOM0: END' "$log"; then
        ended=1
        if [ -n "$wait_exit" ]; then
            # QEMU's own exit (isa-debug-exit), or Xen halting the machine
            i=0
            while kill -0 "$qpid" 2>/dev/null && [ $i -lt $((wait_exit * 5)) ] &&
                  ! grep -qE '\(XEN\) Hardware Dom0 (halted|shutdown)' "$log"; do
                sleep 0.2; i=$((i + 1))
            done
            if kill -0 "$qpid" 2>/dev/null; then
                sleep 1     # let the last lines drain
                if kill -0 "$qpid" 2>/dev/null; then
                    if grep -qE '\(XEN\) Hardware Dom0 (halted|shutdown)' "$log"; then
                        qrc="running (hypervisor halted the machine)"
                    else
                        qrc="still running ${wait_exit} s after the end marker"
                    fi
                    stop_qemu
                    break
                fi
            fi
            qrc=0; wait "$qpid" || qrc=$?
            break
        fi
        sleep 1     # let the last lines drain
        stop_qemu
        break
    fi
    if grep -qE '\(XEN\) (Panic on CPU|Hardware Dom0 crashed)' "$log"; then
        reason="hypervisor panic or dom0 crash (see log)"
        sleep 2
        kill "$qpid" 2>/dev/null || true
        wait "$qpid" 2>/dev/null || true
        break
    fi
    sleep 1
done
flock -u 9
wait "$spid" 2>/dev/null || true
elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')

# ---- results --------------------------------------------------------------
tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
grep -o 'BENCH: .*' "$log" | sed 's/^BENCH: //' > "$logs/$name.bench" || true
[ -s "$logs/$name.bench" ] || rm -f "$logs/$name.bench"

final=$(grep -o 'Test result: [A-Z]*' "$log" | tail -1 || true)
[ -n "$ended" ] || [ -n "$reason" ] || reason="no end marker"

# Host-side checks of this scenario (after QEMU is gone): RESULT lines into
# NAME.host, read below together with the log.
: > "$hostres"
if [ -f "$here/host-checks/$scenario.sh" ]; then
    # shellcheck disable=SC1090
    ( . "$here/host-checks/$scenario.sh" ) > "$hostres" 2>&1 ||
        echo "RESULT: $scenario.host-checks FAIL host-checks/$scenario.sh exited non-zero" >> "$hostres"
fi
awk -v scen="$scenario" -v store="$label" -v hv="$hv_name" \
    -v planned="$planned" -v reason="$reason" -v cpu="$cpu" '
    BEGIN { n = split(planned, p, " ") }
    {
        i = index($0, "RESULT: ")
        if (!i) next
        line = substr($0, i + 8)
        split(line, f, " ")
        name = f[1]; st = f[2]
        detail = substr(line, length(name) + length(st) + 3)
        if (index(name, scen ".") != 1) next
        c = substr(name, length(scen) + 2)
        if (st != "PASS" && st != "FAIL" && st != "SKIP") st = "FAIL"
        if (!(c in seen)) order[++m] = c
        seen[c] = 1; status[c] = st; det[c] = detail
    }
    END {
        for (k = 1; k <= n; k++)
            if (!(p[k] in seen)) { order[++m] = p[k]; status[p[k]] = "FAIL"
                det[p[k]] = "never reported" (reason != "" ? " (" reason ")" : "") }
        for (k = 1; k <= m; k++) {
            c = order[k]
            printf "%s\t%s[%s].%s\t%s (hv=%s cpu=%s)\n", status[c], scen, store, c, det[c], hv, cpu
        }
        if (reason != "")
            printf "FAIL\t%s[%s].run\t%s (hv=%s cpu=%s)\n", scen, store, reason, hv, cpu
    }' "$log" "$hostres" > "$tsv"

pass=$(grep -c '^PASS' "$tsv" || true)
fail=$(grep -c '^FAIL' "$tsv" || true)
t_init=$(grep -m1 -o 'XENIA-DOM0: init reached at [0-9]* ms' "$log" | grep -o '[0-9]* ms' || true)
echo "run.sh: $scenario[$label] on $hv_name: $pass passed, $fail failed in ${elapsed%.*} s" \
     "(${final:-no Test result line}${reason:+; $reason}; dom0 /init at ${t_init:-?} dom0 uptime)" >&2
echo "run.sh: results ${tsv#$top/}, log ${log#$top/}" >&2
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
