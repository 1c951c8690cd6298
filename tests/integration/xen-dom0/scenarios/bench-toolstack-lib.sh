# The body of the bench-toolstack-xenia and bench-toolstack-xl scenarios
# (sourced by them): BENCH_REPS times, create a Linux PV guest (the Debian
# kernel and the busybox initramfs, as the toolstack scenario), time the
# create command, the time from the start of create until the guest's
# console shows its /init marker, and destroy.  Medians are printed as
# "BENCH: figure unit value".  BT_TOOL is xenia or xl; BT_LOG the guest's
# console log as that tool's console daemon writes it.

BENCH_REPS=${BENCH_REPS:-3}
BT_GUEST=benchguest
BT_CFG=/etc/xen/$BT_GUEST.cfg
mkdir -p /etc/xen

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
ms_to_s() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }

bt_run() {
    local r t0 t1 t2 t3 creates= inits= destroys= bad=
    cat > "$BT_CFG" <<EOC
name = "$BT_GUEST"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/domu.cpio.gz"
extra = "console=hvc0"
memory = 192
vcpus = 1
on_poweroff = "destroy"
EOC
    for r in $(seq 1 "$BENCH_REPS"); do
        rm -f "$BT_LOG"
        t0=$(now_ms)
        if ! $BT_TOOL create "$BT_CFG" > /tmp/bt-create.out 2>&1; then
            bad="create failed in run $r: $(tail -n 2 /tmp/bt-create.out | tr '\n' ' ')"
            break
        fi
        t1=$(now_ms)
        i=0
        while ! grep -q "XENIA-DOMU: init reached" "$BT_LOG" 2>/dev/null; do
            i=$((i + 1))
            [ $i -gt 3000 ] && break
            sleep 0.1
        done
        t2=$(now_ms)
        if [ $i -gt 3000 ]; then
            bad="run $r: no /init marker in $BT_LOG after 300 s"
            $BT_TOOL destroy $BT_GUEST > /dev/null 2>&1
            break
        fi
        $BT_TOOL destroy $BT_GUEST > /tmp/bt-destroy.out 2>&1 ||
            { bad="destroy failed in run $r: $(cat /tmp/bt-destroy.out)"; break; }
        t3=$(now_ms)
        echo "bench| run $r: create $((t1 - t0)) ms, to /init $((t2 - t0)) ms, destroy $((t3 - t2)) ms"
        creates="$creates $((t1 - t0))"
        inits="$inits $((t2 - t0))"
        destroys="$destroys $((t3 - t2))"
        sleep 1
    done
    if [ -n "$bad" ]; then
        result bench-create FAIL "$bad"
        result bench-destroy FAIL "$bad"
        return
    fi
    local mc mi md
    mc=$(printf '%s\n' $creates | median)
    mi=$(printf '%s\n' $inits | median)
    md=$(printf '%s\n' $destroys | median)
    echo "BENCH: toolstack_create_cmd s $(ms_to_s "$mc")"
    echo "BENCH: toolstack_create_to_init s $(ms_to_s "$mi")"
    echo "BENCH: toolstack_destroy s $(ms_to_s "$md")"
    result bench-create PASS "$BT_TOOL: create command median $mc ms, to /init $mi ms (runs:$inits)"
    result bench-destroy PASS "$BT_TOOL: destroy median $md ms (runs:$destroys)"
}
