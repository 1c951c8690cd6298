# Scenario toolstack-devices (sourced by dom0's /init once the store is
# up): the `xenia` CLI's disks (docs/toolstack.md, "Devices").  A Linux
# guest (pv-drivers' pv-block guest: its initramfs loads xen-blkfront and
# ext4 and switch_roots to /dev/xvda) is created from an xl.cfg with
# disk=[...]: create starts xenia-blkback itself and writes xl's store
# nodes; the guest boots with its root on xvda; a second, read-only disk
# is hot-plugged with `xenia block-attach` and unplugged with
# `xenia block-detach`; destroy leaves no node behind.  Then the same
# root image through Linux's blkback (backendtype=phy: a loop device),
# which finds the files the first guest wrote and writes new ones (fsync);
# destroy releases the loop device, and dom0 mounts the image and reads
# them back.  vifs: with xenia-netback, a paused guest's vif from the config
# and one from network-attach get xl's nodes, network-detach and destroy
# remove them; without it, a vif config is refused with nothing left
# behind.  Then a vif on Linux's netback (backendtype=kernel): joined to its
# bridge (xenbr1, 10.0.0.1/24 in dom0) by the toolstack; the guest (the
# pv-net guest's initramfs, pv-drivers/netback/guest-init.sh) pings dom0
# and moves 2 MiB each way over it, checked by md5.  Files:
# dom0-tools/tests/mkoverlay-devices.sh.
#
# TIMEOUT: 1500
# XEN-TOOLS: none
# PLANNED: present create create-starts-blkback store-nodes store-perms root-on-xvda block-attach hot-attach-seen block-list block-detach-unknown block-detach hot-detach-seen destroy no-nodes-left phy-create phy-nodes phy-root-data phy-write phy-destroy loop-released phy-readback vif-no-backend vif-create vif-nodes network-attach network-list network-detach vif-destroy kernel-vif kernel-vif-connected kernel-vif-guest-ping kernel-vif-dom0-ping kernel-vif-tx kernel-vif-rx kernel-vif-destroy

TSD=tsd
TSD_IMG=/boot/tsd-root.img
TSD_INITRD=/boot/pvb-initrd.cpio.gz
TSD_LOG=/var/log/xenia/console/guest-$TSD.log
TSD_WAIT=${TSD_WAIT:-240}
BE0=/local/domain/0/backend/vbd

tsd_cfg() {   # tsd_cfg STEPS BACKENDTYPE
    mkdir -p /etc/xen
    cat > /etc/xen/$TSD.cfg <<EOC
name = "$TSD"
kernel = "/boot/vmlinuz"
ramdisk = "$TSD_INITRD"
extra = "console=hvc0 pvb=$1 ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-192}
on_poweroff = "destroy"
on_crash = "preserve"
disk = [ 'format=raw, vdev=xvda, access=rw, backendtype=$2, target=$TSD_IMG' ]
EOC
}

