# Scenario pv-block (sourced by dom0's /init once the store is up): a Linux
# guest whose root is an ext4 image served by xenia-blkback (pv-drivers/,
# docs/pv-drivers.md).  The guest (the Debian kernel, pv-drivers' initramfs
# that loads xen-blkfront and ext4 and switch_roots to /dev/xvda) writes
# and fsyncs files and prints their checksums; it is destroyed, created
# again and finds the same checksums; then xenia-blkback is killed (-9)
# while the guest writes in a loop and started again: it takes the
# connection over and the guest finishes without an I/O error.  The
# `xenia` CLI creates the guests and xenia-consoled keeps their consoles,
# on both hypervisors; pv-drivers/tools/vbd-attach writes the disk's nodes.
# While the Linux guest runs, a hostile frontend (tests/guests/blkhostile,
# a domU with a read-write and a read-only disk) sends malformed requests
# and reports each answer (hostile-*); last it corrupts its ring's
# producer index: xenia-blkback halts that ring, stays up, and the Linux
# guest's disk still works (hostile-ring-halted, hostile-blkback-alive,
# other-guest-io).
#
# TIMEOUT: 1800
# XEN-TOOLS: none
# PLANNED: blkback-present blkback-start guest-create vbd-attach vbd-connected backend-features root-on-pv write-fsync destroy detach-after-destroy recreate data-intact stats backend-kill takeover io-continues no-io-errors hot-attach ro-refuses-write hot-detach hostile-image hostile-create hostile-done hostile-connect hostile-good-read hostile-good-read-data hostile-last-sector hostile-last-sector-data hostile-good-write hostile-write-read-back hostile-write-data hostile-beyond-end hostile-straddle-end hostile-write-beyond-end hostile-sector-wraps hostile-first-gt-last hostile-last-over-7 hostile-zero-segs hostile-too-many-segs hostile-segs-255 hostile-ungranted-read hostile-ungranted-write hostile-ref-out-of-table hostile-foreign-grant-read hostile-foreign-grant-write hostile-ro-grant-read hostile-unknown-op hostile-reserved-op hostile-ro-info hostile-ro-write hostile-ro-indirect-write hostile-ro-discard hostile-ro-read hostile-ro-data hostile-indirect-good hostile-indirect-data hostile-indirect-too-many hostile-indirect-zero hostile-indirect-bad-page hostile-indirect-bad-seg hostile-indirect-bad-op hostile-indirect-beyond-end hostile-discard-beyond-end hostile-discard-wraps hostile-read-after hostile-data-after hostile-other-ring-served hostile-corrupt-ring-silent hostile-ring-halted hostile-blkback-alive other-guest-io hostile-cleanup blkback-alive cleanup

PVB_IMG=/boot/pvb-root.img
PVB_INITRD=/boot/pvb-initrd.cpio.gz
PVB_NAME=pvb
PVB_LOG=/var/log/xenia/console/guest-$PVB_NAME.log
PVB_BLOG=/var/log/xenia-blkback.log
PVB_DEV=51712        # xvda
PVB_LOOPS=${PVB_LOOPS:-40}
PVB_BOOT_WAIT=${PVB_BOOT_WAIT:-240}     # half-seconds are counted below

pvb_cfg() {   # pvb_cfg STEPS
    mkdir -p /etc/xen
    cat > /etc/xen/$PVB_NAME.cfg <<EOC
name = "$PVB_NAME"
kernel = "/boot/vmlinuz"
ramdisk = "$PVB_INITRD"
extra = "console=hvc0 pvb=$1 pvb_loops=$PVB_LOOPS ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-192}
vcpus = 1
on_poweroff = "destroy"
on_crash = "preserve"
EOC
}

