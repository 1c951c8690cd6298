# Scenario bench-pv (make bench; never in make check): block and network
# throughput of a Linux PV guest through our user-space backends
# (xenia-blkback, xenia-netback; docs/pv-drivers.md) and through Linux's
# kernel backends (xen-blkback on a loop device: backendtype=phy;
# xen-netback: backendtype=kernel), in one dom0 boot.  The two run one
# after the other, each with its own guest: Linux's backends, once
# loaded, probe every device under backend/vbd and backend/vif whatever
# its type, so they are loaded only after our daemons have gone.
#
# The guest (pv-drivers/tests/bench/: the Debian kernel, an initramfs with
# busybox and Debian's fio) has one disk, xvda, a PVB_SIZE (32) MiB raw image
# in dom0's memory (the same file for both backends: ours opens it
# directly, the kernel's through a loop device), and one vif on bridge
# xenbr0 (dom0 10.0.0.1, guest 10.0.0.2).  Per round (PVB_REPS, 3): fio
# 1 MiB sequential write and read (iodepth 4) and 4 KiB random write and
# read (iodepth 16), direct I/O with libaio, PVB_SECS (4) seconds each;
# then PVB_MB (8) MiB over TCP guest -> dom0 (timed by dom0 from the
# first byte to the end) and dom0 -> guest (timed in the guest likewise).
# Figures are medians of the rounds, printed as "BENCH: figure unit
# value"; the Makefile's bench-pv target joins the Xenia and Xen 4.17
# boots into build/bench/pv-drivers.rows.  Benchmark goals, never checks:
# the checks only say whether each half ran and produced its figures.
#
# TIMEOUT: 2400
# XEN-TOOLS: none
# PLANNED: present setup xenia-guest xenia-figures kernel-guest kernel-figures

PVB=pvbench
PVB_INITRD=/boot/pvbench-initrd.cpio.gz
PVB_LOG=/var/log/xenia/console/guest-$PVB.log
PVB_IMG=/var/tmp/pvbench.img
PVB_REPS=${PVB_REPS:-3}
PVB_SECS=${PVB_SECS:-4}
PVB_SIZE=${PVB_SIZE:-32}
PVB_MB=${PVB_MB:-8}
PVB_WAIT=${PVB_WAIT:-1500}
PVB_STALL=${PVB_STALL:-300}
MODS=/lib/modules/pvbench