tsd_wait() {   # tsd_wait PATTERN SECONDS
    local i=0
    while [ $i -lt $(($2 * 2)) ]; do
        grep -q "$1" "$TSD_LOG" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

tsd_evidence() {
    dump_file xenia-create /var/log/tsd-create.out 20
    dump_file blkback /var/log/xenia/xenia-blkback.log 30
    dump_file guest-console "$TSD_LOG" 50
    echo "---- xenstore-ls -f backend/vbd, device/vbd, /libxl ----"
    xenstore-ls -f $BE0 2>&1 | head -n 40 | sed 's/^/xs| /'
    xenstore-ls -f /local/domain/${domid:-x}/device 2>&1 | head -n 20 | sed 's/^/xs| /'
    xenstore-ls -f /libxl 2>&1 | head -n 20 | sed 's/^/xs| /'
    xenia list 2>&1 | sed 's/^/list| /'
}

tsd_sums() { grep 'PVB: sum ' "$TSD_LOG" | tr -d '\r' | sed 's/.*PVB: sum //' | sort; }
# The checksums a verify,write guest printed before verify-done (what it
# found) and after it (what it wrote).
tsd_sums_found() { tr -d '\r' < "$TSD_LOG" | sed -n '/PVB: verify-done/q; s/.*PVB: sum //p' | sort; }
tsd_sums_wrote() { tr -d '\r' < "$TSD_LOG" | sed -n '/PVB: verify-done/,/PVB: write-done/s/.*PVB: sum //p' | sort; }

# dom0 reads the root image's /data back (ext4 from the kernel package;
# a plain mount replays the journal of a guest that was destroyed).
tsd_readback() {
    local m
    for m in crc16 crc32c_generic mbcache jbd2 ext4; do
        [ -d /sys/module/$m ] || insmod /lib/modules/$m.ko 2>> /tmp/tsd-insmod.out
    done
    mkdir -p /mnt/tsd
    mount -t ext4 -o loop "$TSD_IMG" /mnt/tsd 2> /tmp/tsd-mount.out || return 1
    for m in f1 f2 f3; do
        [ -f /mnt/tsd/data/$m ] && echo "/data/$m $(sha256sum < /mnt/tsd/data/$m | cut -c1-64)"
    done | sort
    umount /mnt/tsd
}

# tsd_create STEPS BACKENDTYPE: sets domid
tsd_create() {
    domid=
    rm -f "$TSD_LOG"
    tsd_cfg "$1" "$2"
    xenia create /etc/xen/$TSD.cfg > /var/log/tsd-create.out 2>&1 || return 1
    domid=$(xenia domid $TSD 2>&1)
    case "$domid" in ''|*[!0-9]*) echo "xenia domid: '$domid'" >> /var/log/tsd-create.out; return 1 ;; esac
}

