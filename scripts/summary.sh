#!/usr/bin/env bash
# Counts the results every suite wrote under build/results/*.tsv.
# Result-file format (the contract between suites and this script): one line
# per check, tab-separated: STATUS<TAB>NAME[<TAB>DETAIL], STATUS one of
# PASS, FAIL, SKIP. Lines starting with '#' are ignored.
# Prints each failure, then the final line 'N passed, N failed, N skipped';
# exits 1 when anything failed or no result was recorded at all.
set -u
dir=${1:-build/results}
shopt -s nullglob
files=("$dir"/*.tsv)
awk -F'\t' '
    /^#/ || NF == 0 { next }
    $1 == "PASS" { p++; next }
    $1 == "SKIP" { s++; next }
    { f++; printf "FAILED: %s %s (%s)\n", $2, $3, FILENAME }
    END { printf "%d passed, %d failed, %d skipped\n", p, f, s
          exit (f > 0 || p + f + s == 0) ? 1 : 0 }
' /dev/null "${files[@]}"
