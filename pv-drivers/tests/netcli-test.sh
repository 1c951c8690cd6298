#!/bin/bash
# netcli-test.sh NETBACK: xenia-netback's and vif-attach's refusals of bad
# command lines (no hypervisor needed: each is refused before the store
# is touched).  Prints "STATUS<TAB>NAME<TAB>DETAIL" lines.
bin=$1
attach=$(cd "$(dirname "$0")/../tools" && pwd)/vif-attach
t() {   # t NAME WANT_RC PATTERN CMD ARGS...
    local name=$1 want=$2 pat=$3 out rc
    shift 3
    out=$("$@" 2>&1 < /dev/null); rc=$?
    if [ "$rc" = "$want" ] && grep -q -- "$pat" <<< "$out"; then
        printf 'PASS\tpv-drivers.netcli.%s\trc %s\n' "$name" "$rc"
    else
        printf 'FAIL\tpv-drivers.netcli.%s\trc %s (want %s), output: %s\n' \
            "$name" "$rc" "$want" "$(head -c 200 <<< "$out" | tr '\n\t' '  ')"
    fi
}
t help 0 'usage: xenia-netback' "$bin" --help
t bad-option 2 'usage' "$bin" --bogus
t extra-arg 2 "unexpected argument 'foo'" "$bin" -f foo
t domid-zero 2 'not a guest domain id' "$bin" --domid 0 --devid 0
t devid-garbage 2 'not a device number' "$bin" --domid 3 --devid x1
t devid-big 2 'not a device number' "$bin" --domid 3 --devid 65536
t bridge-long 2 'not an interface name' "$bin" --domid 3 --devid 0 --bridge abcdefghijklmnopq
t bridge-alone 2 'go together' "$bin" --bridge xenbr0
t domid-alone 2 'go together' "$bin" --domid 3
t attach-usage 2 'vif-attach' sh "$attach"
t attach-domid 1 "domain id 'x' is not a number" sh "$attach" x 0
t attach-dom0 1 'is not a guest' sh "$attach" 0 0
t attach-devid 1 'over 65535' sh "$attach" 3 70000
t attach-mac 1 "MAC '00:16:3e:zz:00:01'" sh "$attach" -m 00:16:3e:zz:00:01 3 0
t attach-multicast 1 'multicast' sh "$attach" -m 01:00:5e:00:00:01 3 0
t attach-bridge 1 'not an interface name' sh "$attach" -b a/b 3 0
