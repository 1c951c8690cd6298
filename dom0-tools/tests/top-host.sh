#!/bin/bash
# Host tests of `xenia top` (no hypervisor): usage errors exit 2, a
# missing privcmd exits 1 with a clear message, and with XENIA_TOP_FAKE
# sample files: the batch table, --sort/--reverse/--filter, --full-name,
# CPU(%) over an interval, JSON documents and --check-json accepting them
# and refusing broken ones, and the ncurses screen under tmux (when the
# host has tmux).  See docs/man/xenia-top.md.
# Usage: top-host.sh XENIA RESULTS.tsv   (appends to RESULTS.tsv)
set -u
xenia=$1
tsv=$2
res() { printf '%s\t%s\t%s\n' "$1" "toolstack-host.top-$2" "$3" >> "$tsv"; }

if ! "$xenia" top --help > /dev/null 2>&1; then
    res SKIP all "xenia built without top (dom0-tools/top/top.h)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/s1" <<'EOF'
# host CPUS MHZ TOTAL_PAGES FREE_PAGES; dom DOMID NAME STATE TOT MAX CPU_NS VCPUS
host 2 2400 262144 100000
dom 0 Domain-0 r----- 131072 131072 5000000000 2
dom 3 tsguest -b---- 32768 32768 1000000000 1
dom 5 a-very-long-guest-name --p--- 65536 - 200000000 4
EOF
fake() { XENIA_TOP_FAKE="$tmp/s1" "$xenia" top "$@"; }
names() { grep -v '^ *NAME  *STATE' | awk '{ print $1 }' | tr '\n' ' '; }

# Usage errors: exit 2 and a message naming the problem.
bad=
for a in "--sort nosuch" "-d 0" "-d x" "-i 0 -b" "-i 2" "--json" "--bogus" \
         "extra" "--filter="; do
    out=$("$xenia" top $a 2>&1 > /dev/null)
    rc=$?
    [ $rc = 2 ] && [ -n "$out" ] || bad="$bad '$a'=$rc"
done
[ -z "$bad" ] && res PASS usage-exit-2 "bad options exit 2 with a message" ||
    res FAIL usage-exit-2 "not 2:$bad"

# No hypervisor here: exit 1 naming privcmd (unless this host is a dom0).
if [ ! -e /dev/xen/privcmd ]; then
    out=$("$xenia" top -b -i 1 2>&1)
    rc=$?
    case "$out" in
    "xenia top: cannot open /dev/xen/privcmd: "*"(is this a Xen/Xenia dom0?)")
        [ $rc = 1 ] && res PASS no-privcmd "exit 1: $out" ||
            res FAIL no-privcmd "exit $rc: $out" ;;
    *) res FAIL no-privcmd "exit $rc: $out" ;;
    esac
else
    res SKIP no-privcmd "this host has /dev/xen/privcmd"
fi

# The table: header, one row per domain in domid order, cut names.
out=$(fake -b -i 1)
hdr=$(echo "$out" | head -n 1 | tr -s ' ' | sed 's/^ //')
want="NAME STATE CPU(sec) CPU(%) MEM(k) MEM(%) MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS VBD_OO VBD_RD VBD_WR VBD_RSECT VBD_WSECT"
row=$(echo "$out" | grep '^ *tsguest ' | tr -s ' ' | sed 's/^ //')
if [ "$hdr" = "$want" ] && [ "$(echo "$out" | names)" = "Domain-0 tsguest a-very-lon " ] &&
   [ "$row" = "tsguest -b---- 1 0.0 131072 12.5 131072 12.5 1 0 0 0 0 0 0 0 0 0" ] &&
   echo "$out" | grep -q ' no limit  *n/a '; then
    res PASS batch-table "xentop's header, rows in domid order, names cut at 10"
else
    res FAIL batch-table "$(echo "$out" | head -n 3 | tr '\n' '|')"
fi

