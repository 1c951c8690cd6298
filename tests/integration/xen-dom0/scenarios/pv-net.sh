# Scenario pv-net (sourced by dom0's /init once the store is up): a Linux
# guest's xen-netfront served by xenia-netback (pv-drivers/netback,
# docs/pv-drivers.md) over a TAP on bridge xenbr0 (10.0.0.1/24 in dom0).
# The guest (the Debian kernel and pv-drivers' initramfs: busybox and
# xen-netfront) brings eth0 up as 10.0.0.2, pings dom0, sends it 2 MiB
# over TCP and receives 2 MiB, printing checksums; dom0 pings the guest
# and compares.  Then the counters under /run/xenia/vif, a backend
# restart (kill -9) taken over without a state change.  A second guest
# (pvn2, 10.0.0.3, its own MAC) on the same bridge pings the first and
# sends it 2 MiB (md5 compared), and the first pings it back.  A vif is
# hot-plugged into the running first guest with `xenia network-attach`
# (bridge xenbr1, 10.0.1.1/24 in dom0): the guest brings eth1 up as
# 10.0.1.2 on dom0's command, pings flow both ways over it, then
# `xenia network-detach` removes it, the guest's eth1 goes away and eth0
# still answers.  Destroy and detach.  The `xenia` CLI creates the guests
# and xenia-consoled keeps their consoles, on both hypervisors;
# pv-drivers/tools/vif-attach writes vif 0's nodes.  The first guest takes
# dom0's commands on TCP port 5009 (netback/guest-init.sh).
#
# TIMEOUT: 1200
# XEN-TOOLS: none
# PLANNED: netback-present modules bridge netback-start guest-create vif-attach vif-connected backend-features tap-on-bridge guest-ping dom0-ping tx-transfer rx-transfer stats takeover ping-after-takeover peer-create peer-connected peer-ping peer-transfer peer-ping-back peer-destroy hotplug-attach hotplug-guest-up hotplug-connected hotplug-ping hotplug-guest-ping hotplug-detach hotplug-guest-gone ping-after-detach destroy detach cleanup netback-alive

PVN_INITRD=/boot/pvn-initrd.cpio.gz
PVN_NAME=pvn
PVN_LOG=/var/log/xenia/console/guest-$PVN_NAME.log
PVN_NLOG=/var/log/xenia-netback.log

pvn_cfg() {
    mkdir -p /etc/xen
    cat > /etc/xen/$PVN_NAME.cfg <<EOC
name = "$PVN_NAME"
kernel = "/boot/vmlinuz"
ramdisk = "$PVN_INITRD"
extra = "console=hvc0 ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-160}
vcpus = 1
on_poweroff = "destroy"
on_crash = "preserve"
EOC
}

