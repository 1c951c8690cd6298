# `make run` without a terminal (sourced by dom0's /init as the scenario,
# once the store, xen-init-dom0 and xenconsoled are up): a short scripted
# tour of dom0, then poweroff.
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
echo
# the tour passes when the test program does
if xenia-dom0test version > /dev/null && xenia-dom0test grant-evtchn 10 > /dev/null; then
    result tour PASS "xenia-dom0test version and grant-evtchn"
else
    result tour FAIL "xenia-dom0test version or grant-evtchn failed"
fi
