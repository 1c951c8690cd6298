#!/bin/sh
# /init of the bench-pv guest (pv-drivers/tests/bench/mkguest.sh): loads
# xen-blkfront and xen-netfront, runs fio on the raw disk /dev/xvda
# (direct I/O, libaio), then TCP transfers with dom0 (10.0.0.1) over eth0
# (10.0.0.2/24), and reports on its console as "PVPERF: " lines that
# dom0's scenario (tests/integration/xen-dom0/scenarios/bench-pv.sh)
# reads.  Its parameters come from the kernel command line:
#   pvb_reps=N  rounds (each: four fio jobs, one transfer each way)
#   pvb_secs=S  seconds per fio job     pvb_size=M  MiB of the disk used
#   pvb_mb=M    MiB per transfer       pvb_port=P  dom0's ports (5100)
# Transfers: guest to dom0 on port P+round (dom0 times its receipt),
# dom0 to guest on port P+100+round (timed here, from the first byte to
# the end, with /proc/uptime's centiseconds).  Then it idles: dom0
# destroys it.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "PVPERF: initramfs"
reps=3 secs=4 size=32 mb=8 port=5100
for a in $(cat /proc/cmdline); do
    case "$a" in
    pvb_reps=*) reps=${a#*=} ;;
    pvb_secs=*) secs=${a#*=} ;;
    pvb_size=*) size=${a#*=} ;;
    pvb_mb=*) mb=${a#*=} ;;
    pvb_port=*) port=${a#*=} ;;
    esac
done
idle() { while :; do sleep 10; done; }
insmod /lib/modules/xen-blkfront.ko || echo "PVPERF: insmod xen-blkfront failed"
insmod /lib/modules/xen-netfront.ko || echo "PVPERF: insmod xen-netfront failed"
i=0
while { [ ! -b /dev/xvda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 300 ]; do
    sleep 0.2; i=$((i + 1))
done
if [ ! -b /dev/xvda ] || [ ! -e /sys/class/net/eth0 ]; then
    echo "PVPERF: FATAL xvda $( [ -b /dev/xvda ] && echo present || echo missing), eth0 $( [ -e /sys/class/net/eth0 ] && echo present || echo missing)"
    dmesg | tail -n 20
    idle
fi
echo "PVPERF: xvda $(cat /sys/block/xvda/size) sectors"
ip link set lo up
ip addr add 10.0.0.2/24 dev eth0
ip link set eth0 up
i=0
until ping -c 1 -W 2 10.0.0.1 > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -ge 15 ] && { echo "PVPERF: FATAL dom0 does not answer pings"; idle; }
done
echo "PVPERF: eth0 up"
if ! fio --version > /tmp/fio.version 2>&1; then
    echo "PVPERF: FATAL fio does not run: $(head -n 3 /tmp/fio.version | tr '\n' ' ')"
    idle
fi
echo "PVPERF: $(cat /tmp/fio.version)"

cs() { local u; read -r u _ < /proc/uptime; echo $(( ${u%.*} * 100 + 1${u#*.} - 100 )); }

# fio JOB RW BS DEPTH ROUND: one job on /dev/xvda; prints bandwidth
# (KiB/s) and IOPS from fio's terse output (v3: read 7, 8; write 48, 49).
fio_job() {
    local out f
    out=$(fio --name="$1" --filename=/dev/xvda --rw="$2" --bs="$3" --iodepth="$4" \
              --direct=1 --ioengine=libaio --size="${size}M" --runtime="$secs" \
              --time_based --output-format=terse --terse-version=3 2> /tmp/fio.err)
    case "$2" in *write) f='$48 " " $49' ;; *) f='$7 " " $8' ;; esac
    set -- "$1" "$5" "$(echo "$out" | awk -F';' "NF > 50 { print \$5 \" \" $f }")"
    case "$3" in
    "0 "*) echo "PVPERF: fio $1 $2 ${3#0 }" ;;
    *) echo "PVPERF: fio-error $1 $2 '$3' $(tr '\n' ' ' < /tmp/fio.err | cut -c1-200)" ;;
    esac
}

mkfifo /tmp/hold
exec 3<> /tmp/hold
r=1
while [ $r -le "$reps" ]; do
    echo "PVPERF: round $r fio"
    fio_job seqwrite write 1M 4 $r
    fio_job seqread read 1M 4 $r
    fio_job randwrite randwrite 4k 16 $r
    fio_job randread randread 4k 16 $r
    r=$((r + 1))
done
r=1
while [ $r -le "$reps" ]; do
    echo "PVPERF: round $r net"
    i=0
    until dd if=/dev/zero bs=64k count=$((mb * 16)) 2> /dev/null | nc 10.0.0.1 $((port + r)); do
        i=$((i + 1)); [ $i -ge 10 ] && break; sleep 1
    done
    echo "PVPERF: tx $r sent (tries $i)"
    i=0
    while :; do
        set -- $(nc 10.0.0.1 $((port + 100 + r)) <&3 | {
            dd bs=1 count=1 of=/dev/null 2> /dev/null
            t0=$(cs); n=$(wc -c); t1=$(cs)
            echo $((n + 1)) $(( (t1 - t0) * 10 )); })
        [ "${1:-0}" -gt 1 ] && break
        i=$((i + 1)); [ $i -ge 10 ] && break; sleep 1
    done
    echo "PVPERF: rx $r ${1:-0} bytes ${2:-0} ms"
    r=$((r + 1))
done
echo "PVPERF: done"
idle
