# Scenario bench-toolstack-xl: `xl create` to the guest's /init, and
# `xl destroy`, timed (scenarios/bench-toolstack-lib.sh), with Xen's tools
# (xen-init-dom0 and xenconsoled, started by dom0's /init).
#
# TIMEOUT: 900
# PLANNED: bench-create bench-destroy

BT_TOOL=xl
BT_LOG=/var/log/xen/console/guest-benchguest.log
. /scenarios/bench-toolstack-lib.sh
bt_run
