#!/bin/bash
# cli-test.sh BLKBACK: xenia-blkback's refusals of bad command lines (no
# hypervisor needed: each is refused before any device is opened).
# Prints "STATUS<TAB>NAME<TAB>DETAIL" lines.
bin=$1
t() {   # t NAME WANT_RC PATTERN ARGS...
    local name=$1 want=$2 pat=$3 out rc
    shift 3
    out=$("$bin" "$@" 2>&1 < /dev/null); rc=$?
    if [ "$rc" = "$want" ] && grep -q -- "$pat" <<< "$out"; then
        printf 'PASS\tpv-drivers.cli.%s\trc %s\n' "$name" "$rc"
    else
        printf 'FAIL\tpv-drivers.cli.%s\trc %s (want %s), output: %s\n' \
            "$name" "$rc" "$want" "$(head -c 200 <<< "$out" | tr '\n\t' '  ')"
    fi
}
t help 0 'usage: xenia-blkback' --help
t bad-option 2 'usage' --bogus
t extra-arg 2 "unexpected argument 'foo'" -f foo
t domid-zero 2 'not a guest domain id' --domid 0 --devid 51712 --params /dev/null
t domid-garbage 2 'not a guest domain id' --domid 3x --devid 51712 --params /dev/null
t devid-garbage 2 'not a device number' --domid 3 --devid -1 --params /dev/null
t mode-bad 2 'use r or w' --domid 3 --devid 51712 --params /dev/null --mode rw
t domid-alone 2 'go together' --domid 3
t mode-alone 2 'go together' --mode r
t params-missing-file 1 'No such file' -f --domid 3 --devid 51712 --params /nonexistent/disk.img