# pvn_waitf LOG PATTERN SECONDS: wait until a console log has PATTERN.
pvn_waitf() {
    local i=0
    while [ $i -lt $(($3 * 2)) ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
# Wait until the first guest's console log has $1 (at most $2 seconds).
pvn_wait() { pvn_waitf "$PVN_LOG" "$1" "$2"; }

# pvn_linef LOG WHAT: the rest of the last "PVN: WHAT" line
pvn_linef() { grep "PVN: $2" "$1" 2>/dev/null | tr -d '\r' | tail -n 1 | sed "s/.*PVN: $2 *//"; }
pvn_line() { pvn_linef "$PVN_LOG" "$1"; }

# pvn_cmd COMMAND...: one command to the first guest's port 5009
# (guest-init.sh), retried while its listener is not back up yet.
pvn_cmd() {
    local i=0
    while [ $i -lt 20 ]; do
        echo "$*" | timeout 30 nc 10.0.0.2 5009 > /dev/null 2>&1 && return 0
        i=$((i + 1)); sleep 1
    done
    return 1
}

# pvn_states BE FE: "backend N frontend N", waiting (at most 20 s) for 4 4
pvn_states() {
    local i=0 st
    while :; do
        st="backend $(xenstore-read $1/state 2>&1) frontend $(xenstore-read $2/state 2>&1)"
        [ "$st" = "backend 4 frontend 4" ] || [ $i -ge 40 ] && break
        sleep 0.5; i=$((i + 1))
    done
    echo "$st"
}

pvn_evidence() {
    dump_file netback "$PVN_NLOG" 40
    dump_file guest-console "$PVN_LOG" 60
    dump_file xenia-create /var/log/xenia-create.out 20
    echo "---- xenstore-ls -f backend/vif, device/vif ----"
    xenstore-ls -f /local/domain/0/backend/vif 2>&1 | head -n 40 | sed 's/^/xs| /'
    xenstore-ls -f /local/domain/$domid/device/vif 2>&1 | head -n 30 | sed 's/^/xs| /'
    xenstore-ls -f /local/domain/0/error 2>&1 | head -n 10 | sed 's/^/xs| /'
    ip -s link 2>&1 | head -n 30 | sed 's/^/ip| /'
}

pvn_run() {
    local be fe st v m sum pid i

    if ! command -v xenia-netback > /dev/null || ! [ -f "$PVN_INITRD" ] ||
       ! command -v xenia > /dev/null; then
        result netback-present FAIL "xenia-netback, xenia or $PVN_INITRD missing (make -C pv-drivers; make -C dom0-tools)"
        return
    fi
    result netback-present PASS "$(command -v xenia-netback)"

    v=
    for m in tun llc stp bridge; do
        [ -d /sys/module/$m ] || insmod /lib/modules/pvnet/$m.ko 2>> /tmp/pvn-insmod.out ||
            v="$v $m"
    done
    [ -c /dev/net/tun ] || { mkdir -p /dev/net; mknod /dev/net/tun c 10 200; }
    check modules "failed:${v:- none} $(cat /tmp/pvn-insmod.out 2>/dev/null | tr '\n' ' ')" \
        [ -z "$v" ]
    ip link add xenbr0 type bridge 2> /tmp/pvn-br.out &&
        ip addr add 10.0.0.1/24 dev xenbr0 2>> /tmp/pvn-br.out &&
        ip link set xenbr0 up 2>> /tmp/pvn-br.out
    check bridge "$(ip -o addr show xenbr0 2>&1 | head -n 1) $(cat /tmp/pvn-br.out)" \
        [ -d /sys/class/net/xenbr0/bridge ]

    xenia init-dom0 > /dev/null 2>&1
    if command -v xenia-consoled > /dev/null; then
        xenia-consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    else
        xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    fi
    xenia-netback -v --pidfile /run/xenia-netback.pid 2>> "$PVN_NLOG"
    sleep 0.5
    pid=$(cat /run/xenia-netback.pid 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        result netback-start PASS "pid $pid"
    else
        result netback-start FAIL "$(tail -n 3 "$PVN_NLOG" | tr '\n' ' ')"
        return
    fi

    # dom0's side of the transfers: data for the guest, a listener.
    dd if=/dev/urandom of=/tmp/pvn-out bs=64k count=32 2>/dev/null
    # (its stdin kept open: at EOF it would shut its side down and the
    # guest's nc would stop sending)
    sleep 3600 | nc -l -p 5001 > /tmp/pvn-in &
    nc_pid=$!

    domid=
    rm -f "$PVN_LOG"
    pvn_cfg
    if ! xenia create -p /etc/xen/$PVN_NAME.cfg > /var/log/xenia-create.out 2>&1; then
        result guest-create FAIL "$(tail -n 3 /var/log/xenia-create.out | tr '\n' ' ')"
        return
    fi
    domid=$(xenia domid $PVN_NAME 2>&1)
    case "$domid" in ''|*[!0-9]*) result guest-create FAIL "xenia domid gave '$domid'"; return ;; esac
    result guest-create PASS "domid $domid"
    be=/local/domain/0/backend/vif/$domid/0
    fe=/local/domain/$domid/device/vif/0
    vif-attach "$domid" 0 > /var/log/vif-attach.out 2>&1
    check vif-attach "$(cat /var/log/vif-attach.out)" \
        [ "$(xenstore-read $be/type 2>/dev/null)" = xenia ]
    xenia unpause $PVN_NAME

    if pvn_wait 'PVN: eth0 up' 240; then
        st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read $fe/state 2>&1)"
        check vif-connected "$st, guest $(pvn_line 'eth0 up')" [ "$st" = "backend 4 frontend 4" ]
    else
        result vif-connected FAIL "the guest never brought eth0 up"
        pvn_evidence
    fi
    v=
    for m in feature-sg feature-rx-copy feature-rx-flip feature-gso-tcpv4 \
             feature-split-event-channels multi-queue-max-queues hotplug-status; do
        v="$v $m=$(xenstore-read $be/$m 2>/dev/null)"
    done
    case "$v" in
    " feature-sg=1 feature-rx-copy=1 feature-rx-flip=0 feature-gso-tcpv4=0 feature-split-event-channels=1 multi-queue-max-queues=1 hotplug-status=connected")
        result backend-features PASS "$v" ;;
    *) result backend-features FAIL "$v" ;;
    esac
    check tap-on-bridge "$(ls /sys/class/net/xenbr0/brif/ 2>&1 | tr '\n' ' ')" \
        [ -e /sys/class/net/xenbr0/brif/vif$domid.0 ]

    if pvn_wait 'PVN: ping ' 60; then
        v=$(pvn_line 'ping')
        case "$v" in ok*) result guest-ping PASS "$v" ;; *) result guest-ping FAIL "$v" ;; esac
    else
        result guest-ping FAIL "no ping report from the guest"
    fi
    # Reachability (the transfers check integrity): a reply to any of 5;
    # a loaded host can delay one past ping's wait.
    ping -c 5 -W 10 10.0.0.2 > /tmp/pvn-ping.out 2>&1
    check dom0-ping "$(grep -o '[0-9]* packets received' /tmp/pvn-ping.out)" \
        grep -q ' [1-5] packets received' /tmp/pvn-ping.out

    # guest -> dom0 (the guest's tx)
    if pvn_wait 'PVN: sent ' 120; then
        i=0
        while kill -0 $nc_pid 2>/dev/null && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
        sum=$(md5sum < /tmp/pvn-in | cut -d' ' -f1)
        v="guest $(pvn_line gsum), dom0 $sum, $(wc -c < /tmp/pvn-in) bytes, $(pvn_line sent)"
        check tx-transfer "$v" [ "$(pvn_line gsum)" = "$sum" -a "$(wc -c < /tmp/pvn-in)" = 2097152 ]
    else
        result tx-transfer FAIL "the guest never finished sending"
        pvn_evidence
    fi
    kill $nc_pid 2>/dev/null

    # dom0 -> guest (the guest's rx)
    if pvn_wait 'PVN: listening' 30; then
        i=0
        while [ $i -lt 10 ]; do
            timeout 120 nc 10.0.0.2 5002 < /tmp/pvn-out && break
            i=$((i + 1)); sleep 1
        done
        pvn_wait 'PVN: rsum' 60
        sum=$(md5sum < /tmp/pvn-out | cut -d' ' -f1)
        v=$(pvn_line rsum)
        check rx-transfer "guest $v, dom0 $sum" [ "$v" = "$sum 2097152" ]
    else
        result rx-transfer FAIL "the guest never listened"
    fi

    sleep 2     # the counters are rewritten once a second
    v=
    for m in tx_bytes tx_packets rx_bytes rx_packets; do
        v="$v $m=$(cat /run/xenia/vif/$domid-0/$m 2>/dev/null)"
    done
    check stats "$v" [ "$(cat /run/xenia/vif/$domid-0/tx_bytes 2>/dev/null || echo 0)" -gt 2097152 -a \
                       "$(cat /run/xenia/vif/$domid-0/rx_bytes 2>/dev/null || echo 0)" -gt 2097152 -a \
                       "$(cat /run/xenia/vif/$domid-0/rx_packets 2>/dev/null || echo 0)" -gt 0 ]

    # Restart takeover: kill -9, start again; the store is untouched and
    # the new instance maps the rings again and makes a new TAP.
    kill -9 "$pid" 2>/dev/null
    sleep 1
    xenia-netback -v --pidfile /run/xenia-netback.pid 2>> "$PVN_NLOG"
    sleep 2
    pid=$(cat /run/xenia-netback.pid 2>/dev/null)
    st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read $fe/state 2>&1)"
    check takeover "$st, $(grep 'took over' "$PVN_NLOG" | tail -n 1)" \
        [ "$st" = "backend 4 frontend 4" -a -e /sys/class/net/xenbr0/brif/vif$domid.0 ]
    ping -c 5 -W 10 10.0.0.2 > /tmp/pvn-ping2.out 2>&1
    check ping-after-takeover "$(grep -o '[0-9]* packets received' /tmp/pvn-ping2.out)" \
        grep -q ' [1-5] packets received' /tmp/pvn-ping2.out

    pvn_peer
    pvn_hotplug

    if [ "$XENIA_FAILED" != 0 ]; then pvn_evidence; fi

    xenia destroy $PVN_NAME > /tmp/pvn-destroy.out 2>&1
    check destroy "$(cat /tmp/pvn-destroy.out)" [ -z "$(xenia domid $PVN_NAME 2>/dev/null | grep '^[0-9]')" ]
    vif-attach -d "$domid" 0 > /tmp/pvn-detach.out 2>&1
    sleep 3     # the daemon rescans on the watch (or within 2 s)
    check detach "backend $(xenstore-list /local/domain/0/backend/vif 2>&1 | tr '\n' ' '), stats dir $(ls -d /run/xenia/vif/$domid-0 2>&1)" \
        [ ! -e "/run/xenia/vif/$domid-0" -a -z "$(xenstore-list /local/domain/0/backend/vif 2>/dev/null)" ]
    check cleanup "bridge ports: $(ls /sys/class/net/xenbr0/brif/ 2>&1 | tr '\n' ' ')" \
        [ ! -e /sys/class/net/vif$domid.0 ]
    check netback-alive "pid $pid" kill -0 "$pid"
    kill "$pid" 2>/dev/null
    if [ -n "${SHOW_NETBACK_LOG:-}" ]; then
        dump_file netback "$PVN_NLOG" 40
        dump_file guest-console "$PVN_LOG" 40
    fi
}