# Sorting, reversing, filtering, full names.
bad=
t() { got=$(fake -b -i 1 "$@" | names); [ "$got" = "$want" ] || bad="$bad [$*]='$got'"; }
want="Domain-0 a-very-lon tsguest ";  t --sort mem
want="tsguest a-very-lon Domain-0 ";  t --sort mem -r
want="a-very-lon Domain-0 tsguest ";  t -s name
want="tsguest Domain-0 a-very-lon ";  t --sort MEM\(k\) --reverse --sort vcpus
want="tsguest ";                      t --filter tsguest
want="tsguest a-very-lon ";           t --filter '*s*' --sort id
want="Domain-0 tsguest ";             t --filter 'Domain-[0-9]+|ts.*'
want="";                              t --filter nomatch
want="Domain-0 tsguest a-very-long-guest-name "; t -f
[ -z "$bad" ] && res PASS sort-filter "sort mem/name/vcpus, reverse, glob and regex filters, full names" ||
    res FAIL sort-filter "$bad"

# CPU(%): the second sample's CPU time delta over the interval.
cp "$tmp/s1" "$tmp/s2"
(sleep 0.5; sed 's/^dom 3 tsguest -b---- 32768 32768 1000000000/dom 3 tsguest -b---- 32768 32768 9000000000/' \
    "$tmp/s1" > "$tmp/s2.new" && mv "$tmp/s2.new" "$tmp/s2") &
out=$(XENIA_TOP_FAKE="$tmp/s2" "$xenia" top -b -i 2 -d 2 --sort cpu%)
wait
first=$(echo "$out" | sed -n 2p | awk '{ print $1, $4 }')
pct=$(echo "$out" | sed -n 6p | awk '{ print $4 }')
# 8 s of CPU time over a 2 s interval (a bit more on a loaded host): 400%
# at most, well above 100% at least.
if [ "$first" = "Domain-0 0.0" ] && echo "$out" | sed -n 6p | grep -q '^ *tsguest ' &&
   awk -v p="$pct" 'BEGIN { exit !(p > 100 && p <= 400) }'; then
    res PASS cpu-pct "0 in the first table, $pct% in the second, sorted first"
else
    res FAIL cpu-pct "$(echo "$out" | awk '{ print $1, $4 }' | tr '\n' '|')"
fi

# Device counters, laid out as on a dom0 under FAKE.d: the kernel's vbd
# statistics and vif lines (RX is the guest's TX), Xenia's /run/xenia
# files, a device in both counted once, malformed names ignored.
d=$tmp/s1.d
mkdir -p $d/sys/devices/xen-backend/vbd-3-51712/statistics \
    $d/sys/devices/xen-backend/vbd-3-51728/statistics $d/sys/devices/xen-backend/vbd-x-1 \
    $d/run/xenia/vbd/3-51712 $d/run/xenia/vbd/5-51712 $d/run/xenia/vbd/5-1-2 \
    $d/run/xenia/vif/5-0 $d/proc/net
for f in oo_req rd_req wr_req rd_sect wr_sect; do
    echo 10 > $d/sys/devices/xen-backend/vbd-3-51712/statistics/$f
    echo 1 > $d/sys/devices/xen-backend/vbd-3-51728/statistics/$f
    echo 1000 > $d/run/xenia/vbd/3-51712/$f
    echo 7 > $d/run/xenia/vbd/5-51712/$f
done
echo 2048 > $d/run/xenia/vif/5-0/tx_bytes
echo 4096 > $d/run/xenia/vif/5-0/rx_bytes
printf '%s\n' 'Inter-|   Receive |  Transmit' ' face |bytes packets ...' \
    '    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0' \
    '  vif3.0: 10240 10 0 0 0 0 0 0 20480 20 0 0 0 0 0 0' \
    '  vif3.1-emu: 9999 1 0 0 0 0 0 0 9999 1 0 0 0 0 0 0' > $d/proc/net/dev
out=$(fake -b -i 1)
g=$(echo "$out" | grep '^ *tsguest ' | awk '{ print $10, $11, $12, $13, $14, $15, $16, $17, $18 }')
a=$(echo "$out" | grep '^ *a-very-lon ' | awk '{ print $11, $12, $13, $14, $15, $16, $17, $18, $19 }')
z=$(echo "$out" | grep '^ *Domain-0 ' | awk '{ print $10, $13 }')
if [ "$g" = "1 10 20 2 11 11 11 11 11" ] && [ "$a" = "1 2 4 1 7 7 7 7 7" ] && [ "$z" = "0 0" ]; then
    res PASS devices "kernel vbd/vif (direction swapped) and /run/xenia counters, one count per device"
else
    res FAIL devices "tsguest '$g', a-very-lon '$a', Domain-0 '$z'"
fi
rm -rf "$d"

