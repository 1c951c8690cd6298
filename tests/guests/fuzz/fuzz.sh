#!/bin/sh
# fuzz.sh: a long hypercall fuzz run (the top-level 'make fuzz').
#
# Boots the fuzz image once, on one hypervisor and CPU model, and lets it
# start fuzz rounds (a fresh witness and fuzzer domU each, see
# tests/guests/fuzz/main.c) until DURATION seconds have passed.
#
#   DURATION=600   seconds of fuzzing (rounds in progress finish)
#   HV=xenia       or xen
#   CPU=qemu64     QEMU CPU model
#   SEED=0x...     seed of round 0 (default: from the TSC; printed)
#   CALLS=20000    hypercalls per round
#   RISK=0         per mille of calls allowed to aim at the fuzzer itself
#   SHAPES=M       fuzz_shapes mask (1 huge counts, 2 linear page tables,
#                  4 debug registers, 8 witness round trips, 16 a second
#                  fuzzing vCPU; docs/testing.md).  Default: 31 (all) on
#                  Xenia; 0 on Xen 4.17, where the shapes stall the
#                  fuzzer's own vCPU (docs/testing.md, not yet explained)
#   ARGS=...       more words for the fuzz image, e.g. "fuzz_trace=1200"
#
# Results: build/fuzz/results.tsv (the runner's format), the serial log in
# build/tests/guests/logs/<hv>-<cpu>-fuzz.log.  Exits non-zero if a check
# failed or the boot did not end well; the log's "fuzz: round N: seed S"
# lines name the seed to replay (make fuzz SEED=S ARGS=fuzz_rounds=1
# CALLS=...; ARGS="fuzz_rounds=1 fuzz_trace=K" prints each call from
# call K on).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
duration=${DURATION:-600}
hv=${HV:-xenia}
cpu=${CPU:-qemu64}
calls=${CALLS:-20000}
risk=${RISK:-0}

case $duration$calls$risk in
*[!0-9]*) echo "fuzz.sh: DURATION, CALLS and RISK are numbers" >&2; exit 2;;
esac
case $hv in
xen|xenia) ;;
*) echo "fuzz.sh: HV must be xen or xenia, not '$hv'" >&2; exit 2;;
esac

if [ -z "${SHAPES:-}" ]; then
    if [ "$hv" = xenia ]; then shapes=31; else shapes=0; fi
else
    shapes=$SHAPES
fi
case $shapes in
*[!0-9]*|'') echo "fuzz.sh: SHAPES is a number (a mask), not '$shapes'" >&2; exit 2;;
esac

args="fuzz_secs=$duration fuzz_calls=$calls fuzz_risk=$risk fuzz_shapes=$shapes"
if [ -n "${SEED:-}" ]; then
    args="$args fuzz_seed=$SEED"
fi
if [ -n "${ARGS:-}" ]; then
    args="$args $ARGS"
fi
mkdir -p "$root/build/fuzz"
results="$root/build/fuzz/results.tsv"
log="$root/build/tests/guests/logs/$hv-$cpu-fuzz.log"

echo "fuzz: $hv, $cpu, $duration s, $calls calls per round, risk $risk, shapes $shapes" \
     "${SEED:+, seed $SEED}"
HV=$hv CPUS=$cpu TESTS=fuzz TIMEOUT=$((duration + 600)) GUEST_ARGS="$args" \
    RESULTS="$results" python3 "$root/tests/guests/run.py"

grep -E '^fuzz: (seed|[0-9]+ rounds|FAILED)' "$log" || true
echo "fuzz: log $log"
if grep -q '^FAIL' "$results"; then
    grep '^FAIL' "$results"
    exit 1
fi