# A second guest on xenbr0 (10.0.0.3, vif-attach's MAC from its domid):
# it pings the first guest and sends it 2 MiB (port 5003); the first pings
# it back on dom0's command.  Both through xenia-netback's TAPs and the
# bridge, never through dom0's IP stack.  Destroyed and detached after.
PVN2_LOG=/var/log/xenia/console/guest-pvn2.log
pvn_peer() {
    local d2 be2 fe2 st v sum mac1 mac2 n
    rm -f "$PVN2_LOG"
    cat > /etc/xen/pvn2.cfg <<EOC
name = "pvn2"
kernel = "/boot/vmlinuz"
ramdisk = "$PVN_INITRD"
extra = "console=hvc0 pvn_role=peer pvn_ip=10.0.0.3 ${GUEST_EXTRA:-}"
memory = ${GUEST2_MEM:-128}
vcpus = 1
on_poweroff = "destroy"
on_crash = "preserve"
EOC
    d2=
    if xenia create -p /etc/xen/pvn2.cfg > /var/log/xenia-create2.out 2>&1; then
        d2=$(xenia domid pvn2 2>&1)
    fi
    case "$d2" in
    ''|*[!0-9]*)
        result peer-create FAIL "$(tail -n 3 /var/log/xenia-create2.out | tr '\n' ' ') $d2"
        for n in peer-connected peer-ping peer-transfer peer-ping-back peer-destroy; do
            result $n FAIL "no second guest"
        done
        return ;;
    esac
    be2=/local/domain/0/backend/vif/$d2/0
    fe2=/local/domain/$d2/device/vif/0
    vif-attach "$d2" 0 > /var/log/vif-attach2.out 2>&1
    check peer-create "domid $d2, $(cat /var/log/vif-attach2.out)" \
        [ "$(xenstore-read $be2/type 2>/dev/null)" = xenia ]
    xenia unpause pvn2
    if pvn_waitf "$PVN2_LOG" 'PVN: eth0 up' 240; then
        st=$(pvn_states $be2 $fe2)
        mac1=$(xenstore-read $be/mac 2>&1) mac2=$(xenstore-read $be2/mac 2>&1)
        v="$st, guest $(pvn_linef "$PVN2_LOG" 'eth0 up'), MACs $mac1 $mac2, bridge ports $(ls /sys/class/net/xenbr0/brif/ 2>&1 | tr '\n' ' ')"
        check peer-connected "$v" eval '[ "$st" = "backend 4 frontend 4" ] && [ "$mac1" != "$mac2" ] &&
            [ "$(pvn_linef "$PVN2_LOG" "eth0 up")" = "$mac2" ] && [ -e /sys/class/net/xenbr0/brif/vif$d2.0 ]'
    else
        result peer-connected FAIL "the second guest never brought eth0 up"
        dump_file guest2-console "$PVN2_LOG" 40
    fi
    # guest 2 -> guest 1
    if pvn_waitf "$PVN2_LOG" 'PVN: ping ' 90; then
        v=$(pvn_linef "$PVN2_LOG" ping)
        case "$v" in ok*) result peer-ping PASS "10.0.0.3 -> 10.0.0.2: $v" ;; *) result peer-ping FAIL "$v" ;; esac
    else
        result peer-ping FAIL "no ping report from the second guest"
    fi
    if pvn_waitf "$PVN2_LOG" 'PVN: sent ' 150 && pvn_wait 'PVN: peer-rsum' 60; then
        sum=$(pvn_linef "$PVN2_LOG" gsum)
        v=$(pvn_line peer-rsum)
        check peer-transfer "guest 2 sent $sum ($(pvn_linef "$PVN2_LOG" sent)), guest 1 got $v" \
            [ -n "$sum" -a "$v" = "$sum 2097152" ]
    else
        result peer-transfer FAIL "guest 2: $(pvn_linef "$PVN2_LOG" sent); guest 1: $(pvn_line peer-rsum)"
        dump_file guest2-console "$PVN2_LOG" 20
    fi
    # guest 1 -> guest 2, on dom0's command
    if pvn_cmd ping 10.0.0.3 && pvn_wait 'PVN: cmd-ping 10.0.0.3' 90; then
        v=$(pvn_line 'cmd-ping 10.0.0.3')
        case "$v" in ok*) result peer-ping-back PASS "10.0.0.2 -> 10.0.0.3: $v" ;; *) result peer-ping-back FAIL "$v" ;; esac
    else
        result peer-ping-back FAIL "guest 1 took no command or never reported"
    fi
    xenia destroy pvn2 > /tmp/pvn-destroy2.out 2>&1
    vif-attach -d "$d2" 0 >> /tmp/pvn-destroy2.out 2>&1
    n=0
    while [ -e /sys/class/net/vif$d2.0 ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
    check peer-destroy "$(cat /tmp/pvn-destroy2.out) vif$d2.0 $( [ -e /sys/class/net/vif$d2.0 ] && echo left || echo gone)" \
        eval '[ -z "$(xenia domid pvn2 2>/dev/null | grep "^[0-9]")" ] && ! xenstore-exists $be2 2>/dev/null &&
              [ ! -e /sys/class/net/vif$d2.0 ]'
}

