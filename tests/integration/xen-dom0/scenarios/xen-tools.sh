# Scenario xen-tools (sourced by dom0's /init once the store, xen-init-dom0
# and xenconsoled are up): Debian's own Xen 4.17 tools, unmodified, manage
# the hypervisor: xl info and xl list, xl create of a Linux PV guest that
# reaches its /init, xl console (in a tmux pane: a real terminal, Ctrl-]
# detaches), xl pause/unpause, xl mem-set (the guest's balloon follows),
# xentop -b, xl shutdown -w, xl destroy.  The host adds `unhandled`
# (host-checks/xen-tools.sh): every XENIA-UNHANDLED id the run printed is
# in docs/dom0-refusals.md.  See docs/xen-tools.md.
#
# TIMEOUT: 480
# EXTRA-IMAGE: locale
# PLANNED: xl-info xl-list-dom0 xl-create xl-listed console-init xl-console pause unpause mem-set xentop shutdown-wait xl-destroy unhandled

XT_GUEST=xtguest
XT_CFG=/etc/xen/$XT_GUEST.cfg
XT_LOG=/var/log/xen/console/guest-$XT_GUEST.log
XT_MEM=${GUEST_MEM:-192}
XT_TARGET=128

# The domU initramfs plus /sbin/poweroff, which the guest kernel runs when
# dom0 writes control/shutdown (the busybox image has none).  The kernel
# unpacks concatenated archives in order.
xt_ramdisk() {
    local d=/tmp/xt-extra
    rm -rf $d; mkdir -p $d/sbin
    printf '#!/bin/sh\necho "XENIA-DOMU: poweroff requested"\nexec /bin/busybox poweroff -f\n' > $d/sbin/poweroff
    chmod 755 $d/sbin/poweroff
    if (cd $d && echo sbin/poweroff | cpio -o -H newc 2>/dev/null | gzip) > /tmp/xt-extra.cpio.gz &&
       [ -s /tmp/xt-extra.cpio.gz ]; then
        cat /boot/domu.cpio.gz /tmp/xt-extra.cpio.gz > /tmp/xt-domu.cpio.gz
        echo /tmp/xt-domu.cpio.gz
    else
        echo /boot/domu.cpio.gz
    fi
}
XT_RAMDISK=$(xt_ramdisk)
cat > "$XT_CFG" <<EOC
name = "$XT_GUEST"
type = "pv"
kernel = "/boot/vmlinuz"
ramdisk = "$XT_RAMDISK"
extra = "console=hvc0 sysrq_always_enabled ${GUEST_EXTRA:-}"
memory = $XT_MEM
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOC

# xt_field NAME: one "name : value" line of /tmp/xt-info.out
xt_field() { sed -n "s/^$1 *: *//p" /tmp/xt-info.out | head -n 1; }
# xt_list NAME FIELD: a column of `xl list NAME` (3 Mem, 5 State)
xt_list() { xl list "$1" 2>/dev/null | awk -v f="$2" 'NR == 2 { print $f }'; }
# xt_wait_log TEXT HALFSECONDS: until the guest's console log has TEXT
xt_wait_log() {
    local i=0
    while [ $i -lt "$2" ]; do
        grep -q "$1" "$XT_LOG" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
xt_gone() {
    ! xl domid "$XT_GUEST" > /dev/null 2>&1 &&
        ! xenstore-exists "/local/domain/$1" 2>/dev/null
}

xt_evidence() {
    dump_file xl-create /var/log/xl-create.out 40
    dump_file guest-console "$XT_LOG" 40
    dump_file xenconsoled /var/log/xenconsoled.out 20
    dump_file store-out /var/log/store.out 20
    echo "---- xl list ----"
    xl list 2>&1 | sed 's/^/xl| /'
}

xt_run() {
    local t0 domid st v n rc i mem tgt ok

    # ---- xl info: the fields a Xen user reads first ----
    if xl info > /tmp/xt-info.out 2>/tmp/xt-info.err; then
        sed 's/^/info| /' /tmp/xt-info.out
        local ncpu tot free ver
        ncpu=$(xt_field nr_cpus); tot=$(xt_field total_memory)
        free=$(xt_field free_memory); ver=$(xt_field xen_version)
        v="nr_cpus=$ncpu total_memory=$tot free_memory=$free xen_version=$ver"
        v="$v xen_caps='$(xt_field xen_caps)' sched=$(xt_field xen_scheduler)"
        # QEMU has 2 CPUs and 2048 MiB; dom0 holds 512 MiB of it
        if [ "$ncpu" = 2 ] && [ "${tot:-0}" -ge 1024 ] 2>/dev/null &&
           [ "$tot" -le 2048 ] && [ "${free:-0}" -gt 0 ] 2>/dev/null &&
           [ "$free" -lt "$tot" ] && echo "$ver" | grep -qE '^[0-9]+\.[0-9]+'; then
            result xl-info PASS "$v"
        else
            result xl-info FAIL "$v"
        fi
    else
        result xl-info FAIL "xl info exited non-zero: $(head -c 300 /tmp/xt-info.err)"
    fi

    # ---- xl list: Domain-0 ----
    xl list > /tmp/xt-list.out 2>&1
    sed 's/^/list| /' /tmp/xt-list.out
    v=$(awk '$1 == "Domain-0" { print $2 " " $3 " " $4 " " $5 }' /tmp/xt-list.out)
    set -- $v
    if [ "${1:-}" = 0 ] && [ "${2:-0}" -gt 0 ] 2>/dev/null && [ "${3:-0}" -ge 1 ] 2>/dev/null; then
        st=PASS; else st=FAIL; fi
    result xl-list-dom0 $st "Domain-0: id=${1:-?} mem=${2:-?} vcpus=${3:-?} state=${4:-?}"

    # ---- xl create ----
    t0=$(now_ms)
    if ! xl create "$XT_CFG" > /var/log/xl-create.out 2>&1; then
        result xl-create FAIL "xl create exited non-zero: $(tail -n 3 /var/log/xl-create.out | tr '\n' ' ')"
        xt_evidence
        return
    fi
    domid=$(xl domid "$XT_GUEST" 2>&1)
    case "$domid" in
    ''|*[!0-9]*) result xl-create FAIL "xl domid $XT_GUEST gave '$domid'"
                 xt_evidence; return ;;
    esac
    result xl-create PASS "domid=$domid in $(( $(now_ms) - t0 )) ms"

    xl list | sed 's/^/list| /'
    mem=$(xt_list "$XT_GUEST" 3)
    v=$(xenstore-read /local/domain/$domid/name 2>&1)
    if [ "$v" = "$XT_GUEST" ] && [ -n "$mem" ] && [ "$mem" -le "$XT_MEM" ] 2>/dev/null &&
       [ "$mem" -ge $((XT_MEM - 8)) ]; then st=PASS; else st=FAIL; fi
    result xl-listed $st "xl list: $XT_GUEST mem=$mem state=$(xt_list "$XT_GUEST" 5); store name '$v'"

    # ---- the guest reaches /init: its console, logged by xenconsoled ----
    t0=$(now_ms)
    if xt_wait_log "XENIA-DOMU: init reached" 480; then
        result console-init PASS "$(grep -m1 'XENIA-DOMU: init reached' "$XT_LOG" | tr -d '\r') in $XT_LOG, $(( $(now_ms) - t0 )) ms after create returned"
    else
        result console-init FAIL "no /init marker in $XT_LOG ($(wc -c < "$XT_LOG" 2>/dev/null) bytes) after 240 s"
        xt_evidence
    fi
    xt_wait_log "XENIA-DOMU: done" 60

    # ---- xl console in a terminal (tmux): the guest's output arrives,
    # input reaches the guest (^O h: the hvc driver's SysRq help, answered
    # by the guest kernel), and Ctrl-] detaches: xl exits and the pane
    # closes.
    export TERM=${TERM:-xterm}
    [ "$TERM" = linux ] || [ "$TERM" = dumb ] && TERM=xterm
    rm -f /tmp/xt-console.out
    if ! command -v tmux > /dev/null; then
        result xl-console FAIL "no tmux in dom0's image"
    elif ! tmux new-session -d -s xtcon -x 160 -y 48 \
            "xl console $XT_GUEST; echo XT-CONSOLE-RC=\$? > /tmp/xt-console.rc; sleep 30" 2> /tmp/xt-tmux.err; then
        result xl-console FAIL "tmux new-session: $(head -c 200 /tmp/xt-tmux.err)"
    else
        rm -f /tmp/xt-console.rc
        sleep 2
        tmux send-keys -t xtcon C-o h
        i=0; ok=1
        while [ $i -lt 60 ]; do
            tmux capture-pane -p -t xtcon -S -200 > /tmp/xt-console.out 2>/dev/null
            grep -qi 'sysrq.*help' /tmp/xt-console.out && { ok=0; break; }
            sleep 1; i=$((i + 1))
        done
        tmux send-keys -t xtcon 'C-]'
        i=0
        while [ ! -f /tmp/xt-console.rc ] && [ $i -lt 40 ]; do sleep 0.5; i=$((i + 1)); done
        rc=$(sed -n 's/^XT-CONSOLE-RC=//p' /tmp/xt-console.rc 2>/dev/null)
        tmux kill-session -t xtcon 2>/dev/null
        sed 's/^/con| /' /tmp/xt-console.out | grep -v '^con| *$' | tail -n 8
        if [ $ok = 0 ] && [ "$rc" = 0 ]; then
            result xl-console PASS "SysRq help answered through xl console ($(grep -c . /tmp/xt-console.out) lines in the pane); Ctrl-] detached, xl exit 0"
        else
            result xl-console FAIL "sysrq answer seen: $([ $ok = 0 ] && echo yes || echo no); xl console exit '${rc:-still running}' after Ctrl-]"
        fi
    fi

    # ---- pause / unpause: the state letters of xl list ----
    xl pause "$XT_GUEST"; rc=$?
    st=$(xt_list "$XT_GUEST" 5)
    case "$rc:$st" in
    0:??p*) result pause PASS "state $st" ;;
    *) result pause FAIL "xl pause exit $rc, state '$st'" ;;
    esac
    xl unpause "$XT_GUEST"; rc=$?
    st=$(xt_list "$XT_GUEST" 5)
    case "$rc:$st" in
    0:??p*|0:) result unpause FAIL "xl unpause exit $rc, state '$st'" ;;
    0:*) result unpause PASS "state $st" ;;
    *) result unpause FAIL "xl unpause exit $rc, state '$st'" ;;
    esac

    # ---- mem-set: memory/target changes, the guest's balloon gives the
    # pages back and xl list shows it (up to 60 s for the balloon) ----
    xl mem-set "$XT_GUEST" ${XT_TARGET}m > /tmp/xt-memset.out 2>&1; rc=$?
    tgt=$(xenstore-read /local/domain/$domid/memory/target 2>&1)
    i=0
    while [ $i -lt 60 ]; do
        mem=$(xt_list "$XT_GUEST" 3)
        [ -n "$mem" ] && [ "$mem" -le $XT_TARGET ] 2>/dev/null && break
        sleep 1; i=$((i + 1))
    done
    if [ $rc = 0 ] && [ "$tgt" = $((XT_TARGET * 1024)) ] &&
       [ "${mem:-999999}" -le $XT_TARGET ] 2>/dev/null; then st=PASS; else st=FAIL; fi
    result mem-set $st "xl mem-set ${XT_TARGET}m exit $rc $(head -c 200 /tmp/xt-memset.out); memory/target=$tgt; xl list Mem $mem after ${i} s"

    # ---- xentop, batch mode, 2 iterations ----
    timeout 60 xentop -b -i 2 -d 1 > /tmp/xt-top.out 2>&1; rc=$?
    sed 's/^/xentop| /' /tmp/xt-top.out | head -n 12
    n=$(grep -c 'Domain-0' /tmp/xt-top.out)
    v=$(grep -c "$XT_GUEST" /tmp/xt-top.out)
    if [ $rc = 0 ] && [ "$n" -ge 2 ] && [ "$v" -ge 2 ]; then st=PASS; else st=FAIL; fi
    result xentop $st "exit $rc; Domain-0 rows $n, $XT_GUEST rows $v (2 iterations)"

    # ---- shutdown -w: the guest powers off (control/shutdown) and xl's
    # monitor applies on_poweroff=destroy ----
    t0=$(now_ms)
    timeout 240 xl shutdown -w "$XT_GUEST" > /tmp/xt-shutdown.out 2>&1; rc=$?
    if [ $rc = 0 ] && xt_gone "$domid"; then
        result shutdown-wait PASS "guest powered off in $(( $(now_ms) - t0 )) ms, gone from list and store"
    else
        result shutdown-wait FAIL "xl shutdown -w exit $rc: $(head -c 200 /tmp/xt-shutdown.out); state '$(xt_list "$XT_GUEST" 5)'"
        tail -n 5 "$XT_LOG" 2>/dev/null | sed 's/^/domU| /'
        xl destroy "$XT_GUEST" 2>/dev/null
    fi

    # ---- xl destroy of a (paused) guest ----
    if xl create -p "$XT_CFG" > /var/log/xl-create.out 2>&1; then
        domid=$(xl domid "$XT_GUEST" 2>&1)
        t0=$(now_ms)
        xl destroy "$XT_GUEST" > /tmp/xt-destroy.out 2>&1; rc=$?
        if [ $rc = 0 ] && xt_gone "$domid"; then
            result xl-destroy PASS "domain $domid destroyed in $(( $(now_ms) - t0 )) ms; gone from list and store"
        else
            result xl-destroy FAIL "xl destroy exit $rc: $(head -c 200 /tmp/xt-destroy.out); list: $(xl list 2>&1 | tail -n +2 | tr '\n' ';')"
        fi
    else
        result xl-destroy FAIL "xl create -p failed: $(tail -n 3 /var/log/xl-create.out | tr '\n' ' ')"
    fi
    xl list | sed 's/^/list| /'
}

xt_run