# Wait until the guest's console log has $1 (at most $2 seconds).
pvb_wait() {
    local i=0
    while [ $i -lt $(($2 * 2)) ]; do
        grep -q "$1" "$PVB_LOG" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

pvb_evidence() {
    dump_file blkback "$PVB_BLOG" 40
    dump_file guest-console "$PVB_LOG" 60
    dump_file xenia-create /var/log/xenia-create.out 20
    echo "---- xenstore-ls -f backend/vbd, device/vbd ----"
    xenstore-ls -f /local/domain/0/backend/vbd 2>&1 | head -n 60 | sed 's/^/xs| /'
    xenstore-ls -f /local/domain/$domid/device/vbd 2>&1 | head -n 30 | sed 's/^/xs| /'
    xenstore-ls -f /local/domain/0/error 2>&1 | head -n 10 | sed 's/^/xs| /'
    xenia list 2>&1 | sed 's/^/list| /'
}

pvb_blkback_start() {
    xenia-blkback -v --pidfile /run/xenia-blkback.pid 2>> "$PVB_BLOG"
    sleep 0.5
    kill -0 "$(cat /run/xenia-blkback.pid 2>/dev/null)" 2>/dev/null
}

# pvb_boot STEPS: create paused, attach the disk, unpause; sets domid.
pvb_boot() {
    domid=
    rm -f "$PVB_LOG"
    pvb_cfg "$1"
    if ! xenia create -p /etc/xen/$PVB_NAME.cfg > /var/log/xenia-create.out 2>&1; then
        echo "xenia create: $(tail -n 3 /var/log/xenia-create.out | tr '\n' ' ')"
        return 1
    fi
    domid=$(xenia domid $PVB_NAME 2>&1)
    case "$domid" in ''|*[!0-9]*) echo "xenia domid gave '$domid'"; return 1 ;; esac
    if ! vbd-attach "$domid" xvda "$PVB_IMG" > /var/log/vbd-attach.out 2>&1; then
        echo "vbd-attach: $(cat /var/log/vbd-attach.out)"
        return 1
    fi
    xenia unpause $PVB_NAME
}

# The hostile frontend's checks (its RESULT lines, blkhostile.<check>).
PVB_HCHECKS="connect good_read good_read_data last_sector last_sector_data good_write write_read_back write_data beyond_end straddle_end write_beyond_end sector_wraps first_gt_last last_over_7 zero_segs too_many_segs segs_255 ungranted_read ungranted_write ref_out_of_table foreign_grant_read foreign_grant_write ro_grant_read unknown_op reserved_op ro_info ro_write ro_indirect_write ro_discard ro_read ro_data indirect_good indirect_data indirect_too_many indirect_zero indirect_bad_page indirect_bad_seg indirect_bad_op indirect_beyond_end discard_beyond_end discard_wraps read_after data_after other_ring_served corrupt_ring_silent"
PVB_HLOG=/var/log/xenia/console/guest-blkhostile.log

pvb_hostile_fail() {    # every hostile-* result FAIL with one reason
    local c
    for c in $PVB_HCHECKS; do
        result "hostile-$(echo "$c" | tr _ -)" FAIL "$1"
    done
}

