#!/bin/sh
# /init of the harness's dom0 (busybox sh). Brings up the Xen control plane
# the way a Xen host does, then runs one scenario and powers off:
#   insmod the Xen modules, mount proc/sys/devtmpfs/devpts and xenfs,
#   start the store (STORE=xen: Xen's xenstored; STORE=xenia: xenia-stored),
#   wait until it answers, xen-init-dom0, xenconsoled, /scenarios/$SCENARIO.sh
# Parameters come from /etc/xenia-run.conf, written by run.sh into the
# per-run overlay archive.

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1

export PATH=/usr/lib/xen-4.17/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm /run/xenstored /run/xen /var/log/xen/console
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm

. /lib/xenia/xenia-test.sh
SCENARIO=none
STORE=xen
STORE_TRACE=0
[ -f /etc/xenia-run.conf ] && . /etc/xenia-run.conf
export SCENARIO STORE

log "init reached at $(now_ms) ms; scenario=$SCENARIO store=$STORE"
log "kernel $(uname -r); cmdline: $(cat /proc/cmdline)"

halt_now() {
    log "END"
    sync
    poweroff -f
    sleep 5
    echo o > /proc/sysrq-trigger
    while :; do sleep 60; done
}

# stage CHECK DETAIL COMMAND...: a bring-up step; on failure report it,
# dump evidence and stop (the scenario's own checks then never report,
# which the host counts as failures).
stage() {
    local c=$1 d=$2
    shift 2
    if "$@"; then
        result "$c" PASS "$d"
    else
        result "$c" FAIL "$d"
        dump_file store-out /var/log/store.out 60
        dump_file store-trace /var/log/store.trace 60
        dmesg | tail -n 30 | sed 's/^/dmesg| /'
        finish
        halt_now
    fi
}

load_modules() {
    local m ok=0
    for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
        insmod /lib/modules/$m.ko || { log "insmod $m failed"; ok=1; }
    done
    mount -t xenfs xenfs /proc/xen || { log "mount xenfs failed"; return 1; }
    [ -e /proc/xen/xsd_kva ] && [ -e /proc/xen/xsd_port ] &&
        [ -e /dev/xen/evtchn ] && [ -e /dev/xen/privcmd ] || {
        log "xen devices missing:"; ls -l /proc/xen /dev/xen; return 1; }
    return $ok
}

start_store() {
    local trace=
    [ "$STORE_TRACE" = 1 ] && trace="-T /var/log/store.trace"
    case "$STORE" in
    xen)
        log "starting Xen's xenstored"
        # shellcheck disable=SC2086
        xenstored -N -F /run/xenstored.pid $trace $STORE_ARGS \
            > /var/log/store.out 2>&1 &
        ;;
    xenia)
        [ -x /usr/sbin/xenia-stored ] || {
            log "xenia-stored is not in this initramfs"; return 1; }
        log "starting xenia-stored"
        # shellcheck disable=SC2086
        xenia-stored -N -F /run/xenstored.pid \
            --socket /run/xenstored/socket $trace $STORE_ARGS \
            > /var/log/store.out 2>&1 &
        ;;
    *)
        log "unknown STORE=$STORE"; return 1 ;;
    esac
    STORE_PID=$!
    STORE_T0=$(now_ms)
    # answers = a client through the socket reads the root node
    local t0 i=0
    t0=$(now_ms)
    # Only ask once the socket exists: without it libxenstore falls back
    # to /dev/xen/xenbus, whose requests wait for a store forever.
    while :; do
        kill -0 "$STORE_PID" 2>/dev/null || {
            wait "$STORE_PID"; log "store exited (status $?)"; return 1; }
        [ -S /run/xenstored/socket ] &&
            timeout 5 xenstore-exists / 2>/dev/null && break
        i=$((i + 1))
        [ $i -ge 150 ] && { log "store did not answer in 30 s"; return 1; }
        sleep 0.2
    done
    STORE_UP_MS=$(( $(now_ms) - t0 ))
    log "store answers after $STORE_UP_MS ms (pid $STORE_PID)"
    return 0
}

init_dom0() {
    xen-init-dom0 > /var/log/xen-init-dom0.out 2>&1 || {
        cat /var/log/xen-init-dom0.out; return 1; }
    [ "$(xenstore-read /local/domain/0/name 2>/dev/null)" = Domain-0 ] || {
        log "/local/domain/0/name is not Domain-0"; return 1; }
}

start_consoled() {
    xenconsoled --pid-file=/run/xenconsoled.pid --log=guest \
        --log-dir=/var/log/xen/console > /var/log/xenconsoled.out 2>&1 || {
        cat /var/log/xenconsoled.out; return 1; }
    sleep 0.5
    [ -f /run/xenconsoled.pid ] && kill -0 "$(cat /run/xenconsoled.pid)" 2>/dev/null
}

stage modules "xen modules loaded, xenfs mounted" load_modules
stage store-up "STORE=$STORE" start_store
# A scenario with a "# XEN-TOOLS: none" line runs without Xen's tools
# (xen-init-dom0, xenconsoled): the toolstack scenario does their work.
if grep -q '^# XEN-TOOLS:[[:space:]]*none' "/scenarios/$SCENARIO.sh" 2>/dev/null; then
    result init-dom0 SKIP "scenario runs without xen-init-dom0"
    result consoled SKIP "scenario runs without xenconsoled"
else
    stage init-dom0 "xen-init-dom0" init_dom0
    stage consoled "xenconsoled running" start_consoled
fi
log "control plane up at $(now_ms) ms"

# Watchdog: a wedged store makes every client wait forever. Before the host's
# timeout, print the evidence we have (files only: no store requests) and
# power off, so that a hang is reported with its cause.
if [ "${RUN_TIMEOUT:-0}" -gt 0 ]; then
    deadline=$(( RUN_TIMEOUT - 25 - $(now_ms) / 1000 ))
    [ $deadline -lt 10 ] && deadline=10
    (
        sleep $deadline
        echo "RESULT: $SCENARIO.watchdog FAIL scenario still running after $deadline s; store pid $STORE_PID $(kill -0 $STORE_PID 2>/dev/null && echo alive || echo gone)"
        ps 2>/dev/null | grep -v ' \[' | sed 's/^/ps| /'
        dump_file store-out /var/log/store.out 40
        dump_file store-trace /var/log/store.trace 80
        for f in /var/log/xen/console/guest-*.log; do
            [ -f "$f" ] && dump_file guest-console "$f" 30
        done
        dump_file xl-create /var/log/xl-create.out 30
        echo "Test result: FAILURE"
        halt_now
    ) &
fi

if [ -f "/scenarios/$SCENARIO.sh" ]; then
    . "/scenarios/$SCENARIO.sh"
else
    log "no scenario /scenarios/$SCENARIO.sh"
    result scenario FAIL "no scenario named $SCENARIO"
fi
# How much CPU the store used (a busy-polling store slows every domain).
if [ -r "/proc/$STORE_PID/stat" ]; then
    set -- $(sed 's/.*) //' "/proc/$STORE_PID/stat")
    log "store cpu: user ${12} + system ${13} ticks (of $(getconf CLK_TCK 2>/dev/null || echo 100)/s) over $(( ($(now_ms) - STORE_T0) / 1000 )) s"
else
    log "store process $STORE_PID is gone at the end"
fi
finish
halt_now
