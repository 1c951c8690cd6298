# `xenia top` checks for the toolstack scenario (sourced by toolstack.sh
# while its Linux guest runs; busybox sh).  top_checks NAME reports
# exactly four checks:
#   top-batch        -b -i 2 -d 1: two tables, each with xentop's column
#                    header and sane rows for Domain-0 and NAME
#   top-json         -b -i 2 -d 1 --json: two documents that yajl parses
#                    and `xenia top --check-json` validates field by field
#   top-filter-sort  --filter NAME keeps only NAME; --sort mem, name and
#                    their --reverse give rows in that order
#   top-tui          the ncurses screen under tmux: column header and the
#                    NAME row, s and r change the sort line and the order,
#                    q ends the program (exit 0) and the tmux session
# No check depends on timing: waits are bounded polls (generous, for TCG).
# See docs/man/xenia-top.md.

TOP_COLS="NAME STATE CPU(sec) CPU(%) MEM(k) MEM(%) MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS VBD_OO VBD_RD VBD_WR VBD_RSECT VBD_WSECT"

# top_table_check FILE NAME TABLES: every table in FILE (batch output)
# has the exact header and well-formed rows, with Domain-0 and NAME in
# each; prints a summary, or what is wrong (exit 1).
top_table_check() {
    awk -v want="$2" -v ntab="$3" -v cols="$TOP_COLS" '
    function fail(m) { print m; bad = 1; exit 1 }
    /^ *NAME +STATE/ {
        h = $0; gsub(/ +/, " ", h); sub(/^ /, "", h)
        if (h != cols) fail("header is \"" h "\"")
        t++; next
    }
    {
        if (!t) fail("row before any header: " $0)
        sub(/no limit/, "nolimit"); sub(/ n\/a /, " 0.0 "); $0 = $0
        if (NF != 18) fail("row with " NF " fields: " $0)
        if ($2 !~ /^[r-][b-][p-][s-][c-][d-]$/) fail("bad state: " $0)
        for (i = 3; i <= 18; i++)
            if (i != 7 && $i !~ /^[0-9]+(\.[0-9])?$/) fail("bad field " i ": " $0)
        if ($7 != "nolimit" && $7 !~ /^[0-9]+$/) fail("bad MAXMEM(k): " $0)
        if ($5 <= 0 || $9 < 1) fail("no memory or no vCPU: " $0)
        if ($1 == "Domain-0") d0[t] = 1
        if ($1 == want) { g[t] = 1; gmem = $5; gcpu = $3 }
    }
    END {
        if (bad) exit 1
        if (t != ntab) { print t " tables, want " ntab; exit 1 }
        for (i = 1; i <= t; i++)
            if (!d0[i] || !g[i]) { print "table " i " lacks Domain-0 or " want; exit 1 }
        print t " tables, " want " MEM(k)=" gmem " CPU(sec)=" gcpu
    }' "$1"
}

top_batch_check() {
    local name=$1 out rc
    xenia top -b -i 2 -d 1 > /tmp/top-batch.out 2> /tmp/top-batch.err
    rc=$?
    sed 's/^/top-batch| /' /tmp/top-batch.out
    if [ $rc != 0 ]; then
        result top-batch FAIL "exit $rc: $(head -n 2 /tmp/top-batch.err | tr '\n' ' ')"
        return
    fi
    if out=$(top_table_check /tmp/top-batch.out "$name" 2); then
        result top-batch PASS "$out"
    else
        result top-batch FAIL "$out"
    fi
}