# A vif hot-plugged into the running first guest with the toolstack's
# verbs, on a bridge of its own (xenbr1, 10.0.1.1/24): traffic to
# 10.0.1.2 can only take that vif.  Then network-detach.
pvn_hotplug() {
    local be1 fe1 v n st mac
    be1=/local/domain/0/backend/vif/$domid/1
    fe1=/local/domain/$domid/device/vif/1
    ip link add xenbr1 type bridge 2> /tmp/pvn-br1.out &&
        ip addr add 10.0.1.1/24 dev xenbr1 2>> /tmp/pvn-br1.out &&
        ip link set xenbr1 up 2>> /tmp/pvn-br1.out
    v=$(xenia network-attach $PVN_NAME 'bridge=xenbr1' 2>&1); n=$?
    check hotplug-attach "exit $n: $v $(cat /tmp/pvn-br1.out); type $(xenstore-read $be1/type 2>&1)" \
        eval '[ $n = 0 ] && echo "$v" | grep -q "^vif 1: mac " && [ "$(xenstore-read $be1/type 2>/dev/null)" = xenia ]'
    mac=$(xenstore-read $be1/mac 2>/dev/null)
    if pvn_cmd up eth1 10.0.1.2/24 && pvn_wait 'PVN: cmd-up eth1' 90; then
        v=$(pvn_line 'cmd-up eth1')
        check hotplug-guest-up "guest: eth1 $v; store mac $mac" [ "$v" = "$mac 10.0.1.2/24" ]
    else
        result hotplug-guest-up FAIL "guest 1 took no command or never reported"
    fi
    st=$(pvn_states $be1 $fe1)
    check hotplug-connected "$st, bridge xenbr1 ports $(ls /sys/class/net/xenbr1/brif/ 2>&1 | tr '\n' ' ')" \
        [ "$st" = "backend 4 frontend 4" -a -e /sys/class/net/xenbr1/brif/vif$domid.1 ]
    ping -c 5 -W 10 10.0.1.2 > /tmp/pvn-ping3.out 2>&1
    check hotplug-ping "dom0 -> 10.0.1.2: $(grep -o '[0-9]* packets received' /tmp/pvn-ping3.out)" \
        grep -q ' [1-5] packets received' /tmp/pvn-ping3.out
    if pvn_cmd ping 10.0.1.1 && pvn_wait 'PVN: cmd-ping 10.0.1.1' 90; then
        v=$(pvn_line 'cmd-ping 10.0.1.1')
        case "$v" in ok*) result hotplug-guest-ping PASS "10.0.1.2 -> 10.0.1.1: $v" ;; *) result hotplug-guest-ping FAIL "$v" ;; esac
    else
        result hotplug-guest-ping FAIL "guest 1 took no command or never reported"
    fi
    v=$(xenia network-detach $PVN_NAME 1 2>&1); n=$?
    check hotplug-detach "exit $n $v; vif 1 $(xenstore-exists $be1 2>/dev/null && echo left || echo removed)" \
        eval '[ $n = 0 ] && ! xenstore-exists $be1 2>/dev/null && ! xenstore-exists $fe1 2>/dev/null &&
              xenstore-exists $be 2>/dev/null'
    n=0
    while [ -e /sys/class/net/vif$domid.1 ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
    if pvn_cmd gone eth1 && pvn_wait 'PVN: cmd-gone eth1' 90; then
        v=$(pvn_line 'cmd-gone eth1')
        check hotplug-guest-gone "guest: eth1 $v; dom0's TAP vif$domid.1 $( [ -e /sys/class/net/vif$domid.1 ] && echo left || echo gone)" \
            eval 'case "$v" in gone:*) true ;; *) false ;; esac && [ ! -e /sys/class/net/vif$domid.1 ]'
    else
        result hotplug-guest-gone FAIL "guest 1 took no command or never reported"
    fi
    ping -c 5 -W 10 10.0.0.2 > /tmp/pvn-ping4.out 2>&1
    check ping-after-detach "$(grep -o '[0-9]* packets received' /tmp/pvn-ping4.out), eth0 state $(pvn_states $be $fe)" \
        grep -q ' [1-5] packets received' /tmp/pvn-ping4.out
}

pvn_run
