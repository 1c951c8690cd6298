#!/bin/sh
# /init of the harness's PV guest (busybox sh + xenstore-utils). Proves the
# guest's xenbus works over its ring: prints a marker on its console, writes
# and reads back its own nodes (relative paths resolve under
# /local/domain/<domid>), reads its name, and leaves what it saw in
# data/ so that dom0 can check it without the console. Then waits to be
# destroyed.

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys

say() { echo "XENIA-DOMU: $*"; }
say "init reached (kernel $(uname -r))"

xenstore-write data/hello world
say "write data/hello rc=$?"
v=$(xenstore-read data/hello)
say "read data/hello=$v rc=$?"
n=$(xenstore-read name)
say "name=$n rc=$?"
d=$(xenstore-read domid)
say "domid=$d rc=$?"
xenstore-write data/readback "$v" data/seen-name "$n" data/seen-domid "$d"
say "write results rc=$?"
# the last node: dom0 waits for it with a watch
xenstore-write data/done 1
say "done rc=$?"

while :; do sleep 3600; done
