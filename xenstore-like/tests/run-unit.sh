#!/usr/bin/env bash
# Runs the cmocka unit tests and records one result line per test.
set -u
out=$OUT/test_xs.tap
if CMOCKA_MESSAGE_OUTPUT=TAP "$OUT/test_xs" > "$out" 2>"$OUT/test_xs.err"; then :; fi
if ! grep -q '^1\.\.' "$out"; then
    printf 'FAIL\txenstore/unit\tunit test binary did not run (see %s)\n' "$out" >> "$RESULTS"
    exit 0
fi
awk '/^ok /     { sub(/^ok [0-9]+ - /, ""); printf "PASS\txenstore/unit/%s\n", $0 }
     /^not ok / { sub(/^not ok [0-9]+ - /, ""); printf "FAIL\txenstore/unit/%s\n", $0 }' \
    "$out" >> "$RESULTS"
grep -c '^ok ' "$out" | xargs printf 'xenstore unit: %s passed\n'
