#!/bin/sh
# /init of the pv-net guest (pv-drivers/netback/mkguest.sh).  The kernel
# command line chooses the role:
#   (default)      load xen-netfront, bring eth0 up as 10.0.0.2/24, ping
#                  dom0 (10.0.0.1), send it 2 MiB of random data over TCP
#                  (port 5001), then receive 2 MiB from it (port 5002),
#                  printing the checksums.  Then it receives a peer's 2 MiB
#                  on port 5003 (in the background) and serves dom0's
#                  commands, one per TCP connection on port 5009:
#                    ping IP        ping IP, report the packets received
#                    up IF ADDR     wait for IF (a hot-plugged vif), give
#                                   it ADDR (a.b.c.d/n), bring it up
#                    gone IF        wait for IF to go away (a detached vif)
#   pvn_role=peer  the second guest: eth0 as pvn_ip= (10.0.0.3), ping the
#                  first guest (10.0.0.2), send it 2 MiB on port 5003;
#                  then idle, answering pings.
# Reports on the console as "PVN: " lines.  Every wait is bounded.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
role=$(sed -n 's/.*pvn_role=\([a-z]*\).*/\1/p' /proc/cmdline)
ip=$(sed -n 's/.*pvn_ip=\([0-9.]*\).*/\1/p' /proc/cmdline)
[ -n "$ip" ] || ip=10.0.0.2
echo "PVN: initramfs role ${role:-main} ip $ip"
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
ip addr add $ip/24 dev eth0
ip link set eth0 up
echo "PVN: eth0 up $(cat /sys/class/net/eth0/address)"

# A listener whose stdin ends would shut its side down at once (and the
# sender stops at that EOF): its stdin is a FIFO we hold open.
mkfifo /tmp/hold
exec 3<> /tmp/hold

# send FILE HOST PORT: up to 10 tries (the listener may not be up yet)
send() {
    sent=1 i=0
    while [ $i -lt 10 ]; do
        if nc $2 $3 < $1; then sent=0; break; fi
        i=$((i + 1))
        sleep 1
    done
    echo "PVN: sent rc $sent tries $i"
}

if [ "$role" = peer ]; then
    if ping -c 5 -W 10 10.0.0.2 > /tmp/ping.out 2>&1; then
        echo "PVN: ping ok $(grep -o '[0-9]* packets received' /tmp/ping.out)"
    else
        echo "PVN: ping failed $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
    fi
    dd if=/dev/urandom of=/tmp/out bs=64k count=32 2>/dev/null
    echo "PVN: gsum $(md5sum < /tmp/out | cut -d' ' -f1)"
    send /tmp/out 10.0.0.2 5003
    echo "PVN: done"
    while :; do sleep 10; done
fi

if ping -c 5 -W 10 10.0.0.1 > /tmp/ping.out 2>&1; then
    echo "PVN: ping ok $(grep -o '[0-9]* packets received' /tmp/ping.out)"
else
    echo "PVN: ping failed $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
fi
dd if=/dev/urandom of=/tmp/out bs=64k count=32 2>/dev/null
echo "PVN: gsum $(md5sum < /tmp/out | cut -d' ' -f1)"
send /tmp/out 10.0.0.1 5001
nc -l -p 5002 <&3 > /tmp/in &
echo "PVN: listening"
wait $!
echo "PVN: rsum $(md5sum < /tmp/in | cut -d' ' -f1) $(wc -c < /tmp/in)"
echo "PVN: done"

# The peer's data (the second guest, through the bridge).
( nc -l -p 5003 <&3 > /tmp/peer
  echo "PVN: peer-rsum $(md5sum < /tmp/peer | cut -d' ' -f1) $(wc -c < /tmp/peer)" ) &
# dom0's commands
echo "PVN: commands"
while :; do
    nc -l -p 5009 <&3 > /tmp/cmd
    read -r c a1 a2 < /tmp/cmd
    case "$c" in
    ping)
        if ping -c 5 -W 10 "$a1" > /tmp/ping.out 2>&1; then
            echo "PVN: cmd-ping $a1 ok $(grep -o '[0-9]* packets received' /tmp/ping.out)"
        else
            echo "PVN: cmd-ping $a1 failed $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
        fi
        ;;
    up)
        i=0
        while [ ! -e "/sys/class/net/$a1" ] && [ $i -lt 300 ]; do
            sleep 0.2; i=$((i + 1))
        done
        if [ -e "/sys/class/net/$a1" ] && ip addr add "$a2" dev "$a1" &&
           ip link set "$a1" up; then
            echo "PVN: cmd-up $a1 $(cat /sys/class/net/$a1/address) $(ip -o -4 addr show $a1 | awk '{ print $4 }')"
        else
            echo "PVN: cmd-up $a1 failed: $(ls /sys/class/net | tr '\n' ' ')"
        fi
        ;;
    gone)
        i=0
        while [ -e "/sys/class/net/$a1" ] && [ $i -lt 300 ]; do
            sleep 0.2; i=$((i + 1))
        done
        if [ -e "/sys/class/net/$a1" ]; then
            echo "PVN: cmd-gone $a1 still there"
        else
            echo "PVN: cmd-gone $a1 gone: $(ls /sys/class/net | tr '\n' ' ')"
        fi
        ;;
    *)
        echo "PVN: cmd-unknown '$c'"
        ;;
    esac
done
