# Scenario cycles (issue 12's reliability figure "1000 create/destroy
# cycles, with free frames and xenstore unchanged"): the xenia CLI creates
# and destroys a tiny PV guest (tests/guests/cycler, a few pages of code
# that print one line to their console) CYCLES times.  Each cycle waits
# for the guest's own console line (it really ran), then ends it: odd
# cycles with `xenia destroy` while the guest sleeps, even cycles let the
# guest power itself off and the monitor `create` forked apply
# on_poweroff=destroy.  After one warm-up cycle of each kind the
# baseline is taken: free pages (xenia info), the whole store (xenstore-ls
# -f, paths and values), the store's node count (CONTROL memreport),
# xenia-stored's RSS, xenia-consoled's open files and privcmd mappings,
# the xenia processes; after the loop all must be as they were (the
# store's RSS within 2 MiB).  Figures: BENCH lines (cycles_*), see
# docs/security.md.  The guest image reaches dom0 through run.sh's
# build/integration/overlay-cycles/ (make soak-cycles copies it).
#
# TIMEOUT: 900
# XEN-TOOLS: none
# PLANNED: cycler-image warmup cycles cycles-domains cycles-memory cycles-store cycles-store-nodes cycles-store-rss cycles-consoled cycles-processes

CYCLES=${CYCLES:-20}
CY_GUEST=cycler
CY_CFG=/etc/xen/$CY_GUEST.cfg
CY_LOG=/var/log/xenia/console/guest-$CY_GUEST.log

cy_free() { xenia info 2>/dev/null | sed -n 's/^free_pages *: *//p'; }
cy_ndoms() { xenia list 2>/dev/null | tail -n +2 | grep -c .; }
cy_rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
cy_nodes() { xenstore-control memreport 2>/dev/null | sed -n 's/^nodes: *//p'; }
cy_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
cy_maps() { grep -c privcmd "/proc/$1/maps" 2>/dev/null; }
# xenia processes (consoled and the monitors create forks), by command line.
cy_procs() {
    local p n=0
    for p in /proc/[0-9]*; do
        tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q '^xenia' && n=$((n + 1))
    done
    echo $n
}
# The whole store, path = value, sorted.
cy_store() { xenstore-ls -f / 2>/dev/null | sort; }

# Wait (at most $2 seconds by the clock: a loaded host makes each poll
# slow) until the console log has $1.
cy_wait_line() {
    local end=$(( $(now_ms) + $2 * 1000 ))
    while [ "$(now_ms)" -lt $end ]; do
        grep -qF "$1" "$CY_LOG" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# Wait (at most $1 seconds) until no domain named cycler is left.
cy_wait_gone() {
    local end=$(( $(now_ms) + $1 * 1000 ))
    while [ "$(now_ms)" -lt $end ]; do
        timeout 30 xenia domid "$CY_GUEST" > /dev/null 2>&1
        case $? in 0|124|143) ;; *) return 0 ;; esac   # found, or no answer
        sleep 0.1
    done
    return 1
}
# Until no dying domain is left and free pages stop moving (or reach $1):
# sets free1.  At most 20 s.
cy_settle() {
    local i prev=
    for i in $(seq 1 40); do
        free1=$(cy_free)
        [ -n "${1:-}" ] && [ "${free1:-0}" -ge "$1" ] && [ "$(cy_ndoms)" = "$n0" ] && return
        [ -z "${1:-}" ] && [ "$(cy_ndoms)" = "$n0" ] &&
            [ "$free1" = "$prev" ] && return
        prev=$free1
        sleep 0.5
    done
}

