# Host-side check of the libvirt scenario (sourced in a subshell by run.sh):
# the same `unhandled` check as xen-tools (host-checks/xen-tools.sh), for
# scenario libvirt.
. "$here/host-checks/xen-tools.sh"
