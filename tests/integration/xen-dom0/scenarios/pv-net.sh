# Scenario pv-net (sourced by dom0's /init once the store is up): a Linux
# guest's xen-netfront served by xenia-netback (pv-drivers/netback,
# docs/pv-drivers.md) over a TAP on bridge xenbr0 (10.0.0.1/24 in dom0).
# The guest (the Debian kernel and pv-drivers' initramfs: busybox and
# xen-netfront) brings eth0 up as 10.0.0.2, pings dom0, sends it 2 MiB
# over TCP and receives 2 MiB, printing checksums; dom0 pings the guest
# and compares.  Then the counters under /run/xenia/vif, a backend
# restart (kill -9) taken over without a state change, destroy and detach.  The `xenia` CLI creates the guest and xenia-consoled keeps its
# console, on both hypervisors; pv-drivers/tools/vif-attach writes the
# vif's nodes.
#
# TIMEOUT: 480
# XEN-TOOLS: none
# PLANNED: netback-present modules bridge netback-start guest-create vif-attach vif-connected backend-features tap-on-bridge guest-ping dom0-ping tx-transfer rx-transfer stats takeover ping-after-takeover destroy detach cleanup netback-alive

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

# Wait until the guest's console log has $1 (at most $2 seconds).
pvn_wait() {
    local i=0
    while [ $i -lt $(($2 * 2)) ]; do
        grep -q "$1" "$PVN_LOG" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

pvn_line() { grep "PVN: $1" "$PVN_LOG" 2>/dev/null | tr -d '\r' | tail -n 1 | sed "s/.*PVN: $1 *//"; }

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

pvn_run
