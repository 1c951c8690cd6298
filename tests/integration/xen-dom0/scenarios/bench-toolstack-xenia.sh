# Scenario bench-toolstack-xenia: `xenia create` to the guest's /init, and
# `xenia destroy`, timed (scenarios/bench-toolstack-lib.sh), with Xenia's
# toolstack alone (xenia init-dom0, xenia-consoled; none of Xen's tools).
#
# TIMEOUT: 900
# XEN-TOOLS: none
# PLANNED: bench-create bench-destroy

BT_TOOL=xenia
BT_LOG=/var/log/xenia/console/guest-benchguest.log
xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1
xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
. /scenarios/bench-toolstack-lib.sh
bt_run
