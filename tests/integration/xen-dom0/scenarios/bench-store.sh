# Scenario bench-store (sourced by dom0's /init once the store is up): store
# throughput measured inside dom0 with xsbench, a C client speaking the wire
# protocol over several concurrent connections. Each figure is the median of
# BENCH_REPS runs; the host joins the STORE=xen and STORE=xenia boots.
#
# Prints "BENCH: <figure> <unit> <value>" per figure.
#
# TIMEOUT: 240
# PLANNED: xsbench-present socket-read socket-write socket-directory socket-transaction ring-read

BENCH_CONNS=${BENCH_CONNS:-8}
BENCH_SECS=${BENCH_SECS:-2}
BENCH_REPS=${BENCH_REPS:-3}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# bench_one CHECK FIGURE UNIT XSBENCH-ARGS...
bench_one() {
    local c=$1 fig=$2 unit=$3 r vals= line bad=0 med
    shift 3
    for r in $(seq 1 "$BENCH_REPS"); do
        line=$(xsbench "$@" 2>/tmp/xsbench.err) || bad=1
        echo "bench| $fig run $r: $line"
        v=$(echo "$line" | sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p')
        [ -n "$v" ] || bad=1
        vals="$vals $v"
    done
    if [ $bad = 0 ]; then
        med=$(printf '%s\n' $vals | median)
        echo "BENCH: $fig $unit $med"
        result "$c" PASS "median $med $unit of$vals"
    else
        result "$c" FAIL "xsbench failed: $(head -c 300 /tmp/xsbench.err)"
    fi
}

if [ -x /usr/local/bin/xsbench ]; then
    result xsbench-present PASS "$BENCH_CONNS connections, $BENCH_SECS s per run, $BENCH_REPS runs"
    n=$BENCH_CONNS
    bench_one socket-read "xenstore_dom0_read_${n}conn" ops/s -m read -c "$n" -t "$BENCH_SECS"
    bench_one socket-write "xenstore_dom0_write_${n}conn" ops/s -m write -c "$n" -t "$BENCH_SECS"
    bench_one socket-directory "xenstore_dom0_directory_${n}conn" ops/s -m directory -c "$n" -t "$BENCH_SECS"
    bench_one socket-transaction "xenstore_dom0_transaction_${n}conn" tx/s -m transaction -c "$n" -t "$BENCH_SECS"
    # through dom0's kernel xenbus device, i.e. over dom0's own store ring
    bench_one ring-read "xenstore_dom0_ring_read_4conn" ops/s -x /dev/xen/xenbus -m read -c 4 -t "$BENCH_SECS"
else
    result xsbench-present FAIL "xsbench not in the initramfs (make -C tests/integration all)"
fi