# JSON: documents that --check-json accepts, and broken ones it refuses.
fake -b -i 2 -d 0.1 --json --sort mem > "$tmp/j"
out=$("$xenia" top --check-json < "$tmp/j")
rc=$?
if [ $rc = 0 ] && [ "$(wc -l < "$tmp/j")" = 2 ] &&
   [ "$(echo "$out" | tail -n 1)" = "ok: 2 documents" ] &&
   echo "$out" | grep -q '^document 2: Domain-0:0 a-very-long-guest-name:5 tsguest:3$' &&
   grep -q '"maxmem_kb":null' "$tmp/j" && grep -q '"mem_pct":12.50' "$tmp/j"; then
    res PASS json "2 documents, sorted, null for no limit, valid"
else
    res FAIL json "exit $rc: $(echo "$out" | tr '\n' '|')"
fi
bad=
line=$(head -n 1 "$tmp/j")
for mut in 's/"xenia-top\/1"/"xenia-top\/2"/' 's/"vcpus":2,//' 's/"mem_kb":524288/"mem_kb":"x"/' \
           's/"state":"r-----"/"state":"x-----"/' 's/"domid":3/"domid":0/' \
           's/"cpu_pct":0.00/"cpu_pct":-1/' 's/}]}$/}]/' 's/"domains":\[/"domains":{"a":[/'; do
    echo "$line" | sed "$mut" | "$xenia" top --check-json > /dev/null 2> "$tmp/err"
    rc=$?
    [ $rc = 1 ] && grep -q '^xenia top: --check-json: document 1: ' "$tmp/err" ||
        bad="$bad '$mut'=$rc"
done
: | "$xenia" top --check-json > /dev/null 2>&1 && bad="$bad empty-input"
[ -z "$bad" ] && res PASS check-json-refuses "8 broken documents and empty input refused" ||
    res FAIL check-json-refuses "accepted or wrong exit:$bad"

# The screen under tmux: header, rows, sort keys, q.
if ! command -v tmux > /dev/null; then
    res SKIP tui "no tmux on this host"
    exit 0
fi
export TMUX_TMPDIR=$tmp
tm="tmux -f /dev/null -L xenia-top-host"
pane() {  # wait (at most 60 s) for a line matching $1 in the pane
    local i
    for i in $(seq 1 120); do
        $tm capture-pane -p -t xt > "$tmp/pane" 2>/dev/null &&
            grep -Eq "$1" "$tmp/pane" && return 0
        sleep 0.5
    done
    return 1
}
first_row() { awk 'f && NF { print $1; exit } /^ *NAME  *STATE/ { f = 1 }' "$tmp/pane"; }
bad=
$tm new-session -d -s xt -x 160 -y 30 \
    "TERM=screen XENIA_TOP_FAKE=$tmp/s1 $xenia top -d 1; echo \$? > $tmp/rc"
pane '^ *tsguest -b---- ' || bad="$bad no rows;"
grep -q 'Sort: ID ascending' "$tmp/pane" || bad="$bad no sort line;"
grep -q '^q quit' "$tmp/pane" || bad="$bad no help line;"
grep -q '^3 domains: 1 running, 1 blocked, 1 paused' "$tmp/pane" || bad="$bad no summary;"
$tm send-keys -t xt s s s s s
pane 'Sort: MEM\(k\) descending' || bad="$bad 5 x s is not MEM(k);"
[ "$(first_row)" = Domain-0 ] || bad="$bad MEM(k) first row $(first_row);"
$tm send-keys -t xt r
pane 'Sort: MEM\(k\) ascending' || bad="$bad r did not reverse;"
[ "$(first_row)" = tsguest ] || bad="$bad reversed first row $(first_row);"
$tm send-keys -t xt n
pane '^ *a-very-long-guest-name ' || bad="$bad n did not show full names;"
$tm send-keys -t xt h
pane '^xenia top: keys' || bad="$bad no help screen;"
$tm send-keys -t xt x q
for i in $(seq 1 120); do
    $tm has-session -t xt 2>/dev/null || break
    sleep 0.5
done
$tm has-session -t xt 2>/dev/null && { bad="$bad still running after q;"; $tm kill-server; }
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || bad="$bad exit '$(cat "$tmp/rc" 2>/dev/null)';"
[ -z "$bad" ] && res PASS tui "screen under tmux: rows, summary, s/r/n/h keys, q exits 0" ||
    res FAIL tui "$bad"
exit 0
