# Scenario toolstack (sourced by dom0's /init once the store is up): the
# `xenia` CLI (dom0-tools/) does everything Xen's tools would, and none of
# them runs: dom0's own store entries, then a Linux PV guest (the Debian
# kernel and the busybox initramfs) from an xl.cfg, list, pause, unpause,
# destroy, and create/destroy cycles that must leave free memory and the
# domain count as they were.  See docs/toolstack.md.
#
# TIMEOUT: 420
# XEN-TOOLS: none
# PLANNED: xenia-present init-dom0-entries create listed pause unpause destroy cycles cycles-memory cycles-domains

TS_GUEST=tsguest
TS_CFG=/etc/xen/$TS_GUEST.cfg
# 10 cycles are the goal; one create takes ~25 s under TCG today (xz
# unpacking and one foreign mapping per page), so the default is 3 until
# the builder maps in batches: --set TS_CYCLES=10 for the full count.
TS_CYCLES=${TS_CYCLES:-3}
mkdir -p /etc/xen
cat > "$TS_CFG" <<EOC
name = "$TS_GUEST"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu.cpio.gz"
extra = "console=hvc0 ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-192}
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOC

ts_free() { xenia info 2>/dev/null | sed -n 's/^free_pages *: *//p'; }
ts_ndoms() { xenia list 2>/dev/null | tail -n +2 | grep -c .; }
ts_state() { xenia list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }

ts_evidence() {
    dump_file xenia-create /var/log/xenia-create.out 30
    dump_file store-out /var/log/store.out 30
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

    if xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1 &&
       [ "$(xenstore-read /local/domain/0/name 2>/dev/null)" = Domain-0 ]; then
        result init-dom0-entries PASS "/local/domain/0/name = Domain-0, vm $(xenstore-read /local/domain/0/vm 2>&1)"
    else
        result init-dom0-entries FAIL "$(cat /var/log/xenia-init-dom0.out)"
    fi

    free0=$(ts_free)
    n0=$(ts_ndoms)
    log "baseline: free_pages=$free0 domains=$n0"

    t0=$(now_ms)
    if ! xenia create "$TS_CFG" > /var/log/xenia-create.out 2>&1; then
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

    xenia pause "$TS_GUEST"
    st=$(ts_state "$TS_GUEST")
    case "$st" in
    *p*) result pause PASS "state $st" ;;
    *) result pause FAIL "state '$st' after pause" ;;
    esac
    xenia unpause "$TS_GUEST"
    st=$(ts_state "$TS_GUEST")
    case "$st" in
    *p*) result unpause FAIL "state '$st' after unpause" ;;
    *) result unpause PASS "state $st" ;;
    esac

    if xenia destroy "$TS_GUEST" && ! xenia domid "$TS_GUEST" > /dev/null 2>&1 &&
       ! xenstore-exists /local/domain/$domid 2>/dev/null; then
        result destroy PASS "gone from list and store"
    else
        result destroy FAIL "still there: $(xenia list 2>&1 | tr '\n' ' ')"
        ts_evidence
    fi

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
    for i in 1 2 3 4 5 6 7 8 9 10; do
        free1=$(ts_free)
        [ "${free1:-0}" -ge "${free0:-1}" ] && break
        sleep 0.5
    done
    check cycles-memory "free_pages $free0 before, $free1 after" \
        [ "${free1:-0}" -ge "${free0:-1}" ]
    n1=$(ts_ndoms)
    check cycles-domains "domains $n0 before, $n1 after" [ "$n1" = "$n0" ]
}

ts_run