# The store holds nothing of domain $1 (bounded wait for the backends).
tsd_gone() {
    local i=0
    while [ $i -lt 20 ]; do
        if ! xenstore-exists $BE0/$1 2>/dev/null && ! xenstore-exists /libxl/$1 2>/dev/null &&
           ! xenstore-exists /local/domain/$1 2>/dev/null; then
            return 0
        fi
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

tsd_run() {
    local be fe v st sum sums1 sums2 sums3 loop n

    if ! command -v xenia > /dev/null || [ ! -x /usr/local/bin/xenia-blkback ] ||
       [ ! -f "$TSD_IMG" ] || [ ! -f "$TSD_INITRD" ]; then
        result present FAIL "xenia, xenia-blkback, $TSD_IMG or $TSD_INITRD missing (make -C pv-drivers; dom0-tools/tests/mkoverlay-devices.sh)"
        return
    fi
    result present PASS "$(ls -l $TSD_IMG | awk '{ print $5 }')-byte root image"
    xenia init-dom0 > /dev/null 2>&1
    if command -v xenia-consoled > /dev/null; then
        xenia-consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    else
        xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    fi

    # ---- user-space backend: create starts it ----
    if tsd_create write,hot xenia; then
        result create PASS "domid $domid: $(head -n 1 /var/log/tsd-create.out)"
    else
        result create FAIL "$(tail -n 3 /var/log/tsd-create.out | tr '\n' ' ')"
        tsd_evidence
        return
    fi
    check create-starts-blkback "pid $(cat /run/xenia-blkback.pid 2>/dev/null)" \
        kill -0 "$(cat /run/xenia-blkback.pid 2>/dev/null)"
    be=$BE0/$domid/51712
    fe=/local/domain/$domid/device/vbd/51712
    v=
    for n in frontend frontend-id params mode online removable bootable dev device-type type; do
        v="$v $n=$(xenstore-read $be/$n 2>/dev/null)"
    done
    for n in backend backend-id virtual-device device-type; do
        v="$v fe.$n=$(xenstore-read $fe/$n 2>/dev/null)"
    done
    check store-nodes "$v" [ "$v" = " frontend=$fe frontend-id=$domid params=$TSD_IMG mode=w online=1 removable=0 bootable=1 dev=xvda device-type=disk type=xenia fe.backend=$be fe.backend-id=0 fe.virtual-device=51712 fe.device-type=disk" ]
    st="backend $(xenstore-ls -p $BE0/$domid 2>&1 | head -n 1 | sed 's/.*(/(/') frontend $(xenstore-ls -p /local/domain/$domid/device/vbd 2>&1 | head -n 1 | sed 's/.*(/(/')"
    check store-perms "$st" [ "$st" = "backend (n0,r$domid) frontend (n$domid,r0)" ]

    if tsd_wait 'PVB: write-done' "$TSD_WAIT"; then
        v=$(grep -m1 'PVB: root-init' "$TSD_LOG" | tr -d '\r')
        st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read $fe/state 2>&1)"
        case "$v" in
        *"/dev/xvda ext4"*) result root-on-xvda PASS "${v#*PVB: }; $st" ;;
        *) result root-on-xvda FAIL "'$v'; $st" ;;
        esac
    else
        result root-on-xvda FAIL "no write-done from the guest"
        tsd_evidence
    fi
    sums1=$(tsd_sums)

    # ---- hot-plug a read-only disk ----
    dd if=/dev/urandom of=/tmp/tsd-b.img bs=64k count=32 2>/dev/null
    sum=$(dd if=/tmp/tsd-b.img bs=64k count=16 2>/dev/null | sha256sum | cut -c1-64)
    if tsd_wait 'PVB: hot-ready' 30 &&
       xenia block-attach $TSD 'vdev=xvdb, access=r, target=/tmp/tsd-b.img' > /tmp/tsd-ba.out 2>&1; then
        result block-attach PASS "xvdb: mode $(xenstore-read $BE0/$domid/51728/mode 2>&1), type $(xenstore-read $BE0/$domid/51728/type 2>&1)"
    else
        result block-attach FAIL "$(cat /tmp/tsd-ba.out 2>/dev/null)"
    fi
    if tsd_wait 'PVB: xvdb-write' 60; then
        v=$(grep 'PVB: xvdb-sum\|PVB: xvdb-ro\|PVB: xvdb-write' "$TSD_LOG" | tr -d '\r' | sed 's/.*PVB: //' | tr '\n' ' ')
        check hot-attach-seen "guest: $v; dom0 sum $sum" eval 'grep -q "PVB: xvdb-sum $sum" "$TSD_LOG" &&
            grep -q "PVB: xvdb-ro 1" "$TSD_LOG" && grep -q "PVB: xvdb-write refused" "$TSD_LOG"'
    else
        result hot-attach-seen FAIL "the guest never saw /dev/xvdb"
        tsd_evidence
    fi
    v=$(xenia block-list $TSD 2>&1)
    echo "$v" | sed 's/^/block-list| /'
    check block-list "$(echo "$v" | awk 'NR > 1 { printf "%s state %s; ", $1, $4 }')" \
        eval 'echo "$v" | grep -q "^51712 .* 4 " && echo "$v" | grep -q "^51728 .* 4 "'
    v=$(xenia block-detach $TSD xvdc 2>&1); n=$?
    check block-detach-unknown "exit $n: $v" eval '[ $n = 1 ] && echo "$v" | grep -q "no vbd device 51744"'
    v=$(xenia block-detach $TSD xvdb 2>&1); n=$?
    check block-detach "exit $n $v; backend $(xenstore-exists $BE0/$domid/51728 2>/dev/null && echo left || echo removed)" \
        eval '[ $n = 0 ] && ! xenstore-exists $BE0/$domid/51728 2>/dev/null &&
              ! xenstore-exists /local/domain/$domid/device/vbd/51728 2>/dev/null &&
              ! xenstore-exists /libxl/$domid/device/vbd/51728 2>/dev/null'
    if tsd_wait 'PVB: xvdb-gone\|PVB: xvdb-still' 60 && grep -q 'PVB: xvdb-gone' "$TSD_LOG"; then
        result hot-detach-seen PASS "the guest's /dev/xvdb went away"
    else
        result hot-detach-seen FAIL "$(grep 'PVB: xvdb' "$TSD_LOG" | tail -n 1 | tr -d '\r')"
    fi

    # ---- destroy: nothing left ----
    if xenia destroy $TSD > /tmp/tsd-destroy.out 2>&1; then
        result destroy PASS "domain $domid"
    else
        result destroy FAIL "$(cat /tmp/tsd-destroy.out)"
    fi
    if tsd_gone $domid; then
        n=0
        while [ -d /run/xenia/vbd/$domid-51712 ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
        check no-nodes-left "backend/vbd/$domid, /libxl/$domid, /local/domain/$domid gone; blkback stats dir $( [ -d /run/xenia/vbd/$domid-51712 ] && echo left || echo gone)" \
            [ ! -d /run/xenia/vbd/$domid-51712 ]
    else
        result no-nodes-left FAIL "left: $(xenstore-ls -f $BE0/$domid /libxl/$domid 2>&1 | head -n 5 | tr '\n' ' ')"
    fi
    kill "$(cat /run/xenia-blkback.pid 2>/dev/null)" 2>/dev/null
    n=0
    while [ -f /run/xenia-blkback.pid ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done

    # ---- Linux's blkback on a loop device (backendtype=phy) ----
    # (loaded only now: it probes every backend/vbd device, ours included)
    for m in loop xen-blkback; do
        [ -d /sys/module/$(echo $m | tr - _) ] || insmod /lib/modules/$m.ko 2>> /tmp/tsd-insmod.out
    done
    if tsd_create verify,write phy; then
        result phy-create PASS "domid $domid"
    else
        result phy-create FAIL "$(tail -n 3 /var/log/tsd-create.out | tr '\n' ' ') $(cat /tmp/tsd-insmod.out 2>/dev/null)"
        tsd_evidence
        result phy-nodes FAIL "no guest"; result phy-root-data FAIL "no guest"
        result phy-write FAIL "no guest"
        result phy-destroy FAIL "no guest"; result loop-released FAIL "no guest"
        result phy-readback FAIL "no guest"
        tsd_vif
        return
    fi
    be=$BE0/$domid/51712
    loop=$(xenstore-read $be/params 2>/dev/null)
    v="params=$loop type=$(xenstore-read $be/type 2>&1) physical-device=$(xenstore-read $be/physical-device 2>&1) libxl-loop=$(xenstore-read /libxl/$domid/device/vbd/51712/loop 2>&1)"
    check phy-nodes "$v" eval 'case "$loop" in /dev/loop[0-9]*) true ;; *) false ;; esac &&
        [ "$(xenstore-read $be/type)" = phy ] && [ "$(xenstore-read /libxl/$domid/device/vbd/51712/loop)" = "$loop" ] &&
        [ "$(cat /sys/block/${loop#/dev/}/loop/backing_file 2>/dev/null)" = "$TSD_IMG" ]'
    sums3=
    if tsd_wait 'PVB: write-done' "$TSD_WAIT"; then
        sums2=$(tsd_sums_found)
        v=$(grep -m1 'PVB: root-init' "$TSD_LOG" | tr -d '\r')
        check phy-root-data "${v#*PVB: }; $(echo "$sums2" | wc -l) checksums as written through xenia-blkback" \
            eval 'echo "$v" | grep -q "/dev/xvda ext4" && [ -n "$sums1" ] && [ "$sums1" = "$sums2" ]'
        # new files written (fsync) through Linux's blkback: new checksums
        sums3=$(tsd_sums_wrote)
        check phy-write "$(echo "$sums3" | grep -c .) files rewritten through the loop device" \
            eval '[ "$(echo "$sums3" | grep -c /data/)" = 3 ] && [ "$sums3" != "$sums1" ]'
    else
        result phy-root-data FAIL "no write-done from the guest"
        result phy-write FAIL "no write-done from the guest"
        tsd_evidence
    fi
    if xenia destroy $TSD > /tmp/tsd-destroy.out 2>&1 && tsd_gone $domid; then
        result phy-destroy PASS "domain $domid, its nodes gone"
    else
        result phy-destroy FAIL "$(cat /tmp/tsd-destroy.out) $(xenstore-ls -f $BE0/$domid /libxl/$domid 2>&1 | head -n 5 | tr '\n' ' ')"
    fi
    n=0
    while [ -e /sys/block/${loop#/dev/}/loop/backing_file ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
    check loop-released "$loop: $( [ -e /sys/block/${loop#/dev/}/loop/backing_file ] && echo "still bound to $(cat /sys/block/${loop#/dev/}/loop/backing_file)" || echo free)" \
        [ ! -e /sys/block/${loop#/dev/}/loop/backing_file ]
    # what the guest wrote through blkback, read back from the image
    v=$(tsd_readback)
    check phy-readback "$(echo "$v" | grep -c /data/) files read back by dom0 $(cat /tmp/tsd-mount.out 2>/dev/null)" \
        eval '[ -n "$sums3" ] && [ "$v" = "$sums3" ]'
    tsd_vif
}

# vifs (no variable named c or d in a check's command: check() has those
# as locals).  Without xenia-netback: a vif config is refused, nothing left
# behind.  With it: a paused guest (no netfront runs: the toolstack's
# part only) gets a vif from the config and one from network-attach, with
# xl's nodes; network-detach and destroy remove them.
tsd_vif() {
    local v n before after be vd
    if [ ! -x /usr/local/bin/xenia-netback ]; then
        before=$(xenia list 2>/dev/null | wc -l)
        tsd_cfg verify xenia
        echo "vif = [ 'bridge=xenbr0' ]" >> /etc/xen/$TSD.cfg
        v=$(xenia create /etc/xen/$TSD.cfg 2>&1); n=$?
        after=$(xenia list 2>/dev/null | wc -l)
        check vif-no-backend "exit $n: $(echo "$v" | head -n 1); domains $before -> $after" \
            eval '[ $n = 1 ] && echo "$v" | grep -q "xenia-netback, which is not installed" && [ "$before" = "$after" ]'
        for c in vif-create vif-nodes network-attach network-list network-detach vif-destroy; do
            result $c SKIP "xenia-netback is not installed here"
        done
        tsd_vif_kernel
        return
    fi
    result vif-no-backend SKIP "xenia-netback is installed here"
    for m in llc stp bridge tun; do
        [ -d /sys/module/$m ] || insmod /lib/modules/$m.ko 2>> /tmp/tsd-insmod.out
    done
    mkdir -p /etc/xen
    cat > /etc/xen/tsdnet.cfg <<EOC
name = "tsdnet"
kernel = "/boot/vmlinuz"
memory = 128
vif = [ 'mac=00:16:3e:0a:0b:0c, bridge=xenbr0' ]
EOC
    if xenia create -p /etc/xen/tsdnet.cfg > /tmp/tsd-vif.out 2>&1; then
        vd=$(xenia domid tsdnet)
        result vif-create PASS "domid $vd, netback pid $(cat /run/xenia-netback.pid 2>/dev/null), bridge xenbr0 $( [ -d /sys/class/net/xenbr0/bridge ] && echo present || echo missing)"
    else
        result vif-create FAIL "$(tail -n 2 /tmp/tsd-vif.out | tr '\n' ' ')"
        for c in vif-nodes network-attach network-list network-detach vif-destroy; do
            result $c FAIL "no guest"
        done
        kill "$(cat /run/xenia-netback.pid 2>/dev/null)" 2>/dev/null
        tsd_vif_kernel
        return
    fi
    be=/local/domain/0/backend/vif/$vd/0
    v=
    for n in frontend frontend-id online handle mac bridge type; do
        v="$v $n=$(xenstore-read $be/$n 2>/dev/null)"
    done
    for n in backend backend-id handle mac; do
        v="$v fe.$n=$(xenstore-read /local/domain/$vd/device/vif/0/$n 2>/dev/null)"
    done
    check vif-nodes "$v" [ "$v" = " frontend=/local/domain/$vd/device/vif/0 frontend-id=$vd online=1 handle=0 mac=00:16:3e:0a:0b:0c bridge=xenbr0 type=xenia fe.backend=$be fe.backend-id=0 fe.handle=0 fe.mac=00:16:3e:0a:0b:0c" ]
    v=$(xenia network-attach tsdnet 'bridge=xenbr0' 2>&1); n=$?
    check network-attach "exit $n: $v; type $(xenstore-read /local/domain/0/backend/vif/$vd/1/type 2>&1)" \
        eval '[ $n = 0 ] && echo "$v" | grep -q "^vif 1: mac 00:16:3e:" &&
              [ -n "$(xenstore-read /local/domain/$vd/device/vif/1/mac)" ] &&
              [ "$(xenstore-read /local/domain/$vd/device/vif/1/mac)" = "$(xenstore-read /local/domain/0/backend/vif/$vd/1/mac)" ]'
    v=$(xenia network-list tsdnet 2>&1)
    echo "$v" | sed 's/^/network-list| /'
    check network-list "$(echo "$v" | awk 'NR > 1 { printf "%s %s; ", $1, $3 }')" \
        eval 'echo "$v" | grep -q "^0 .* 00:16:3e:0a:0b:0c " && echo "$v" | grep -q "^1 "'
    v=$(xenia network-detach tsdnet 00:16:3e:0a:0b:0c 2>&1); n=$?
    check network-detach "exit $n $v" \
        eval '[ $n = 0 ] && ! xenstore-exists $be 2>/dev/null && ! xenstore-exists /local/domain/$vd/device/vif/0 2>/dev/null &&
              xenstore-exists /local/domain/0/backend/vif/$vd/1 2>/dev/null'
    xenia destroy tsdnet > /tmp/tsd-destroy.out 2>&1
    check vif-destroy "$(cat /tmp/tsd-destroy.out) $(xenstore-ls -f /local/domain/0/backend/vif/$vd 2>&1 | head -n 3 | tr '\n' ' ')" \
        eval 'tsd_gone $vd && ! xenstore-exists /local/domain/0/backend/vif/$vd 2>/dev/null'
    kill "$(cat /run/xenia-netback.pid 2>/dev/null)" 2>/dev/null
    tsd_vif_kernel
}

# Linux's netback (loaded only now, with no xenia vif left: it probes every
# backend/vif device): the toolstack does xl's vif-bridge job, vifN.0
# joined to the bridge and hotplug-status connected.  The guest (pv-net's
# initramfs: xen-netfront, eth0 10.0.0.2) pings dom0 (xenbr1, 10.0.0.1),
# sends 2 MiB to dom0's port 5001 and takes 2 MiB on its port 5002, md5s
# compared.  Destroy removes vifN.0.
TSK_LOG=/var/log/xenia/console/guest-tsdknet.log
tsk_wait() {   # tsk_wait PATTERN SECONDS
    local i=0
    while [ $i -lt $(($2 * 2)) ]; do
        grep -q "$1" "$TSK_LOG" 2>/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
tsk_line() { grep "PVN: $1" "$TSK_LOG" 2>/dev/null | tr -d '\r' | tail -n 1 | sed "s/.*PVN: $1 *//"; }

tsd_vif_kernel() {
    local v n be fe vd st sum lpid
    n=0
    while [ -f /run/xenia-netback.pid ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
    for m in llc stp bridge xen-netback; do
        [ -d /sys/module/$(echo $m | tr - _) ] || insmod /lib/modules/$m.ko 2>> /tmp/tsd-insmod.out
    done
    # dom0's address on the bridge the toolstack joins vifN.0 to
    ip link add xenbr1 type bridge 2> /tmp/tsd-br1.out &&
        ip addr add 10.0.0.1/24 dev xenbr1 2>> /tmp/tsd-br1.out &&
        ip link set xenbr1 up 2>> /tmp/tsd-br1.out
    rm -f "$TSK_LOG"
    cat > /etc/xen/tsdknet.cfg <<EOC
name = "tsdknet"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/pvn-initrd.cpio.gz"
extra = "console=hvc0 ${GUEST_EXTRA:-}"
memory = 128
vif = [ 'mac=00:16:3e:0a:0b:0d, bridge=xenbr1, backendtype=kernel' ]
EOC
    if [ ! -f /boot/pvn-initrd.cpio.gz ] || ! xenia create -p /etc/xen/tsdknet.cfg > /tmp/tsd-kvif.out 2>&1; then
        result kernel-vif FAIL "$(tail -n 2 /tmp/tsd-kvif.out 2>/dev/null | tr '\n' ' ') $(cat /tmp/tsd-insmod.out 2>/dev/null) $(ls /boot/pvn-initrd.cpio.gz 2>&1)"
        for n in kernel-vif-connected kernel-vif-guest-ping kernel-vif-dom0-ping kernel-vif-tx kernel-vif-rx kernel-vif-destroy; do
            result $n FAIL "no guest"
        done
        return
    fi
    vd=$(xenia domid tsdknet)
    be=/local/domain/0/backend/vif/$vd/0
    fe=/local/domain/$vd/device/vif/0
    v="type=$(xenstore-read $be/type 2>&1) hotplug-status=$(xenstore-read $be/hotplug-status 2>&1) master=$(basename "$(readlink /sys/class/net/vif$vd.0/master 2>/dev/null)" 2>/dev/null) up=$(cat /sys/class/net/vif$vd.0/flags 2>/dev/null)"
    check kernel-vif "$v (backend state $(xenstore-read $be/state 2>&1))" eval 'case "$v" in
        "type=vif hotplug-status=connected master=xenbr1 up="*) true ;; *) false ;; esac &&
        [ $(( $(cat /sys/class/net/vif$vd.0/flags) & 1 )) = 1 ]'

    # dom0's side of the transfers (a listener whose stdin stays open)
    dd if=/dev/urandom of=/tmp/tsk-out bs=64k count=32 2>/dev/null
    sleep 3600 | nc -l -p 5001 > /tmp/tsk-in &
    lpid=$!
    xenia unpause tsdknet
    if tsk_wait 'PVN: eth0 up' "$TSD_WAIT"; then
        n=0
        while st="backend $(xenstore-read $be/state 2>&1) frontend $(xenstore-read $fe/state 2>&1)" &&
              [ "$st" != "backend 4 frontend 4" ] && [ $n -lt 40 ]; do
            sleep 0.5; n=$((n + 1))
        done
        v=$(tsk_line 'eth0 up')
        check kernel-vif-connected "$st, guest eth0 $v" \
            [ "$st" = "backend 4 frontend 4" -a "$v" = 00:16:3e:0a:0b:0d ]
    else
        result kernel-vif-connected FAIL "the guest never brought eth0 up"
        dump_file guest-console "$TSK_LOG" 40
    fi
    if tsk_wait 'PVN: ping ' 60; then
        v=$(tsk_line ping)
        case "$v" in ok*) result kernel-vif-guest-ping PASS "$v" ;; *) result kernel-vif-guest-ping FAIL "$v" ;; esac
    else
        result kernel-vif-guest-ping FAIL "no ping report from the guest"
    fi
    ping -c 5 -W 10 10.0.0.2 > /tmp/tsk-ping.out 2>&1
    check kernel-vif-dom0-ping "$(grep -o '[0-9]* packets received' /tmp/tsk-ping.out)" \
        grep -q ' [1-5] packets received' /tmp/tsk-ping.out
    # guest -> dom0 (netback's rx from the guest)
    if tsk_wait 'PVN: sent ' 120; then
        n=0
        while kill -0 $lpid 2>/dev/null && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
        sum=$(md5sum < /tmp/tsk-in | cut -d' ' -f1)
        v="guest $(tsk_line gsum), dom0 $sum, $(wc -c < /tmp/tsk-in) bytes, $(tsk_line sent)"
        check kernel-vif-tx "$v" [ "$(tsk_line gsum)" = "$sum" -a "$(wc -c < /tmp/tsk-in)" = 2097152 ]
    else
        result kernel-vif-tx FAIL "the guest never finished sending"
        dump_file guest-console "$TSK_LOG" 30
    fi
    kill $lpid 2>/dev/null
    # dom0 -> guest
    if tsk_wait 'PVN: listening' 30; then
        n=0
        while [ $n -lt 10 ]; do
            timeout 120 nc 10.0.0.2 5002 < /tmp/tsk-out && break
            n=$((n + 1)); sleep 1
        done
        tsk_wait 'PVN: rsum' 60
        sum=$(md5sum < /tmp/tsk-out | cut -d' ' -f1)
        v=$(tsk_line rsum)
        check kernel-vif-rx "guest $v, dom0 $sum; vif$vd.0 rx_bytes $(cat /sys/class/net/vif$vd.0/statistics/rx_bytes 2>&1) tx_bytes $(cat /sys/class/net/vif$vd.0/statistics/tx_bytes 2>&1)" \
            [ "$v" = "$sum 2097152" ]
    else
        result kernel-vif-rx FAIL "the guest never listened"
    fi
    xenia destroy tsdknet > /tmp/tsd-destroy.out 2>&1
    n=0
    while [ -e /sys/class/net/vif$vd.0 ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
    check kernel-vif-destroy "$(cat /tmp/tsd-destroy.out) vif$vd.0 $( [ -e /sys/class/net/vif$vd.0 ] && echo left || echo gone)" \
        eval 'tsd_gone $vd && ! xenstore-exists $be 2>/dev/null && [ ! -e /sys/class/net/vif$vd.0 ]'
}

tsd_run
