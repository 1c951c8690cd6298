#!/usr/bin/env bash
# Host-side figures for xenia-stored alone (Xen's C xenstored cannot run
# outside a Xen host; the side-by-side in-Xen figures come from
# tests/integration/xen-dom0).  Each figure is the median of 3 runs.
# Row format: figure<TAB>unit<TAB>xenia<TAB>xen<TAB>native
set -eu
tmp=$(mktemp -d /tmp/xenia-xs-bench.XXXXXX)
sock=$tmp/socket
"$OUT/xenia-stored" -N -D --socket "$sock" 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
conns=${BENCH_CONNS:-8}
ops=${BENCH_OPS:-40000}
: > "$BENCHOUT"
for mix in read write directory transaction; do
    vals=()
    for run in 1 2 3; do
        vals+=("$("$OUT/xs_bench" "$sock" "$mix" "$conns" "$ops")")
    done
    med=$(printf '%s\n' "${vals[@]}" | sort -n | sed -n 2p)
    printf 'xenstore host %s (%s conns)\tops/s\t%s\t-\t-\n' "$mix" "$conns" "$med" >> "$BENCHOUT"
    echo "xenstore host $mix: ${vals[*]} -> $med ops/s"
done

# Reliability: a hostile guest held at its quotas beside a victim guest
# (tests/xs_flood.c: the store core in-process on in-memory rings, every
# quota applying).  Reported, not asserted; the goal is >= 90%.
for mode in private shared; do
    if out=$("$OUT/xs_flood" "${FLOOD_SECONDS:-2}" "$mode" 2>/dev/null); then
        set -- $out
        printf 'xenstore flood (%s): victim ops/s kept\t%%\t%s\t-\t-\n' "$mode" "$3" >> "$BENCHOUT"
        echo "xenstore flood ($mode): victim alone $1 ops/s, beside the flood $2 ops/s: $3% (goal >= 90%)"
    else
        printf 'xenstore flood (%s): victim ops/s kept\t%%\tFAIL\t-\t-\n' "$mode" >> "$BENCHOUT"
    fi
done