# pvb_hostile LINUX_DOMID: the hostile frontend, while the Linux guest
# (in its 'after' step) waits for xvdc.
pvb_hostile() {
    local ldom=$1 hd v c n i sum
    if [ ! -f /boot/blkhostile.elf ]; then
        result hostile-image FAIL "no /boot/blkhostile.elf (make -C pv-drivers builds tests/guests' blkhostile.elf into the overlay)"
        pvb_hostile_fail "no image"
        return
    fi
    result hostile-image PASS "$(wc -c < /boot/blkhostile.elf) bytes"
    # 1 MiB disks; markers in the first and last sectors.
    for v in rw ro; do
        dd if=/dev/zero of=/tmp/blkh-$v.img bs=64k count=16 2>/dev/null
        printf 'BLKHOSTILE-%s-0' "$(echo $v | tr a-z A-Z)" |
            dd of=/tmp/blkh-$v.img conv=notrunc 2>/dev/null
        printf 'BLKHOSTILE-END' |
            dd of=/tmp/blkh-$v.img bs=512 seek=2047 conv=notrunc 2>/dev/null
    done
    cat > /etc/xen/blkhostile.cfg <<EOC
name = "blkhostile"
kernel = "/boot/blkhostile.elf"
memory = 16
extra = "other=$ldom"
on_poweroff = "preserve"
on_crash = "preserve"
EOC
    rm -f "$PVB_HLOG"
    hd=
    if xenia create -p /etc/xen/blkhostile.cfg > /var/log/blkh-create.out 2>&1 &&
       hd=$(xenia domid blkhostile 2>&1) &&
       vbd-attach "$hd" xvda /tmp/blkh-rw.img > /var/log/blkh-attach.out 2>&1 &&
       vbd-attach -r "$hd" xvdb /tmp/blkh-ro.img >> /var/log/blkh-attach.out 2>&1 &&
       xenia unpause blkhostile >> /var/log/blkh-attach.out 2>&1; then
        result hostile-create PASS "domid $hd, other=$ldom"
    else
        result hostile-create FAIL "$(cat /var/log/blkh-create.out /var/log/blkh-attach.out 2>/dev/null | tail -n 3 | tr '\n' ' ')"
        pvb_hostile_fail "the hostile guest was not created"
        xenia destroy blkhostile > /dev/null 2>&1
        return
    fi
    i=0
    while [ $i -lt 600 ] && ! grep -q 'Test result:' "$PVB_HLOG" 2>/dev/null; do
        sleep 0.5; i=$((i + 1))
    done
    v=$(grep -m1 'Test result:' "$PVB_HLOG" 2>/dev/null | tr -d '\r')
    check hostile-done "${v:-no verdict in 300 s: $(tail -n 2 "$PVB_HLOG" 2>/dev/null | tr -d '\r' | tr '\n' ' ')}" \
        [ -n "$v" ]
    if [ -z "$v" ]; then
        dump_file blkhostile "$PVB_HLOG" 30
        xenia list 2>&1 | sed 's/^/list| /'
        tail -n 20 "$PVB_BLOG" | sed 's/^/blkback| /'
    fi
    for c in $PVB_HCHECKS; do
        v=$(grep -m1 "RESULT: blkhostile.$c " "$PVB_HLOG" 2>/dev/null | tr -d '\r')
        n=hostile-$(echo "$c" | tr _ -)
        case "$v" in
        *" PASS"*) result "$n" PASS "${v#* PASS}" ;;
        *" SKIP"*) result "$n" SKIP "${v#* SKIP}" ;;
        *" FAIL"*) result "$n" FAIL "${v#* FAIL}" ;;
        *) result "$n" FAIL "no RESULT line for $c in $PVB_HLOG" ;;
        esac
    done
    grep -q 'xtest: ERROR' "$PVB_HLOG" 2>/dev/null &&
        grep 'xtest: ERROR' "$PVB_HLOG" | head -n 3 | sed 's/^/blkhostile| /'
    # xenia-blkback logs a halted ring once (blkback.c process_ring).
    v=$(grep "blkback: $hd/51712: queue 0: .*halting this ring" "$PVB_BLOG" | head -n 1)
    check hostile-ring-halted "${v:-no halt logged for $hd/51712}" [ -n "$v" ]
    check hostile-blkback-alive "pid $(cat /run/xenia-blkback.pid 2>/dev/null) after the hostile guest" \
        kill -0 "$(cat /run/xenia-blkback.pid 2>/dev/null)"
    # The Linux guest's disk: it writes, fsyncs and rereads once xvdc
    # appears (guest-root-init.sh 'after').
    if pvb_wait 'PVB: after-ready' 60 &&
       vbd-attach -r "$ldom" xvdc /tmp/blkh-ro.img > /var/log/vbd-attach-c.out 2>&1 &&
       pvb_wait 'PVB: after-io' 120; then
        v=$(grep -m1 'PVB: after-io' "$PVB_LOG" | tr -d '\r')
        sum=$(dd if=/tmp/blkh-ro.img bs=64k count=16 2>/dev/null | sha256sum | cut -c1-64)
        check other-guest-io "${v#*PVB: }, dom0 $sum" \
            eval '[ "${v#*PVB: after-io }" = "ok xvdc $sum" ]'
    else
        result other-guest-io FAIL "no after-io from the Linux guest ($(cat /var/log/vbd-attach-c.out 2>/dev/null))"
    fi
    vbd-attach -d "$ldom" xvdc > /dev/null 2>&1
    xenia destroy blkhostile > /var/log/blkh-destroy.out 2>&1
    vbd-attach -d "$hd" xvda > /dev/null 2>&1
    vbd-attach -d "$hd" xvdb > /dev/null 2>&1
    i=0
    while [ $i -lt 20 ] && { [ -d /run/xenia/vbd/$hd-51712 ] || [ -d /run/xenia/vbd/$hd-51728 ]; }; do
        sleep 0.5; i=$((i + 1))
    done
    check hostile-cleanup "backend nodes of $hd $(xenstore-exists /local/domain/0/backend/vbd/$hd 2>/dev/null && echo present || echo gone), stats dirs $(ls -d /run/xenia/vbd/$hd-* 2>/dev/null | tr '\n' ' ')" \
        eval '! xenstore-exists /local/domain/0/backend/vbd/$hd 2>/dev/null && ! ls -d /run/xenia/vbd/$hd-* > /dev/null 2>&1'
    if [ "$XENIA_FAILED" != 0 ]; then
        dump_file blkhostile "$PVB_HLOG" 30
    fi
}