bench() { echo "BENCH: $*"; echo "$*" >> /tmp/pvb-bench.txt; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

pvb_evidence() {
    dump_file xenia-create /var/log/pvb-create.out 20
    dump_file blkback /var/log/xenia/xenia-blkback.log 20
    dump_file guest-console "$PVB_LOG" 60
    xenstore-ls -f /local/domain/0/backend 2>&1 | head -n 40 | sed 's/^/xs| /'
    xenstore-ls -f /local/domain/0/error 2>&1 | head -n 10 | sed 's/^/xs| /'
}

# pvb_listen TAG PORT: dom0's ends of the transfers, one pair per round:
# PORT+r receives (stdin held open, else busybox nc would shut its side at
# once) and writes "bytes ms" from its first byte to the end into
# /tmp/pvb-TAG-tx-r; PORT+100+r sends PVB_MB MiB of zeros.
pvb_listen() {
    local r=1
    [ -p /tmp/pvb-hold ] || mkfifo /tmp/pvb-hold
    exec 7<> /tmp/pvb-hold
    while [ $r -le "$PVB_REPS" ]; do
        rm -f /tmp/pvb-$1-tx-$r
        ( nc -l -p $(($2 + r)) <&7 | {
              dd bs=1 count=1 of=/dev/null 2> /dev/null
              t0=$(now_ms); n=$(wc -c); t1=$(now_ms)
              echo "$((n + 1)) $((t1 - t0))" > /tmp/pvb-$1-tx-$r; } ) &
        ( dd if=/dev/zero bs=64k count=$((PVB_MB * 16)) 2> /dev/null |
              nc -l -p $(($2 + 100 + r)) > /dev/null ) &
        r=$((r + 1))
    done
}

# pvb_half TAG DISK-BACKENDTYPE VIF-BACKENDTYPE-OPTION PORT: one guest, its
# figures printed as BENCH lines (TAG: xenia or kernel); checks TAG-guest
# and TAG-figures.
pvb_half() {
    local tag=$1 bt=$2 vifopt=$3 port=$4 domid v job f n bad= r sz seen last
    rm -f "$PVB_LOG"
    pvb_listen "$tag" "$port"
    mkdir -p /etc/xen
    cat > /etc/xen/$PVB.cfg <<EOC
name = "$PVB"
kernel = "/boot/vmlinuz"
ramdisk = "$PVB_INITRD"
extra = "console=hvc0 pvb_reps=$PVB_REPS pvb_secs=$PVB_SECS pvb_size=$PVB_SIZE pvb_mb=$PVB_MB pvb_port=$port ${GUEST_EXTRA:-}"
memory = ${GUEST_MEM:-384}
vcpus = 1
on_poweroff = "destroy"
on_crash = "preserve"
disk = [ 'format=raw, vdev=xvda, access=rw, backendtype=$bt, target=$PVB_IMG' ]
vif = [ 'mac=00:16:3e:0b:0e:01, bridge=xenbr0$vifopt' ]
EOC
    if ! xenia create /etc/xen/$PVB.cfg > /var/log/pvb-create.out 2>&1; then
        result $tag-guest FAIL "xenia create: $(tail -n 3 /var/log/pvb-create.out | tr '\n' ' ')"
        result $tag-figures FAIL "no guest"
        pvb_evidence
        return
    fi
    domid=$(xenia domid $PVB 2>/dev/null)
    # until done, or PVB_STALL seconds without a new line from the guest
    # (timed by the clock: under load one round of this loop takes far
    # more than its 2 s sleep)
    n=$(now_ms) seen=0 last=$(now_ms)
    while ! grep -q 'PVPERF: done\|PVPERF: FATAL' "$PVB_LOG" 2>/dev/null; do
        v=$(grep -c 'PVPERF: ' "$PVB_LOG" 2>/dev/null)
        if [ "${v:-0}" != "$seen" ]; then
            grep 'PVPERF: ' "$PVB_LOG" | tail -n $(( ${v:-0} - seen )) | tr -d '\r' |
                sed 's/.*PVPERF: /bench-pv: guest at: /'
            seen=${v:-0} last=$(now_ms)
        fi
        [ $(( $(now_ms) - last )) -gt $((PVB_STALL * 1000)) ] && break
        [ $(( $(now_ms) - n )) -gt $((PVB_WAIT * 1000)) ] && break
        sleep 2
    done
    n=$(( ($(now_ms) - n) / 2000 )) last=$(( ($(now_ms) - last) / 2000 ))
    grep 'PVPERF: ' "$PVB_LOG" 2>/dev/null | tr -d '\r' | sed 's/.*PVPERF: /guest| /'
    if grep -q 'PVPERF: done' "$PVB_LOG"; then
        result $tag-guest PASS "domid $domid, disk backendtype $bt (type $(xenstore-read /local/domain/0/backend/vbd/$domid/51712/type 2>&1)), vif type $(xenstore-read /local/domain/0/backend/vif/$domid/0/type 2>&1); $(grep -m1 'PVPERF: fio-' "$PVB_LOG" | tr -d '\r' | sed 's/.*PVPERF: //')"
    else
        result $tag-guest FAIL "$(grep 'PVPERF: FATAL' "$PVB_LOG" | tr -d '\r' | sed 's/.*PVPERF: //') no 'done' after $((n * 2)) s (last guest line $((last * 2)) s before)"
        pvb_evidence
    fi
    xenia destroy $PVB > /tmp/pvb-destroy.out 2>&1 || echo "bench-pv: destroy: $(cat /tmp/pvb-destroy.out)"

    # figures: medians over the rounds
    v=
    for job in seqwrite seqread randwrite randread; do
        f=$(grep "PVPERF: fio $job " "$PVB_LOG" | tr -d '\r' | sed 's/.*PVPERF: fio //')
        n=$(echo "$f" | grep -c .)
        [ "$n" = "$PVB_REPS" ] || bad="$bad $job:$n/$PVB_REPS"
        [ "$n" -gt 0 ] || continue
        case $job in seq*) sz=1m ;; *) sz=4k ;; esac
        r=$(echo "$f" | awk '{ print $3 }' | median)
        bench "pv_blk_${job}_${sz}_${tag} MiB/s $(awk -v k="$r" 'BEGIN { printf "%.2f", k / 1024 }')"
        case $job in rand*)
            bench "pv_blk_${job}_${sz}_${tag}_iops ops/s $(echo "$f" | awk '{ print $4 }' | median)" ;;
        esac
        v="$v $job $(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')"
    done
    f=
    for r in $(seq 1 "$PVB_REPS"); do
        [ -s /tmp/pvb-$tag-tx-$r ] && f="$f
