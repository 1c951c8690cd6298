# `make run` with a terminal (sourced by dom0's /init as the scenario, once
# the store is up): Xenia's toolstack (make-run/lib.sh), then a shell on
# dom0's console; dom0 powers off when it exits.
# XEN-TOOLS: none
. /scenarios/make-run-lib.sh
cat /etc/motd
export PS1='dom0:\w# '
setsid cttyhack sh -l
echo "XENIA-RUN: shell exited, powering off"
