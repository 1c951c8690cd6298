#!/usr/bin/env bash
# join-bench.sh XENIA.bench XEN.bench: joins the "figure unit value" lines
# of the two bench-store boots into the rows scripts/bench-report.sh reads:
# figure<TAB>unit<TAB>xenia<TAB>xen<TAB>native ('-' where a side has no
# figure; there is no native figure for a store inside dom0).
set -euo pipefail
xenia=$1 xen=$2
awk -v OFS='\t' '
    FNR == 1 { side++ }
    NF >= 3 {
        if (!($1 in unit)) { order[++n] = $1; unit[$1] = $2 }
        val[side, $1] = $3
    }
    END {
        for (i = 1; i <= n; i++) {
            f = order[i]
            a = ((1, f) in val) ? val[1, f] : "-"
            b = ((2, f) in val) ? val[2, f] : "-"
            print f, unit[f], a, b, "-"
        }
    }' <(cat "$xenia" 2>/dev/null || true; echo "#sep") \
      <(cat "$xen" 2>/dev/null || true; echo "#sep")
