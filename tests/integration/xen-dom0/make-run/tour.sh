# `make run` without a terminal (sourced by dom0's /init as the scenario,
# once the store is up): a short scripted tour of dom0 and the toolstack
# (a guest created, listed, watched with `xenia top -b`, destroyed), then
# poweroff.
# XEN-TOOLS: none
. /scenarios/make-run-lib.sh
tour() {
    echo
    echo "dom0# $*"
    "$@" 2>&1
}
tour uname -a
tour cat /sys/hypervisor/type
echo "dom0# cat /sys/hypervisor/version/{major,minor,extra}"
echo "$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)"
tour cat /sys/hypervisor/properties/changeset
tour cat /proc/xen/capabilities
tour xenstore-ls /local/domain/0
tour free
tour xenia-dom0test version
tour xenia-dom0test grant-evtchn 10
tour xenia-dom0test clocks 5
tour cat /etc/xenia/guest.cfg
tour xenia create /etc/xenia/guest.cfg
echo "dom0# (waiting for the guest's /init on its console)"
glog=/var/log/xenia/console/guest-guest.log
i=0
while [ $i -lt 600 ] && ! grep -q "XENIA-DOMU: done" "$glog" 2>/dev/null; do
    sleep 0.5; i=$((i + 1))
done
tour grep XENIA-DOMU "$glog"
tour xenia list
if xenia help 2>&1 | grep -q '^ *top'; then
    tour xenia top -b -i 1
fi
tour xenia destroy guest
tour xenia list
echo
# the tour passes when the test program does, and the guest reached /init
if xenia-dom0test version > /dev/null && xenia-dom0test grant-evtchn 10 > /dev/null; then
    result tour PASS "xenia-dom0test version and grant-evtchn"
else
    result tour FAIL "xenia-dom0test version or grant-evtchn failed"
fi
if grep -q "XENIA-DOMU: init reached" "$glog" 2>/dev/null; then
    result tour-guest PASS "xenia create: the guest reached /init"
else
    result tour-guest FAIL "the guest's console log has no /init marker"
fi
