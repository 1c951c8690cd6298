#!/usr/bin/env bash
# Runs the libFuzzer target for FUZZ_SECONDS on a seed corpus of valid
# requests; a crash, leak or sanitizer report is a failure.
set -u
corpus=$OUT/fuzz-corpus
mkdir -p "$corpus" "$OUT/fuzz-artifacts"
python3 - "$corpus" <<'PY'
import os, struct, sys
d = sys.argv[1]
def msg(t, p, tx=0): return struct.pack('<IIII', t, 1, tx, len(p)) + p
seeds = {
 'rw': msg(11, b'/local/domain/5/a/x\0val') + msg(2, b'/local/domain/5/a/x\0'),
 'rel': msg(11, b'a/b\0v') + msg(1, b'a\0') + msg(3, b'a/b\0'),
 'perm': msg(14, b'a\0n5\0r1\0w2') + msg(3, b'a\0'),
 'tx': msg(6, b'\0') + msg(11, b'x\0y', 1) + msg(7, b'T\0', 1),
 'watch': msg(4, b'/local\0tok\0') + msg(11, b'/local/domain/5/w\0') + msg(5, b'/local\0tok\0'),
 'rm': msg(13, b'/local/domain/5/a\0') + msg(12, b'/local/domain/5/q/r\0'),
 'dirpart': msg(22, b'/local/domain/5\0' + b'0\0'),
 'special': msg(4, b'@releaseDomain\0t\0') + msg(14, b'@releaseDomain\0n0\0r5\0'),
 'ctl': msg(0, b'quota\0') + msg(0, b'check\0') + msg(21, b'\0'),
 'dom': msg(8, b'7\0' + b'1\0' + b'3\0') + msg(17, b'7\0') + msg(9, b'7\0') + msg(10, b'7\0'),
}
for name, body in seeds.items():
    for mode in (0, 1, 2, 9, 14):
        open(os.path.join(d, '%s-%d' % (name, mode)), 'wb').write(bytes([mode]) + body)
PY
log=$OUT/fuzz.log
"$OUT/xs_fuzz" -max_total_time="${FUZZ_SECONDS:-20}" -max_len=9000 \
    -rss_limit_mb=1024 -artifact_prefix="$OUT/fuzz-artifacts/" \
    -print_final_stats=1 "$corpus" > "$log" 2>&1
st=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ "$st" = 0 ]; then
    printf 'PASS\txenstore/fuzz\t%s runs in %ss, no crash or leak\n' "${runs:-?}" "${FUZZ_SECONDS:-20}" >> "$RESULTS"
else
    printf 'FAIL\txenstore/fuzz\texit %s, see %s\n' "$st" "$log" >> "$RESULTS"
fi
tail -3 "$log"
exit 0
