#!/usr/bin/env bash
# Joins the figures every bench wrote to build/bench/*.rows into
# build/bench/results.tsv and prints it as a table.
# Row format (the contract for benches): tab-separated
#   FIGURE<TAB>UNIT<TAB>XENIA<TAB>XEN<TAB>NATIVE
# each value already the median of 3 runs taken in the same invocation, or '-'
# where that system has no such figure. This script adds xenia_over_xen.
set -euo pipefail
dir=${1:-build/bench}
out=$dir/results.tsv
shopt -s nullglob
rows=("$dir"/*.rows)
{
    printf 'figure\tunit\txenia\txen\tnative\txenia_over_xen\n'
    awk -F'\t' 'NF >= 5 && !/^#/ {
        r = ($3 != "-" && $4 != "-" && $4 + 0 != 0) ? sprintf("%.3f", $3 / $4) : "-"
        printf "%s\t%s\t%s\t%s\t%s\t%s\n", $1, $2, $3, $4, $5, r }' /dev/null "${rows[@]}"
} > "$out"
column -t -s $'\t' "$out"
echo "written: $out"