$(cat /tmp/pvb-$tag-tx-$r)"
    done
    n=$(echo "$f" | awk -v want=$((PVB_MB * 1048576)) '$1 == want && $2 > 0' | grep -c .)
    [ "$n" = "$PVB_REPS" ] || bad="$bad tx:$n/$PVB_REPS"
    if [ "$n" -gt 0 ]; then
        r=$(echo "$f" | awk -v want=$((PVB_MB * 1048576)) '$1 == want && $2 > 0 { printf "%.2f\n", $1 / 1048576 / ($2 / 1000) }' | median)
        bench "pv_net_tx_${tag} MiB/s $r"
        v="$v tx $r"
    fi
    f=$(grep "PVPERF: rx " "$PVB_LOG" | tr -d '\r' | sed 's/.*PVPERF: rx //' |
        awk -v want=$((PVB_MB * 1048576)) '$2 == want && $4 > 0 { printf "%.2f\n", $2 / 1048576 / ($4 / 1000) }')
    n=$(echo "$f" | grep -c .)
    [ "$n" = "$PVB_REPS" ] || bad="$bad rx:$n/$PVB_REPS"
    if [ "$n" -gt 0 ]; then
        r=$(echo "$f" | median)
        bench "pv_net_rx_${tag} MiB/s $r"
        v="$v rx $r"
    fi
    if [ -z "$bad" ]; then
        result $tag-figures PASS "MiB/s:$v"
    else
        result $tag-figures FAIL "missing or bad rounds:$bad; got MiB/s:$v"
    fi
}

pvb_run() {
    local m v n f

    if ! command -v xenia > /dev/null || [ ! -x /usr/local/bin/xenia-blkback ] ||
       [ ! -x /usr/local/bin/xenia-netback ] || [ ! -f "$PVB_INITRD" ] || [ ! -d $MODS ]; then
        result present FAIL "xenia, xenia-blkback, xenia-netback, $PVB_INITRD or $MODS missing (make -C tests/integration bench-pv builds them)"
        return
    fi
    result present PASS "guest initramfs $(ls -l $PVB_INITRD | awk '{ print $5 }') bytes"
    xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1
    xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    v=
    for m in tun llc stp bridge; do
        [ -d /sys/module/$m ] || insmod $MODS/$m.ko 2>> /tmp/pvb-insmod.out || v="$v $m"
    done
    [ -c /dev/net/tun ] || { mkdir -p /dev/net; mknod /dev/net/tun c 10 200; }
    ip link add xenbr0 type bridge 2> /tmp/pvb-br.out &&
        ip addr add 10.0.0.1/24 dev xenbr0 2>> /tmp/pvb-br.out &&
        ip link set xenbr0 up 2>> /tmp/pvb-br.out
    mkdir -p /var/tmp
    dd if=/dev/zero of=$PVB_IMG bs=1M count="$PVB_SIZE" 2> /tmp/pvb-dd.out
    n=$(ls -l $PVB_IMG 2>/dev/null | awk '{ print $5 }')
    if [ -n "$v" ] || [ ! -d /sys/class/net/xenbr0/bridge ] || [ "$n" != $((PVB_SIZE * 1048576)) ]; then
        result setup FAIL "modules failed:${v:- none}; bridge: $(cat /tmp/pvb-br.out); image ${n:-missing} bytes $(cat /tmp/pvb-dd.out | tr '\n' ' ')"
        return
    fi
    result setup PASS "xenbr0 10.0.0.1/24, $PVB_IMG $n bytes; $PVB_REPS rounds, fio ${PVB_SECS} s per job on ${PVB_SIZE} MiB, $PVB_MB MiB per transfer; free: $(free -m | awk '/Mem:/ { print $4 }') MiB"
    echo "bench-pv: $(free -m | awk '/Mem:/ { print "dom0 memory used " $3 " MiB, free " $4 " MiB" }')"

    # ---- ours: xenia-blkback on the image file, xenia-netback ----
    pvb_half xenia xenia "" 5100
    for f in /run/xenia-blkback.pid /run/xenia-netback.pid; do
        kill "$(cat $f 2>/dev/null)" 2>/dev/null
    done
    n=0
    while { [ -f /run/xenia-blkback.pid ] || [ -f /run/xenia-netback.pid ]; } && [ $n -lt 20 ]; do
        sleep 0.5; n=$((n + 1))
    done

    # ---- Linux's: xen-blkback on a loop device, xen-netback ----
    v=
    for m in loop xen-blkback xen-netback; do
        [ -d /sys/module/$(echo $m | tr - _) ] || insmod $MODS/$m.ko 2>> /tmp/pvb-insmod.out || v="$v $m"
    done
    if [ -n "$v" ]; then
        result kernel-guest FAIL "insmod failed:$v $(cat /tmp/pvb-insmod.out | tr '\n' ' ')"
        result kernel-figures FAIL "no guest"
    else
        pvb_half kernel phy ", backendtype=kernel" 5500
    fi
}

rm -f /tmp/pvb-bench.txt
pvb_run
# ratios: ours over the kernel's (> 1: ours is faster)
awk '
    { val[$1] = $3; unit[$1] = $2; order[++n] = $1 }
    END {
        for (i = 1; i <= n; i++) {
            f = order[i]
            if (f !~ /_xenia(_iops)?$/) continue
            k = f; sub(/_xenia/, "_kernel", k)
            if (!(k in val) || val[k] + 0 == 0) continue
            r = f; sub(/_xenia/, "_ours_over_kernel", r)
            printf "BENCH: %s ratio %.3f\n", r, val[f] / val[k]
        }
    }' /tmp/pvb-bench.txt 2>/dev/null