top_json_check() {
    local name=$1 rc v n domid
    domid=$(xenia domid "$name" 2>/dev/null)
    xenia top -b -i 2 -d 1 --json > /tmp/top-json.out 2> /tmp/top-json.err
    rc=$?
    cut -c1-300 /tmp/top-json.out | sed 's/^/top-json| /'
    if [ $rc != 0 ]; then
        result top-json FAIL "exit $rc: $(head -n 2 /tmp/top-json.err | tr '\n' ' ')"
        return
    fi
    n=$(grep -c '^{"schema":"xenia-top/1",' /tmp/top-json.out)
    v=$(xenia top --check-json < /tmp/top-json.out 2>&1)
    rc=$?
    echo "$v" | sed 's/^/top-json-check| /'
    if [ $rc = 0 ] && [ "$n" = 2 ] &&
       echo "$v" | grep -q '^ok: 2 documents$' &&
       [ "$(echo "$v" | grep '^document ' | grep ' Domain-0:0' | grep -Ec " $name:$domid( |$)")" = 2 ]; then
        result top-json PASS "2 documents valid (xenia-top/1), Domain-0:0 and $name:$domid in both"
    else
        result top-json FAIL "exit $rc, $n schema lines: $(echo "$v" | tail -n 1)"
    fi
}

# top_col_of FILE COL: column COL (1-based, 'no limit' joined) of the rows
top_col_of() {
    grep -v '^ *NAME  *STATE' "$1" | sed 's/no limit/nolimit/' | awk -v c="$2" '{ print $c }'
}

# top_sorted FILE COL FLAGS: the rows' column COL is in sort(1) FLAGS order
top_sorted() {
    top_col_of "$1" "$2" > /tmp/top-col.a
    sort $3 /tmp/top-col.a > /tmp/top-col.b
    [ -s /tmp/top-col.a ] && cmp -s /tmp/top-col.a /tmp/top-col.b
}

top_filter_sort_check() {
    local name=$1 why= rows f
    xenia top -b -i 1 --filter "$name" > /tmp/top-f1.out 2>&1
    rows=$(top_col_of /tmp/top-f1.out 1 | tr '\n' ' ')
    [ "$rows" = "$name " ] || why="$why --filter $name gave rows '$rows';"
    xenia top -b -i 1 --filter 'Dom*-0' > /tmp/top-f2.out 2>&1
    rows=$(top_col_of /tmp/top-f2.out 1 | tr '\n' ' ')
    [ "$rows" = "Domain-0 " ] || why="$why --filter 'Dom*-0' gave rows '$rows';"
    xenia top -b -i 1 --filter 'ts.*|Domain-[0-9]+' > /tmp/top-f3.out 2>&1
    rows=$(top_col_of /tmp/top-f3.out 1 | wc -l)
    [ "$rows" -ge 2 ] || why="$why the regex filter gave $rows rows;"
    for f in "mem:5:-n -r" "mem --reverse:5:-n" "name:1:-f" "name --reverse:1:-f -r"; do
        xenia top -b -i 1 --sort ${f%%:*} > /tmp/top-s.out 2>&1
        sed "s/^/top-sort ${f%%:*}| /" /tmp/top-s.out
        f=${f#*:}
        top_sorted /tmp/top-s.out "${f%%:*}" "${f#*:}" ||
            why="$why column ${f%%:*} not in 'sort ${f#*:}' order ($(tr '\n' ' ' < /tmp/top-col.a));"
    done
    # Domain-0 (512 MiB) has more memory than the guest.
    xenia top -b -i 1 --sort mem > /tmp/top-s.out 2>&1
    rows=$(top_col_of /tmp/top-s.out 1 | tr '\n' ' ')
    case "$rows" in
    "Domain-0 "*"$name "*) ;;
    *) why="$why --sort mem gave '$rows';" ;;
    esac
    if [ -z "$why" ]; then
        result top-filter-sort PASS "filter name/glob/regex, sort mem, name (and reversed): $rows"
    else
        result top-filter-sort FAIL "$why"
    fi
}

TOP_TMUX="tmux -f /dev/null -L xenia-top"

