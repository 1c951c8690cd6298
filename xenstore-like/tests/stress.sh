#!/usr/bin/env bash
# Concurrency stress: many socket clients with conflicting transactions
# (see xs_stress.c), against a daemon with a memory check at the end.
set -u
tmp=$(mktemp -d /tmp/xenia-xs-stress.XXXXXX)
sock=$tmp/socket
"$OUT/xenia-stored" -N -D --socket "$sock" 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
if ! timeout 300 "$OUT/xs_stress" "$sock" "${STRESS_THREADS:-8}" \
        "${STRESS_ITERS:-400}" >> "$RESULTS"; then
    printf 'FAIL\txenstore/stress/run\txs_stress failed or timed out\n' >> "$RESULTS"
fi
kill -TERM "$pid"; wait "$pid"; st=$?
if [ "$st" = 0 ]; then
    printf 'PASS\txenstore/stress/daemon-survived\n' >> "$RESULTS"
else
    printf 'FAIL\txenstore/stress/daemon-survived\texit status %s\n' "$st" >> "$RESULTS"
fi
rm -rf "$tmp"
exit 0
