# Scenario toolstack (sourced by dom0's /init once the store is up): the
# `xenia` CLI (dom0-tools/) does everything Xen's tools would, and none of
# them runs: dom0's own store entries, then a Linux PV guest (the Debian
# kernel and the busybox initramfs) from an xl.cfg, list, pause, unpause,
# destroy, and create/destroy cycles that must leave free memory and the
# domain count as they were; the same guest from libvirt XML; reboot,
# mem-set, vcpu-list, uptime, rename, dmesg; bad images that must leave
# nothing behind.  xenia-consoled serves the guests' consoles
# (instead of xenconsoled): the guest's output reaches its log file and
# `xenia console`.  See docs/toolstack.md.
#
# TIMEOUT: 900
# XEN-TOOLS: none
# EXTRA-IMAGE: locale   (C.UTF-8: tmux needs it for xenia top's top-tui check)
# PLANNED: xenia-present xenia-consoled init-dom0-entries create listed pause pause-cputime unpause console-init console-attach top-batch top-json top-filter-sort top-tui vcpu-list uptime mem-set rename dmesg reboot on-crash shutdown-wait create-xml destroy bad-image-no-leftovers cycles cycles-memory cycles-domains cycles-store

TS_GUEST=tsguest
TS_CFG=/etc/xen/$TS_GUEST.cfg
# 10 cycles are the goal (--set TS_CYCLES=10); make check runs 3 to stay
# within its time budget under TCG.  The TIMEOUT leaves room for 10 on a
# loaded machine (Xenia, 10 cycles: 401 s with other QEMUs running).
TS_CYCLES=${TS_CYCLES:-3}
TS_LOG=/var/log/xenia/console/guest-$TS_GUEST.log
mkdir -p /etc/xen

# The domU initramfs plus one file: /sbin/poweroff, which the guest
# kernel runs when dom0 writes control/shutdown (orderly_poweroff); the
# busybox image has none, so `shutdown` would go unanswered.  The kernel
# unpacks concatenated archives in order.
ts_ramdisk() {
    local d=/tmp/ts-extra
    rm -rf $d; mkdir -p $d/sbin
    printf '#!/bin/sh\necho "XENIA-DOMU: poweroff requested"\nexec /bin/busybox poweroff -f\n' > $d/sbin/poweroff
    chmod 755 $d/sbin/poweroff
    if (cd $d && echo sbin/poweroff | cpio -o -H newc 2>/dev/null | gzip) > /tmp/ts-extra.cpio.gz &&
       [ -s /tmp/ts-extra.cpio.gz ]; then
        cat /boot/domu.cpio.gz /tmp/ts-extra.cpio.gz > /tmp/ts-domu.cpio.gz
        echo /tmp/ts-domu.cpio.gz
    else
        echo /boot/domu.cpio.gz
    fi
}
TS_RAMDISK=$(ts_ramdisk)
cat > "$TS_CFG" <<EOC
name = "$TS_GUEST"
kernel = "/boot/vmlinuz"
ramdisk = "$TS_RAMDISK"
extra = "console=hvc0 sysrq_always_enabled ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-192}
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOC

# The same guest as libvirt domain XML (create-xml).
cat > "/etc/xen/$TS_GUEST.xml" <<EOX
<domain type='xen'>
  <name>$TS_GUEST</name>
  <memory unit='MiB'>${GUEST_MEM:-192}</memory>
  <vcpu>1</vcpu>
  <os>
    <type>linux</type>
    <kernel>/boot/vmlinuz</kernel>
    <initrd>$TS_RAMDISK</initrd>
    <cmdline>console=hvc0 sysrq_always_enabled ${GUEST_EXTRA:-}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <console type='pty'/>
  </devices>
</domain>
EOX