# top_wait_pane PATTERN: poll the pane (at most 120 s) until a line
# matches the grep -E PATTERN; the capture is left in /tmp/top-pane.
top_wait_pane() {
    local i=0
    while [ $i -lt 240 ]; do
        $TOP_TMUX capture-pane -p -t xtop > /tmp/top-pane 2>/dev/null &&
            grep -Eq "$1" /tmp/top-pane && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

# top_first_row: the first domain row's name in /tmp/top-pane
top_first_row() {
    awk 'f && NF { print $1; exit } /^ *NAME  *STATE/ { f = 1 }' /tmp/top-pane
}

top_tui_check() {
    local name=$1 why= first i
    [ -c /dev/ptmx ] || mknod /dev/ptmx c 5 2
    if ! grep -q ' /dev/pts ' /proc/mounts; then
        mkdir -p /dev/pts
        mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
    fi
    if ! command -v tmux > /dev/null; then
        result top-tui FAIL "no tmux in dom0's initramfs"
        return
    fi
    rm -f /tmp/top-tui.rc /tmp/top-tui.err
    if ! $TOP_TMUX new-session -d -s xtop -x 160 -y 40 \
        "TERM=screen xenia top -d 1 2> /tmp/top-tui.err; echo \$? > /tmp/top-tui.rc" \
        2> /tmp/top-tmux.err; then
        result top-tui FAIL "tmux new-session: $(head -n 2 /tmp/top-tmux.err | tr '\n' ' ')"
        return
    fi
    if ! top_wait_pane "^ *$name [-rbpscd]{6} "; then
        grep -v '^ *$' /tmp/top-pane | sed 's/^/top-tui-pane| /'
        result top-tui FAIL "no $name row on the screen ($(head -n 2 /tmp/top-tui.err 2>/dev/null | tr '\n' ' '))"
        $TOP_TMUX kill-server 2>/dev/null
        return
    fi
    grep -v '^ *$' /tmp/top-pane | sed 's/^/top-tui-pane| /'
    grep -q "^ *NAME  *STATE  *CPU(sec)  *CPU(%)  *MEM(k) .* VBD_WSECT *$" /tmp/top-pane ||
        why="$why no column header;"
    grep -q "Sort: ID ascending" /tmp/top-pane || why="$why no 'Sort: ID ascending';"
    grep -q "^q quit .*h help" /tmp/top-pane || why="$why no help line;"
    # s: sort by NAME (Domain-0 first); r: reversed (the guest first).
    $TOP_TMUX send-keys -t xtop s
    top_wait_pane "Sort: NAME ascending" || why="$why 's' did not sort by NAME;"
    first=$(top_first_row)
    [ "$first" = Domain-0 ] || why="$why NAME ascending shows '$first' first;"
    $TOP_TMUX send-keys -t xtop r
    top_wait_pane "Sort: NAME descending" || why="$why 'r' did not reverse;"
    grep -v '^ *$' /tmp/top-pane | sed 's/^/top-tui-pane| /'
    first=$(top_first_row)
    [ "$first" = "$name" ] || why="$why NAME descending shows '$first' first;"
    # q: the program ends, then the pane and the session with it.
    $TOP_TMUX send-keys -t xtop q
    i=0
    while [ $i -lt 240 ] && $TOP_TMUX has-session -t xtop 2>/dev/null; do
        sleep 0.5; i=$((i + 1))
    done
    if $TOP_TMUX has-session -t xtop 2>/dev/null; then
        why="$why the session outlived 'q';"
        $TOP_TMUX kill-server 2>/dev/null
    fi
    [ "$(cat /tmp/top-tui.rc 2>/dev/null)" = 0 ] ||
        why="$why exit status '$(cat /tmp/top-tui.rc 2>/dev/null)' after q;"
    if [ -z "$why" ]; then
        result top-tui PASS "header and $name row under tmux; s -> NAME ascending (Domain-0 first), r -> descending ($name first); q -> exit 0, session gone"
    else
        result top-tui FAIL "$why"
    fi
}

top_checks() {
    local name=$1
    if ! xenia top --help > /dev/null 2>&1; then
        for c in top-batch top-json top-filter-sort top-tui; do
            result $c FAIL "xenia has no top verb"
        done
        return
    fi
    top_batch_check "$name"
    top_json_check "$name"
    top_filter_sort_check "$name"
    top_tui_check "$name"
}
