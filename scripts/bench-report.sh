#!/usr/bin/env bash
# Joins the figures every bench wrote to build/bench/*.rows into
# build/bench/results.tsv and prints it as a table.
# Row format (the contract for benches): tab-separated
#   FIGURE<TAB>UNIT<TAB>XENIA<TAB>XEN<TAB>NATIVE
# each value already the median of 3 runs taken in the same invocation, or '-'
# where that system has no such figure. This script adds xenia_over_xen
# (the plain ratio) and xenia_speedup: how many times faster Xenia is than
# Xen, > 1 meaning Xenia wins, whichever way the unit points (rates such as
# MB/s and ops/s are higher-is-better; times are lower-is-better; the unit
# "ratio" is a ratio of rates, such as pv-drivers.rows' *_ours_over_kernel:
# higher-is-better).
set -euo pipefail
dir=${1:-build/bench}
out=$dir/results.tsv
shopt -s nullglob
rows=("$dir"/*.rows)
{
    printf 'figure\tunit\txenia\txen\tnative\txenia_over_xen\txenia_speedup\n'
    awk -F'\t' 'NF >= 5 && !/^#/ {
        ok = ($3 != "-" && $4 != "-" && $3 + 0 != 0 && $4 + 0 != 0)
        r = ok ? sprintf("%.3f", $3 / $4) : "-"
        rate = ($2 ~ /\/s$/ || $2 == "ratio")
        sp = ok ? sprintf("%.3f", rate ? $3 / $4 : $4 / $3) : "-"
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $1, $2, $3, $4, $5, r, sp }' /dev/null "${rows[@]}"
} > "$out"
column -t -s $'\t' "$out"
echo "written: $out"
