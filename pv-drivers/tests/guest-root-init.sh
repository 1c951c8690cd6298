#!/bin/sh
# /sbin/pvb-init on the pv-block guest's ext4 root (its PID 1 after
# switch_root).  What it does comes from the kernel command line,
# pvb=STEP[,STEP...]:
#   write   write files under /data with fsync, print their checksums
#   verify  print the checksums of the files there
#   loop    write and fsync in a loop (PVB_LOOPS, default 40, from
#           pvb_loops=N), then count I/O errors in dmesg
#   hot     wait for a hot-attached /dev/xvdb, checksum its first MiB,
#           try a write (a read-only disk refuses), wait for its detach
#   after   wait for a hot-attached /dev/xvdc (dom0's signal that the
#           hostile frontend is done), then write, fsync and re-read a
#           file on the root disk and checksum xvdc: the backend still
#           serves this guest
# Every line for dom0 starts with "PVB: ".
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
steps=$(sed -n 's/.*pvb=\([^ ]*\).*/\1/p' /proc/cmdline)
loops=$(sed -n 's/.*pvb_loops=\([0-9]*\).*/\1/p' /proc/cmdline)
echo "PVB: root-init steps=$steps root=$(awk '$2 == "/" { printf "%s %s;", $1, $3 }' /proc/mounts)"
mkdir -p /data

sums() {
    for f in /data/f1 /data/f2 /data/f3; do
        [ -f "$f" ] && echo "PVB: sum $f $(sha256sum < "$f" | cut -c1-64)"
    done
}

for s in $(echo "$steps" | tr ',' ' '); do
    case $s in
    write)
        dd if=/dev/urandom of=/data/f1 bs=4k count=16 conv=fsync 2>/dev/null
        dd if=/dev/urandom of=/data/f2 bs=64k count=16 conv=fsync 2>/dev/null
        dd if=/dev/urandom of=/data/f3 bs=1k count=3 conv=fsync 2>/dev/null
        sync
        sums
        echo "PVB: write-done"
        ;;
    verify)
        sums
        echo "PVB: verify-done"
        ;;
    loop)
        i=1
        while [ $i -le "${loops:-40}" ]; do
            dd if=/dev/urandom of=/data/loop$((i % 4)) bs=64k count=4 \
                conv=fsync 2>/dev/null || echo "PVB: loop $i dd failed"
            echo "PVB: loop $i"
            sleep 0.2
            i=$((i + 1))
        done
        sync
        n=$(dmesg | grep -c -i -E 'I/O error|blk_update_request|Buffer I/O|EXT4-fs error|EXT4-fs warning|blkfront.*(error|fail)')
        dmesg | grep -i -E 'I/O error|blk_update_request|Buffer I/O|EXT4-fs (error|warning)|blkfront' | tail -5 | sed 's/^/PVB: dmesg: /'
        echo "PVB: io-errors $n"
        echo "PVB: loop-done"
        ;;
    hot)
        # a second disk, read-only, hot-attached by dom0 after "hot-ready"
        echo "PVB: hot-ready"
        i=0
        while [ ! -b /dev/xvdb ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
        if [ -b /dev/xvdb ]; then
            echo "PVB: xvdb-sum $(dd if=/dev/xvdb bs=64k count=16 2>/dev/null | sha256sum | cut -c1-64)"
            echo "PVB: xvdb-ro $(cat /sys/block/xvdb/ro)"
            if dd if=/dev/zero of=/dev/xvdb bs=4k count=1 conv=fsync 2>/dev/null; then
                echo "PVB: xvdb-write accepted"
            else
                echo "PVB: xvdb-write refused"
            fi
            i=0
            while [ -b /dev/xvdb ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
            [ -b /dev/xvdb ] && echo "PVB: xvdb-still-there" || echo "PVB: xvdb-gone"
        else
            echo "PVB: xvdb-never-appeared"
        fi
        ;;
    after)
        echo "PVB: after-ready"
        i=0
        while [ ! -b /dev/xvdc ] && [ $i -lt 3000 ]; do sleep 0.2; i=$((i + 1)); done
        if [ -b /dev/xvdc ]; then
            if dd if=/dev/urandom of=/data/after bs=64k count=4 conv=fsync 2>/dev/null; then
                s1=$(sha256sum < /data/after | cut -c1-64)
                echo 3 > /proc/sys/vm/drop_caches
                s2=$(sha256sum < /data/after | cut -c1-64)
                [ "$s1" = "$s2" ] && r=ok || r=differ
            else
                r=write-failed
            fi
            echo "PVB: after-io $r xvdc $(dd if=/dev/xvdc bs=64k count=16 2>/dev/null | sha256sum | cut -c1-64)"
        else
            echo "PVB: after-io no-xvdc"
        fi
        ;;
    esac
done
echo "PVB: idle"
while :; do sleep 3600; done