# One cycle: create (cycle $1), wait for the guest's line, end it.
# Sets cy_err on failure.
cy_cycle() {
    local i=$1 mode=wait
    [ $((i % 2)) = 0 ] && mode=poweroff
    cy_err=
    if ! timeout 120 xenia create "$CY_CFG" "extra=\"cycle=$i mode=$mode\"" > /var/log/cy-create.out 2>&1; then
        cy_err="create (exit $?; 143: no end in 120 s): $(tail -n 2 /var/log/cy-create.out | tr '\n' ' ')"
        return 1
    fi
    if ! cy_wait_line "CYCLER: up cycle=$i mode=" 120; then
        cy_err="no 'CYCLER: up cycle=$i' on the console in 120 s (state $(xenia list "$CY_GUEST" 2>&1 | tail -n 1))"
        timeout 120 xenia destroy "$CY_GUEST" > /dev/null 2>&1
        return 1
    fi
    if [ $mode = wait ]; then
        timeout 120 xenia destroy "$CY_GUEST" > /var/log/cy-destroy.out 2>&1 ||
            { cy_err="destroy (exit $?): $(tr '\n' ' ' < /var/log/cy-destroy.out)"; return 1; }
    fi
    if ! cy_wait_gone 60; then
        cy_err="mode $mode: domain still there after 60 s: $(xenia list "$CY_GUEST" 2>&1 | tail -n 1 | tr -s ' ')"
        timeout 120 xenia destroy "$CY_GUEST" > /dev/null 2>&1
        return 1
    fi
    return 0
}

cy_evidence() {
    dump_file cy-create /var/log/cy-create.out 20
    dump_file consoled /var/log/xenia-consoled.out 20
    dump_file monitor /var/log/xenia/monitor-$CY_GUEST.log 20
    dump_file guest-console "$CY_LOG" 20
    xenia list 2>&1 | sed 's/^/list| /'
}