pvb_sums() { grep 'PVB: sum ' "$PVB_LOG" | tr -d '\r' | sed 's/.*PVB: sum //' | sort; }

pvb_run() {
    local be st fe v sums1 sums2 pid n last

    if ! command -v xenia-blkback > /dev/null || ! [ -f "$PVB_IMG" ] ||
       ! command -v xenia > /dev/null; then
        result blkback-present FAIL "xenia-blkback, xenia or $PVB_IMG missing (make -C pv-drivers; make -C dom0-tools)"
        return
    fi
    result blkback-present PASS "$(command -v xenia-blkback), image $(ls -l $PVB_IMG | awk '{ print $5 }') bytes"

    xenia init-dom0 > /dev/null 2>&1
    if command -v xenia-consoled > /dev/null; then
        xenia-consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    else
        xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    fi
    if pvb_blkback_start; then
        result blkback-start PASS "pid $(cat /run/xenia-blkback.pid)"
    else
        result blkback-start FAIL "$(tail -n 3 "$PVB_BLOG" | tr '\n' ' ')"
        return
    fi

    # ---- first boot: write ----
    if pvb_boot write > /tmp/pvb-boot.out 2>&1; then
        result guest-create PASS "domid $domid"
    else
        result guest-create FAIL "$(cat /tmp/pvb-boot.out)"
        pvb_evidence
        return
    fi
    be=/local/domain/0/backend/vbd/$domid/$PVB_DEV
    fe=/local/domain/$domid/device/vbd/$PVB_DEV
    check vbd-attach "$(cat /var/log/vbd-attach.out)" \
        [ "$(xenstore-read $be/params 2>/dev/null)" = "$PVB_IMG" ]

    if pvb_wait 'PVB: root mounted' "$PVB_BOOT_WAIT"; then
        st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read $fe/state 2>&1)"
        check vbd-connected "$st" [ "$st" = "backend 4 frontend 4" ]
    else
        result vbd-connected FAIL "the guest never mounted /dev/xvda"
        pvb_evidence
    fi
    v=
    for n in feature-max-indirect-segments max-ring-page-order \
             multi-queue-max-queues feature-flush-cache feature-barrier \
             feature-discard feature-persistent sector-size sectors info; do
        v="$v $n=$(xenstore-read $be/$n 2>/dev/null)"
    done
    case "$v" in
    *" feature-max-indirect-segments=256 max-ring-page-order=4 multi-queue-max-queues="[1-9]*" feature-flush-cache=1 feature-barrier=1 "*" sector-size=512 sectors=65536 info=0")
        result backend-features PASS "$v" ;;
    *) result backend-features FAIL "$v" ;;
    esac

    if pvb_wait 'PVB: write-done' 120; then
        result write-fsync PASS "$(pvb_sums | wc -l) files written and fsynced"
    else
        result write-fsync FAIL "no write-done from the guest"
        pvb_evidence
    fi
    v=$(grep -m1 'PVB: root-init' "$PVB_LOG" | tr -d '\r')
    case "$v" in
    *"/dev/xvda ext4"*) result root-on-pv PASS "${v#*PVB: }" ;;
    *) result root-on-pv FAIL "'$v'" ;;
    esac
    sums1=$(pvb_sums)

    # ---- destroy (no clean shutdown), the toolstack's clean-up ----
    if xenia destroy $PVB_NAME > /var/log/xenia-destroy.out 2>&1; then
        result destroy PASS "domain $domid"
    else
        result destroy FAIL "$(cat /var/log/xenia-destroy.out)"
    fi
    vbd-attach -d "$domid" xvda > /var/log/vbd-detach.out 2>&1
    sleep 2     # blkback rescans at least every 2 s
    n=0
    while [ -d /run/xenia/vbd/$domid-$PVB_DEV ] && [ $n -lt 10 ]; do sleep 1; n=$((n + 1)); done
    check detach-after-destroy "backend nodes and /run/xenia/vbd/$domid-$PVB_DEV removed" \
        eval '[ ! -d /run/xenia/vbd/$domid-$PVB_DEV ] && ! xenstore-exists $be 2>/dev/null'

    # ---- second boot: verify, then the restart test ----
    if ! pvb_boot verify,loop,hot,after > /tmp/pvb-boot.out 2>&1; then
        result recreate FAIL "$(cat /tmp/pvb-boot.out)"
        pvb_evidence
        return
    fi
    be=/local/domain/0/backend/vbd/$domid/$PVB_DEV
    if pvb_wait 'PVB: verify-done' "$PVB_BOOT_WAIT"; then
        result recreate PASS "domid $domid"
    else
        result recreate FAIL "no verify-done from the guest"
        pvb_evidence
    fi
    sums2=$(pvb_sums)
    if [ -n "$sums1" ] && [ "$sums1" = "$sums2" ]; then
        result data-intact PASS "$(echo "$sums2" | wc -l) checksums equal"
    else
        result data-intact FAIL "before: $(echo $sums1) after: $(echo $sums2)"
    fi

    # The restart: kill -9 while the guest writes in its loop.
    # (console lines end in \r: no $ anchor; loop 3 comes before 30..39)
    if pvb_wait 'PVB: loop 3' 120; then
        pid=$(cat /run/xenia-blkback.pid)
        v=$(cat /run/xenia/vbd/$domid-$PVB_DEV/wr_req 2>/dev/null)
        f=$(cat /run/xenia/vbd/$domid-$PVB_DEV/f_req 2>/dev/null)
        r=$(cat /run/xenia/vbd/$domid-$PVB_DEV/rd_req 2>/dev/null)
        check stats "rd_req=$r wr_req=$v f_req=$f" eval '[ "${r:-0}" -gt 0 ] && [ "${v:-0}" -gt 0 ] && [ "${f:-0}" -gt 0 ]'
        kill -9 "$pid"
        sleep 0.5
        if kill -0 "$pid" 2>/dev/null; then
            result backend-kill FAIL "pid $pid survived kill -9"
        elif grep -q 'PVB: loop-done' "$PVB_LOG"; then
            result backend-kill FAIL "the guest's loop had finished before the kill: nothing tested"
        else
            last=$(grep 'PVB: loop ' "$PVB_LOG" | tail -n 1 | tr -d '\r')
            sleep 3
            n=$(grep 'PVB: loop ' "$PVB_LOG" | tail -n 1 | tr -d '\r')
            st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read /local/domain/$domid/device/vbd/$PVB_DEV/state 2>&1)"
            result backend-kill PASS "pid $pid killed at '${last#*PVB: }'; 3 s later '${n#*PVB: }', $st"
        fi
        echo "---- restart ----" >> "$PVB_BLOG"
        if pvb_blkback_start; then
            st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read /local/domain/$domid/device/vbd/$PVB_DEV/state 2>&1)"
            sleep 1
            v=$(grep -c 'took over' "$PVB_BLOG")
            check takeover "new pid $(cat /run/xenia-blkback.pid), $st, took-over lines $v" \
                eval '[ "$v" -ge 1 ] && [ "$st" = "backend 4 frontend 4" ]'
        else
            result takeover FAIL "restart failed: $(tail -n 3 "$PVB_BLOG" | tr '\n' ' ')"
        fi
    else
        result stats FAIL "the guest's loop never started"
        result backend-kill FAIL "the guest's loop never started"
        result takeover FAIL "the guest's loop never started"
        pvb_evidence
    fi
    if pvb_wait 'PVB: loop-done' 180; then
        result io-continues PASS "$(grep 'PVB: loop ' "$PVB_LOG" | grep -c -v failed) loops"
    else
        result io-continues FAIL "no loop-done: last '$(grep 'PVB: loop ' "$PVB_LOG" | tail -n 1 | tr -d '\r')'"
        pvb_evidence
    fi
    v=$(grep 'PVB: io-errors' "$PVB_LOG" | tr -d '\r')
    n=$(grep -c 'PVB: loop .* dd failed' "$PVB_LOG")
    check no-io-errors "${v#*PVB: }, $n failed writes" eval '[ "${v#*PVB: }" = "io-errors 0" ] && [ "$n" = 0 ]'
    # A second disk, read-only, attached to the running guest and detached.
    dd if=/dev/urandom of=/tmp/pvb-ro.img bs=64k count=32 2>/dev/null
    sum=$(dd if=/tmp/pvb-ro.img bs=64k count=16 2>/dev/null | sha256sum | cut -c1-64)
    if pvb_wait 'PVB: hot-ready' 30 &&
       vbd-attach -r "$domid" xvdb /tmp/pvb-ro.img > /var/log/vbd-attach-b.out 2>&1 &&
       pvb_wait 'PVB: xvdb-write' 60; then
        v=$(grep 'PVB: xvdb-sum' "$PVB_LOG" | tr -d '\r')
        check hot-attach "xvdb: ${v#*PVB: }, dom0 $sum" [ "${v##* }" = "$sum" ]
        v=$(grep 'PVB: xvdb-ro\|PVB: xvdb-write' "$PVB_LOG" | tr -d '\r' | sed 's/.*PVB: //' | tr '\n' ' ')
        st=$(xenstore-read /local/domain/0/backend/vbd/$domid/51728/info 2>&1)
        check ro-refuses-write "$v; backend info $st" eval '[ "$st" = 4 ] &&
            grep -q "PVB: xvdb-write refused" "$PVB_LOG" && grep -q "PVB: xvdb-ro 1" "$PVB_LOG"'
        vbd-attach -d "$domid" xvdb > /var/log/vbd-detach-b.out 2>&1
        v=$?
        pvb_wait 'PVB: xvdb-gone' 30
        check hot-detach "vbd-attach -d: rc $v $(cat /var/log/vbd-detach-b.out); guest: $(grep 'PVB: xvdb-gone\|PVB: xvdb-still' "$PVB_LOG" | tr -d '\r' | sed 's/.*PVB: //')" \
            eval '[ $v = 0 ] && grep -q "PVB: xvdb-gone" "$PVB_LOG" &&
            ! xenstore-exists /local/domain/0/backend/vbd/$domid/51728 2>/dev/null'
    else
        result hot-attach FAIL "no xvdb in the guest ($(cat /var/log/vbd-attach-b.out 2>/dev/null))"
        result ro-refuses-write FAIL "no xvdb"
        result hot-detach FAIL "no xvdb"
        pvb_evidence
    fi
    pvb_hostile "$domid"
    check blkback-alive "pid $(cat /run/xenia-blkback.pid 2>/dev/null)" \
        kill -0 "$(cat /run/xenia-blkback.pid 2>/dev/null)"

    xenia destroy $PVB_NAME > /dev/null 2>&1
    vbd-attach -d "$domid" xvda > /dev/null 2>&1
    kill "$(cat /run/xenia-blkback.pid 2>/dev/null)" 2>/dev/null
    sleep 1
    check cleanup "no domain left, backend tree $(xenstore-list /local/domain/0/backend/vbd 2>&1 | tr '\n' ' ')" \
        [ -z "$(xenstore-list /local/domain/0/backend/vbd 2>/dev/null)" ]
    if [ "$XENIA_FAILED" != 0 ] || [ -n "${SHOW_BLKBACK_LOG:-}" ]; then
        dump_file blkback "$PVB_BLOG" 40
        dump_file guest-console "$PVB_LOG" 40
    fi
}

pvb_run
