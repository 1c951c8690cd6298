#!/bin/sh
# /init of the pv-net guest (pv-drivers/netback/mkguest.sh): load
# xen-netfront, bring eth0 up as 10.0.0.2/24, ping dom0 (10.0.0.1), send
# it 2 MiB of random data over TCP (port 5001), then receive 2 MiB from it
# (port 5002), printing the checksums; then idle, answering pings.
# Reports on the console as "PVN: " lines.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "PVN: initramfs"
insmod /lib/modules/xen-netfront.ko || echo "PVN: insmod xen-netfront failed"
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; do
    sleep 0.2; i=$((i + 1))
done
if ! [ -e /sys/class/net/eth0 ]; then
    echo "PVN: FATAL no eth0"
    dmesg | tail -20
    exec sh
fi
ip link set lo up
ip addr add 10.0.0.2/24 dev eth0
ip link set eth0 up
echo "PVN: eth0 up $(cat /sys/class/net/eth0/address)"
if ping -c 5 -W 10 10.0.0.1 > /tmp/ping.out 2>&1; then
    echo "PVN: ping ok $(grep -o '[0-9]* packets received' /tmp/ping.out)"
else
    echo "PVN: ping failed $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
fi
dd if=/dev/urandom of=/tmp/out bs=64k count=32 2>/dev/null
echo "PVN: gsum $(md5sum < /tmp/out | cut -d' ' -f1)"
sent=1 i=0
while [ $i -lt 10 ]; do
    if nc 10.0.0.1 5001 < /tmp/out; then sent=0; break; fi
    i=$((i + 1))
    sleep 1
done
echo "PVN: sent rc $sent tries $i"
# A listener whose stdin ends would shut its side down at once (and the
# sender stops at that EOF): its stdin is a FIFO we hold open.
mkfifo /tmp/hold
exec 3<> /tmp/hold
nc -l -p 5002 <&3 > /tmp/in &
echo "PVN: listening"
wait $!
echo "PVN: rsum $(md5sum < /tmp/in | cut -d' ' -f1) $(wc -c < /tmp/in)"
echo "PVN: done"
while :; do sleep 10; done
