# Scenario store-guest (sourced by dom0's /init once the store, xen-init-dom0
# and xenconsoled are up): a Linux PV guest's xenbus talks to the store over
# its ring, its console comes up, and destroying it fires @releaseDomain and
# removes its nodes.
#
# TIMEOUT: 180
# PLANNED: xl-create xenbus-connected guest-node-visible guest-reads-own-nodes console-up xl-destroy release-domain nodes-gone

GUEST=guest1
CFG=/etc/xen/$GUEST.cfg
CONLOG=/var/log/xen/console/guest-$GUEST.log
cat > "$CFG" <<EOF
name = "$GUEST"
type = "pv"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu.cpio.gz"
extra = "console=hvc0 ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-192}
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOF

sg_evidence() {
    dump_file xl-create /var/log/xl-create.out 40
    dump_file guest-console "$CONLOG" 40
    dump_file store-out /var/log/store.out 40
    dump_file store-trace /var/log/store.trace 80
    dump_file xenconsoled /var/log/xenconsoled.out 20
    echo "---- xenstore-ls -f /local/domain ----"
    xenstore-ls -f /local/domain 2>&1 | head -n 80 | sed 's/^/xs| /'
}

sg_run() {
    local t0 t1 domid dpath v n ok
    t0=$(now_ms)
    if ! xl create "$CFG" > /var/log/xl-create.out 2>&1; then
        result xl-create FAIL "xl create exited non-zero"
        sg_evidence
        return
    fi
    domid=$(xl domid "$GUEST" 2>/dev/null)
    t1=$(now_ms)
    case "$domid" in
    ''|*[!0-9]*) result xl-create FAIL "xl domid $GUEST gave '$domid'"
                 sg_evidence; return ;;
    esac
    result xl-create PASS "domid=$domid in $((t1 - t0)) ms"
    dpath=/local/domain/$domid

    # The guest writes data/done last, after its own reads and writes.
    if wait_for_node "$dpath/data/done" "${GUEST_WAIT:-120}"; then
        result xenbus-connected PASS \
            "guest wrote $dpath/data/done $(( $(now_ms) - t0 )) ms after xl create"
    else
        result xenbus-connected FAIL \
            "no $dpath/data/done within ${GUEST_WAIT:-120} s of xl create"
        sg_evidence
    fi

    v=$(xenstore-read "$dpath/data/hello" 2>&1)
    check guest-node-visible "dom0 reads $dpath/data/hello='$v'" [ "$v" = world ]

    v=$(xenstore-read "$dpath/data/readback" 2>&1)
    n=$(xenstore-read "$dpath/data/seen-name" 2>&1)
    check guest-reads-own-nodes "guest read back '$v', its name '$n'" \
        [ "$v" = world -a "$n" = "$GUEST" ]

    # xenconsoled writes the log as the ring drains; give it a few seconds.
    ok=1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        grep -q 'XENIA-DOMU: done' "$CONLOG" 2>/dev/null && { ok=0; break; }
        sleep 1
    done
    if [ $ok = 0 ] && grep -q 'XENIA-DOMU: init reached' "$CONLOG"; then
        result console-up PASS "$(grep -c . "$CONLOG") lines in $CONLOG"
    else
        result console-up FAIL "guest markers missing from $CONLOG"
        dump_file guest-console "$CONLOG" 40
    fi
    if [ "${SHOW_GUEST_CONSOLE:-0}" = 1 ]; then
        sed 's/^/domU| /' "$CONLOG" 2>/dev/null
    else
        grep 'XENIA-DOMU:' "$CONLOG" 2>/dev/null | sed 's/^/domU| /'
    fi

    # @releaseDomain: the watch fires once at registration, then on release.
    rm -f /tmp/release.out
    xenstore-watch -n 2 @releaseDomain > /tmp/release.out 2>&1 &
    local wpid=$! i=0
    while [ "$(grep -c . /tmp/release.out 2>/dev/null)" -lt 1 ] && [ $i -lt 50 ]; do
        sleep 0.2; i=$((i + 1))
    done
    t0=$(now_ms)
    if xl destroy "$GUEST" > /var/log/xl-destroy.out 2>&1; then
        result xl-destroy PASS "in $(( $(now_ms) - t0 )) ms"
    else
        result xl-destroy FAIL "xl destroy exited non-zero: $(head -c 300 /var/log/xl-destroy.out)"
    fi
    i=0
    while kill -0 $wpid 2>/dev/null && [ $i -lt 150 ]; do
        sleep 0.2; i=$((i + 1))
    done
    n=$(grep -c '@releaseDomain' /tmp/release.out 2>/dev/null)
    if [ "$n" -ge 2 ]; then
        result release-domain PASS "watch fired at registration and on release"
    else
        kill $wpid 2>/dev/null
        result release-domain FAIL "@releaseDomain events seen: ${n:-0} (want 2: registration + release)"
        dump_file release-watch /tmp/release.out 10
        dump_file store-trace /var/log/store.trace 60
    fi

    if xenstore-exists "$dpath" 2>/dev/null; then
        result nodes-gone FAIL "$dpath still exists after xl destroy"
        xenstore-ls -f "$dpath" 2>&1 | head -n 20 | sed 's/^/xs| /'
    elif xl domid "$GUEST" > /dev/null 2>&1; then
        result nodes-gone FAIL "xl still lists $GUEST"
    else
        result nodes-gone PASS "$dpath removed, xl no longer lists $GUEST"
    fi
}

sg_run