ts_free() { xenia info 2>/dev/null | sed -n 's/^free_pages *: *//p'; }
ts_ndoms() { xenia list 2>/dev/null | tail -n +2 | grep -c .; }
ts_state() { xenia list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }
ts_cpu() { xenia list -l "$1" 2>/dev/null | sed -n 's/.*"cpu_time_ns": \([0-9]*\).*/\1/p'; }
ts_dom0kb() { xenia list -l 0 2>/dev/null | sed -n 's/.*"mem_kb": \([0-9]*\).*/\1/p'; }
# Until no dying domain is left and free_pages stops moving (or reaches
# $1): sets free1.  At most 10 s.
ts_settle() {
    local i prev=
    for i in $(seq 1 20); do
        free1=$(ts_free)
        [ -n "${1:-}" ] && [ "${free1:-0}" -ge "$1" ] && return
        [ -z "${1:-}" ] && [ "$(ts_ndoms)" = "$n0" ] &&
            [ "$free1" = "$prev" ] && return
        prev=$free1
        sleep 0.5
    done
}
# Wait (at most $2 half-seconds) until the guest's console log has $1.
ts_wait_log() {
    local i=0
    while [ $i -lt "$2" ]; do
        grep -q "$1" "$TS_LOG" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

# How many times the guest's console log shows its /init marker.
ts_inits() { grep -c "XENIA-DOMU: init reached" "$TS_LOG" 2>/dev/null || echo 0; }
# Wait (at most $2 half-seconds) until the marker count exceeds $1.
ts_wait_inits() {
    local i=0
    while [ $i -lt "$2" ]; do
        [ "$(ts_inits)" -gt "$1" ] && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

ts_evidence() {
    dump_file xenia-create /var/log/xenia-create.out 30
    dump_file store-out /var/log/store.out 30
    dump_file consoled /var/log/xenia-consoled.out 30
    dump_file monitor /var/log/xenia/monitor-$TS_GUEST.log 20
    dump_file guest-console "$TS_LOG" 40
    echo "---- xenia list ----"
    xenia list 2>&1 | sed 's/^/list| /'
    echo "---- xenstore-ls -f /local/domain ----"
    xenstore-ls -f /local/domain 2>&1 | head -n 60 | sed 's/^/xs| /'
}

ts_run() {
    local t0 domid st free0 n0 free1 n1 i ok v

    if ! command -v xenia > /dev/null; then
        result xenia-present FAIL "no xenia in the initramfs (make -C dom0-tools)"
        return
    fi
    result xenia-present PASS "$(command -v xenia)"

    # The store maps each guest's store ring through gntdev.  The
    # hypervisor keeps a grant-mapping table (maptrack) for dom0 that
    # grows by a page when a mapping needs one and is only freed with
    # dom0: Xenia keeps one per domain, Xen 4.17 one per vCPU that
    # mapped.  With the store on one CPU the table stops growing after
    # the first guest on both, and the cycles can be compared exactly.
    spid=$(cat /run/xenstored.pid 2>/dev/null)
    if [ -n "$spid" ] && { taskset -a -p 1 "$spid" || taskset -p 1 "$spid"; } > /dev/null 2>&1; then
        log "store (pid $spid) pinned to dom0's CPU 0"
    else
        log "store not pinned (pid '$spid')"
    fi

    # The console daemon, before any guest exists.
    if command -v xenia-consoled > /dev/null; then
        xenia-consoled -v -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    else
        xenia consoled -v -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    fi
    sleep 0.5
    if [ -S /run/xenia/consoled.sock ] &&
       kill -0 "$(cat /run/xenia-consoled.pid 2>/dev/null)" 2>/dev/null; then
        result xenia-consoled PASS "pid $(cat /run/xenia-consoled.pid), socket /run/xenia/consoled.sock"
    else
        result xenia-consoled FAIL "$(tail -n 3 /var/log/xenia-consoled.out | tr '\n' ' ')"
    fi

    if xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1 &&
       [ "$(xenstore-read /local/domain/0/name 2>/dev/null)" = Domain-0 ]; then
        result init-dom0-entries PASS "/local/domain/0/name = Domain-0, vm $(xenstore-read /local/domain/0/vm 2>&1)"
    else
        result init-dom0-entries FAIL "$(cat /var/log/xenia-init-dom0.out)"
    fi

    free0=$(ts_free)
    n0=$(ts_ndoms)
    kb0=$(ts_dom0kb)
    log "baseline: free_pages=$free0 domains=$n0 dom0_kb=$kb0 ramdisk=$TS_RAMDISK"

    t0=$(now_ms)
    if ! xenia create "$TS_CFG" 'on_crash="restart"' > /var/log/xenia-create.out 2>&1; then
        result create FAIL "$(tail -n 3 /var/log/xenia-create.out | tr '\n' ' ')"
        ts_evidence
        return
    fi
    domid=$(xenia domid "$TS_GUEST" 2>&1)
    case "$domid" in
    ''|*[!0-9]*) result create FAIL "xenia domid $TS_GUEST gave '$domid'"
                 ts_evidence; return ;;
    esac
    result create PASS "domid=$domid in $(( $(now_ms) - t0 )) ms"

    xenia list | sed 's/^/list| /'
    xenia list | grep -q "^$TS_GUEST  *$domid " &&
        v=$(xenstore-read /local/domain/$domid/name 2>&1)
    check listed "xenia list shows $TS_GUEST as $domid, store name '${v:-}'" \
        [ "${v:-}" = "$TS_GUEST" ]

    # Paused while it boots (it is busy): its CPU time must stand still.
    xenia pause "$TS_GUEST"
    st=$(ts_state "$TS_GUEST")
    case "$st" in
    *p*) result pause PASS "state $st" ;;
    *) result pause FAIL "state '$st' after pause" ;;
    esac
    c1=$(ts_cpu "$TS_GUEST"); sleep 1; c2=$(ts_cpu "$TS_GUEST")
    xenia unpause "$TS_GUEST"
    st=$(ts_state "$TS_GUEST")
    case "$st" in
    *p*) result unpause FAIL "state '$st' after unpause" ;;
    *) result unpause PASS "state $st" ;;
    esac
    sleep 1; c3=$(ts_cpu "$TS_GUEST")
    check pause-cputime "cpu_time_ns $c1 -> $c2 over 1 s paused, $c3 after 1 s unpaused" \
        [ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "${c3:-0}" -gt "${c2:-0}" ]

    # Its console reaches /init (the busybox image's marker).
    if ts_wait_log "XENIA-DOMU: init reached" 360; then
        result console-init PASS "$(grep -m1 'XENIA-DOMU: init reached' "$TS_LOG" | tr -d '\r') in $TS_LOG"
    else
        result console-init FAIL "no /init marker in $TS_LOG ($(wc -c < "$TS_LOG" 2>/dev/null) bytes)"
        ts_evidence
    fi
    # xenia console: the buffered output, then Ctrl-] detaches (exit 0).
    ts_wait_log "XENIA-DOMU: done" 60
    (sleep 2; printf '\035') | xenia console "$TS_GUEST" > /tmp/ts-console.out 2>&1
    rc=$?
    check console-attach "exit $rc after Ctrl-], $(wc -c < /tmp/ts-console.out) bytes, $(grep -c 'XENIA-DOMU:' /tmp/ts-console.out) marker lines" \
        [ $rc = 0 ] && grep -q "XENIA-DOMU: init reached" /tmp/ts-console.out

    # xenia top while the guest runs: the checks top-batch, top-json,
    # top-filter-sort and top-tui live in toolstack-top.sh (function
    # top_checks NAME).
    if [ -f /scenarios/toolstack-top.sh ]; then
        . /scenarios/toolstack-top.sh
        top_checks "$TS_GUEST"
    fi

    # The verbs that look at or adjust a running guest.
    domid=$(xenia domid "$TS_GUEST" 2>/dev/null)
    xenia vcpu-list "$TS_GUEST" > /tmp/ts-vcpu.out 2>&1
    rc=$?
    sed 's/^/vcpu-list| /' /tmp/ts-vcpu.out
    xenia vcpu-set "$TS_GUEST" 1 > /tmp/ts-vcpuset.out 2>&1; r1=$?
    xenia vcpu-set "$TS_GUEST" 2 >> /tmp/ts-vcpuset.out 2>&1; r2=$?
    v=$(xenstore-read /local/domain/$domid/cpu/0/availability 2>&1)
    ok=0
    [ $rc = 0 ] && grep -Eq "^$TS_GUEST +$domid +0 " /tmp/ts-vcpu.out &&
        [ $r1 = 0 ] && [ $r2 = 1 ] && [ "$v" = online ] && ok=1
    check vcpu-list "exit $rc, $(grep -E "^$TS_GUEST " /tmp/ts-vcpu.out | tr -s ' ' | head -n 1); vcpu-set 1: exit $r1 (cpu/0 $v), vcpu-set 2 over maxvcpus: exit $r2" \
        [ $ok = 1 ]

    v=$(xenia uptime "$TS_GUEST" 2>&1 | tail -n 1)
    xenia uptime | sed 's/^/uptime| /'
    ok=0
    echo "$v" | grep -Eq "^$TS_GUEST +$domid +[0-9]+:[0-9]{2}:[0-9]{2}\$" && ok=1
    check uptime "'$(echo "$v" | tr -s ' ')'; start_time $(xenstore-read "$(xenstore-read /local/domain/$domid/vm)/start_time" 2>&1)" \
        [ $ok = 1 ]

    # mem-set below memory: the target is written; whether the balloon
    # followed is reported, not required.
    xenia mem-set "$TS_GUEST" 160m > /tmp/ts-memset.out 2>&1
    rc=$?
    v=$(xenstore-read /local/domain/$domid/memory/target 2>&1)
    xenia mem-set "$TS_GUEST" 4g > /tmp/ts-memset2.out 2>&1
    r2=$?
    ok=0
    [ $rc = 0 ] && [ "$v" = 163840 ] && grep -q "target 163840 KiB, actual" /tmp/ts-memset.out &&
        [ $r2 = 1 ] && ok=1
    check mem-set "exit $rc, memory/target $v: $(tr '\n' ' ' < /tmp/ts-memset.out); above static-max: exit $r2" \
        [ $ok = 1 ]

    # rename and back; a taken name is refused.
    xenia rename "$TS_GUEST" "$TS_GUEST-renamed" > /tmp/ts-rename.out 2>&1
    rc=$?
    d2=$(xenia domid "$TS_GUEST-renamed" 2>/dev/null)
    vmname=$(xenstore-read "$(xenstore-read /local/domain/$domid/vm 2>/dev/null)/name" 2>&1)
    xenia domid "$TS_GUEST" > /dev/null 2>&1; r2=$?
    xenia rename "$TS_GUEST-renamed" Domain-0 >> /tmp/ts-rename.out 2>&1; r3=$?
    xenia rename "$TS_GUEST-renamed" "$TS_GUEST" >> /tmp/ts-rename.out 2>&1; r4=$?
    d3=$(xenia domid "$TS_GUEST" 2>/dev/null)
    ok=0
    [ $rc = 0 ] && [ "$d2" = "$domid" ] && [ "$vmname" = "$TS_GUEST-renamed" ] &&
        [ $r2 = 3 ] && [ $r3 = 1 ] && [ $r4 = 0 ] && [ "$d3" = "$domid" ] && ok=1
    check rename "renamed: exit $rc, domid $d2, /vm name $vmname, old name exit $r2; to Domain-0: exit $r3; back: exit $r4, domid $d3" \
        [ $ok = 1 ]

    xenia dmesg > /tmp/ts-dmesg.out 2>&1
    rc=$?
    check dmesg "exit $rc, $(wc -c < /tmp/ts-dmesg.out) bytes, last line: $(grep . /tmp/ts-dmesg.out | tail -n 1 | cut -c1-80)" \
        [ $rc = 0 ] && [ -s /tmp/ts-dmesg.out ]

    # reboot -w: the monitor restarts it (on_reboot=restart) under a new
    # domid, and it reaches /init again.
    d1=$(xenia domid "$TS_GUEST" 2>/dev/null)
    k=$(ts_inits)
    t0=$(now_ms)
    xenia reboot -w "$TS_GUEST" > /tmp/ts-reboot.out 2>&1
    rc=$?
    d2=$(xenia domid "$TS_GUEST" 2>/dev/null)
    ts_wait_inits "$k" 360
    k2=$(ts_inits)
    ok=0
    [ $rc = 0 ] && [ -n "$d2" ] && [ "$d2" != "$d1" ] && [ "$k2" -gt "$k" ] && ok=1
    check reboot "exit $rc in $(( $(now_ms) - t0 )) ms: $(tr '\n' ' ' < /tmp/ts-reboot.out) domid $d1 -> ${d2:-none}, /init markers $k -> $k2" \
        [ $ok = 1 ]
    [ $ok = 1 ] || ts_evidence
    ts_wait_log "XENIA-DOMU: done" 60
    domid=$(xenia domid "$TS_GUEST" 2>/dev/null)

    # on_crash (the guest was created with on_crash="restart"): crashed
    # through its console (^O c: the hvc driver's SysRq, enabled by
    # sysrq_always_enabled); the monitor `create` forked restarts it.
    d1=$domid
    (printf '\017c'; sleep 1; printf '\035') | xenia console "$TS_GUEST" > /dev/null 2>&1
    d2=$d1
    for i in $(seq 1 120); do
        d2=$(xenia domid "$TS_GUEST" 2>/dev/null)
        [ -n "$d2" ] && [ "$d2" != "$d1" ] && break
        sleep 0.5
    done
    v=$(grep -E "shut down|restarted" /var/log/xenia/monitor-$TS_GUEST.log 2>/dev/null | tail -n 2 | cut -c10- | tr '\n' ';')
    check on-crash "domain $d1 crashed, now ${d2:-none}; monitor: $v" \
        [ -n "$d2" ] && [ "$d2" != "$d1" ] && echo "$v" | grep -q "crash; action restart"

    # shutdown -w (the restarted guest, or a new one): it powers off and
    # the monitor applies on_poweroff=destroy.
    xenia domid "$TS_GUEST" > /dev/null 2>&1 ||
        xenia create "$TS_CFG" > /var/log/xenia-create.out 2>&1
    if xenia shutdown -w "$TS_GUEST" > /var/log/xenia-shutdown.out 2>&1 &&
       ! xenia domid "$TS_GUEST" > /dev/null 2>&1; then
        result shutdown-wait PASS "the guest powered off (control/shutdown), on_poweroff=destroy applied"
    else
        result shutdown-wait FAIL "$(cat /var/log/xenia-shutdown.out | tr '\n' ' ') state $(ts_state "$TS_GUEST")"
        xenia destroy "$TS_GUEST" 2>/dev/null
    fi

    # The same guest from libvirt XML: it boots to /init; then destroy.
    k=$(ts_inits)
    t0=$(now_ms)
    if xenia create "/etc/xen/$TS_GUEST.xml" > /var/log/xenia-create.out 2>&1 &&
       ts_wait_inits "$k" 360; then
        result create-xml PASS "$(head -n 1 /var/log/xenia-create.out); /init reached in $(( $(now_ms) - t0 )) ms"
    else
        result create-xml FAIL "$(tail -n 3 /var/log/xenia-create.out | tr '\n' ' ') /init markers $k -> $(ts_inits)"
        ts_evidence
        xenia domid "$TS_GUEST" > /dev/null 2>&1 ||
            xenia create -p "$TS_CFG" > /var/log/xenia-create.out 2>&1
    fi
    domid=$(xenia domid "$TS_GUEST" 2>&1)
    if xenia destroy "$TS_GUEST" && ! xenia domid "$TS_GUEST" > /dev/null 2>&1 &&
       ! xenstore-exists /local/domain/$domid 2>/dev/null; then
        result destroy PASS "domain $domid gone from list and store"
    else
        result destroy FAIL "still there: $(xenia list 2>&1 | tr '\n' ' ')"
        ts_evidence
    fi

    # Bad images (and a guest too big for the host's memory, which fails
    # inside the build): each fails with its message and leaves no domain
    # and no store node behind.
    xenstore-ls -f /local/domain 2>&1 | sort > /tmp/ts-xs-before
    nb=$(ts_ndoms)
    bi=/tmp/ts-bad
    rm -rf $bi; mkdir -p $bi
    : > $bi/empty.img
    head -c 65536 /dev/urandom | sed 's/^\x7fELF/XELF/' > $bi/random.img
    head -c 4096 /boot/vmlinuz > $bi/truncated.img
    bad=
    for c in "kernel=\"$bi/empty.img\"|not an ELF kernel nor a Linux bzImage" \
             "kernel=\"$bi/random.img\"|not an ELF kernel nor a Linux bzImage" \
             "kernel=\"$bi/truncated.img\"|bzImage payload" \
             "ramdisk=\"$bi/none.img\"|No such file or directory" \
             "memory=100000|failed"; do
        o=${c%%|*}; want=${c#*|}
        xenia create "$TS_CFG" "$o" > $bi/out 2>&1
        rc=$?
        head -n 1 $bi/out | sed 's/^/bad-image| /'
        { [ $rc = 1 ] && grep -q "$want" $bi/out; } || bad="$bad [$o: exit $rc, $(head -n 1 $bi/out)]"
    done
    xenstore-ls -f /local/domain 2>&1 | sort > /tmp/ts-xs-after
    na=$(ts_ndoms)
    ok=0
    [ -z "$bad" ] && [ "$na" = "$nb" ] && cmp -s /tmp/ts-xs-before /tmp/ts-xs-after && ok=1
    check bad-image-no-leftovers "5 failing creates;${bad:- each with its message;} domains $nb -> $na, /local/domain $(wc -l < /tmp/ts-xs-before) -> $(wc -l < /tmp/ts-xs-after) nodes$(cmp -s /tmp/ts-xs-before /tmp/ts-xs-after || echo ' (changed)')" \
        [ $ok = 1 ]
    [ $ok = 1 ] || diff /tmp/ts-xs-before /tmp/ts-xs-after 2>&1 | head -n 20 | sed 's/^/xs-diff| /'

    # The first guest leaves dom0's maptrack grown for good (the store's
    # first grant mapping: one page, see above): the cycles are measured
    # from here, once the first guest is gone and memory has settled.
    ts_settle
    freeA=$free1
    # The store's paths before the cycles (values such as dom0's memory
    # target may move; the paths may not).
    xenstore-ls -f / 2>/dev/null | sed 's/ = .*//' | sort > /tmp/ts-store-before
    log "after the first guest: free_pages=$freeA (boot baseline $free0, $((free0 - freeA)) pages kept), dom0_kb=$(ts_dom0kb)"

    ok=0
    t0=$(now_ms)
    for i in $(seq 1 "$TS_CYCLES"); do
        if ! xenia create -p "$TS_CFG" > /var/log/xenia-create.out 2>&1; then
            ok=$i; break
        fi
        xenia destroy "$TS_GUEST" || { ok=$i; break; }
    done
    if [ $ok = 0 ]; then
        result cycles PASS "$TS_CYCLES create/destroy cycles in $(( $(now_ms) - t0 )) ms"
    else
        result cycles FAIL "cycle $ok failed: $(tail -n 2 /var/log/xenia-create.out | tr '\n' ' ')"
        ts_evidence
    fi
    # Freed pages come back asynchronously: give them a few seconds.
    ts_settle "$freeA"
    kb1=$(ts_dom0kb)
    check cycles-memory "free_pages $freeA before the cycles, $free1 after; dom0 $kb0 kB before, $kb1 kB after" \
        [ "${free1:-0}" -ge "${freeA:-1}" ]
    log "after: free_pages=$free1 dom0_kb=$kb1 (before $kb0)"
    xenia list -l | sed 's/^/list-l| /'
    tail -n 20 /var/log/xenia-consoled.out | sed 's/^/consoled| /'
    n1=$(ts_ndoms)
    check cycles-domains "domains $n0 before, $n1 after" [ "$n1" = "$n0" ]
    xenstore-ls -f / 2>/dev/null | sed 's/ = .*//' | sort > /tmp/ts-store-after
    v=$(diff /tmp/ts-store-before /tmp/ts-store-after | grep '^[<>]' | head -n 5 | tr '\n' ' ')
    check cycles-store "$(wc -l < /tmp/ts-store-before) store paths before the cycles, $(wc -l < /tmp/ts-store-after) after${v:+; differ: $v}" \
        [ -s /tmp/ts-store-before ] && [ -z "$v" ]
}

ts_run