cy_run() {
    local i t0 ms spid cpid failed=0 v
    local free0 nodes0 rss0 fds0 maps0 crss0 procs0

    if [ ! -f /boot/cycler.elf ]; then
        result cycler-image FAIL "no /boot/cycler.elf in the overlay (make -C tests/guests; tests/integration soak-cycles copies it)"
        return
    fi
    result cycler-image PASS "$(wc -c < /boot/cycler.elf) bytes, $CYCLES cycles"
    mkdir -p /etc/xen /var/log/xenia
    # As the toolstack scenario: the store on dom0's CPU 0, so dom0's
    # grant-mapping table stops growing after the first guest.
    spid=$STORE_PID
    { taskset -a -p 1 "$spid" || taskset -p 1 "$spid"; } > /dev/null 2>&1
    xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1
    xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    sleep 0.5
    cpid=$(cat /run/xenia-consoled.pid 2>/dev/null)
    cat > "$CY_CFG" <<EOC
name = "$CY_GUEST"
kernel = "/boot/cycler.elf"
memory = 16
vcpus = 1
on_poweroff = "destroy"
on_crash = "preserve"
EOC
    n0=$(cy_ndoms)

    # Warm-up: one cycle of each kind (the first guest grows dom0's
    # maptrack and the daemons' heaps for good).
    t0=$(now_ms)
    if cy_cycle -1 && cy_cycle 0; then
        result warmup PASS "a destroyed and a self-powered-off cycle in $(( $(now_ms) - t0 )) ms"
    else
        result warmup FAIL "$cy_err"
        cy_evidence
        return
    fi
    cy_settle
    free0=$free1
    cy_store > /tmp/cy-store-before
    nodes0=$(cy_nodes)
    rss0=$(cy_rss "$spid")
    crss0=$(cy_rss "$cpid")
    fds0=$(cy_fds "$cpid")
    maps0=$(cy_maps "$cpid")
    procs0=$(cy_procs)
    log "baseline: free_pages=$free0 domains=$n0 store_nodes=$nodes0 store_rss=${rss0}kB consoled rss=${crss0}kB fds=$fds0 privcmd_maps=$maps0 xenia_procs=$procs0"

    t0=$(now_ms)
    i=1
    while [ $i -le "$CYCLES" ]; do
        if ! cy_cycle $i; then
            failed=$i
            break
        fi
        if [ $((i % 100)) = 0 ]; then
            log "cycle $i: $(( ($(now_ms) - t0) / i )) ms/cycle, free_pages=$(cy_free), store nodes=$(cy_nodes) rss=$(cy_rss "$spid")kB, consoled fds=$(cy_fds "$cpid") maps=$(cy_maps "$cpid")"
        fi
        i=$((i + 1))
    done
    ms=$(( $(now_ms) - t0 ))
    done_n=$((i - 1))
    if [ $failed = 0 ]; then
        result cycles PASS "$CYCLES create/destroy cycles in $ms ms ($(( ms / CYCLES )) ms per cycle; odd: xenia destroy, even: the guest powered off)"
    else
        result cycles FAIL "cycle $failed of $CYCLES: $cy_err ($done_n done in $ms ms)"
        cy_evidence
    fi

    # Freed pages come back asynchronously.
    cy_settle "$free0"
    v=$(cy_ndoms)
    check cycles-domains "domains $n0 before, $v after" [ "$v" = "$n0" ]
    [ "$v" = "$n0" ] || xenia list 2>&1 | sed 's/^/list| /'
    check cycles-memory "free_pages $free0 before, $free1 after" \
        test -n "$free0" -a "${free1:-0}" -ge "${free0:-1}"
    cy_store > /tmp/cy-store-after
    v=$(diff /tmp/cy-store-before /tmp/cy-store-after | grep '^[<>]' | head -n 6 | cut -c1-100 | tr '\n' ' ')
    check cycles-store "$(wc -l < /tmp/cy-store-before) store nodes (path = value) before, $(wc -l < /tmp/cy-store-after) after${v:+; differ: $v}" \
        test -s /tmp/cy-store-before -a -z "$v"
    nodes1=$(cy_nodes)
    v=$(xenstore-control check 2>&1 | tr '\n' ' ')
    check cycles-store-nodes "the store's node count (CONTROL memreport) ${nodes0:-?} before, ${nodes1:-?} after; CONTROL check: ${v:-no output}" \
        test -n "$nodes0" -a "$nodes0" = "$nodes1"
    rss1=$(cy_rss "$spid")
    check cycles-store-rss "store pid $spid RSS ${rss0:-?} kB before, ${rss1:-?} kB after (bound: +2048 kB)" \
        test -n "$rss1" -a "${rss1:-0}" -le $(( ${rss0:-0} + 2048 ))
    crss1=$(cy_rss "$cpid")
    fds1=$(cy_fds "$cpid")
    maps1=$(cy_maps "$cpid")
    check cycles-consoled "xenia-consoled pid $cpid: open files $fds0 -> $fds1, privcmd mappings $maps0 -> $maps1, RSS $crss0 -> $crss1 kB" \
        test -n "$crss1" -a "$fds1" = "$fds0" -a "$maps1" = "$maps0"
    procs1=$(cy_procs)
    check cycles-processes "xenia processes (consoled, monitors) $procs0 before, $procs1 after" \
        [ "$procs1" = "$procs0" ]

    # Figures (run.sh collects BENCH lines into logs/NAME.bench).
    echo "BENCH: cycles_done count $done_n"
    [ "$done_n" -gt 0 ] &&
        echo "BENCH: cycles_seconds_per_cycle s $(awk -v m="$ms" -v n="$done_n" 'BEGIN { printf "%.3f", m / n / 1000 }')"
    echo "BENCH: cycles_free_pages_before pages ${free0:-0}"
    echo "BENCH: cycles_free_pages_after pages ${free1:-0}"
    echo "BENCH: cycles_store_nodes_before nodes ${nodes0:-0}"
    echo "BENCH: cycles_store_nodes_after nodes ${nodes1:-0}"
    echo "BENCH: cycles_store_rss_before kB ${rss0:-0}"
    echo "BENCH: cycles_store_rss_after kB ${rss1:-0}"
    echo "BENCH: cycles_consoled_rss_before kB ${crss0:-0}"
    echo "BENCH: cycles_consoled_rss_after kB ${crss1:-0}"
}

cy_run
