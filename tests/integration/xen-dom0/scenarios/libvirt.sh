# Scenario libvirt (sourced by dom0's /init once the store, xen-init-dom0
# and xenconsoled are up): Debian's libvirtd with its libxl driver
# (libvirt-daemon-driver-xen) manages the hypervisor through libxl, driven by
# virsh: list, create of a domain XML that boots the Linux PV guest to its
# /init (its console reaches xenconsoled's log), destroy.  libvirtd, virsh
# and their libraries come in an extra archive (mk-extra.sh libvirt), so the
# base dom0 image stays small.  The host adds `unhandled`
# (host-checks/libvirt.sh).  Run it with --cpu core2duo: on qemu64 no CPU
# model of libvirt's map fits the host's features (no VME; Xen 4.17 also
# hides SEP) and the libxl driver does not start, on Xen 4.17 as well.
# See docs/xen-tools.md.
#
# TIMEOUT: 480
# EXTRA-IMAGE: libvirt
# PLANNED: libvirtd-up virsh-list virsh-create console-init virsh-dominfo virsh-destroy unhandled

LV_GUEST=lvguest
LV_XML=/etc/libvirt/$LV_GUEST.xml
LV_LOG=/var/log/xen/console/guest-$LV_GUEST.log
LV_URI=xen:///system

cat > "$LV_XML" <<EOX
<domain type='xen'>
  <name>$LV_GUEST</name>
  <memory unit='MiB'>${GUEST_MEM:-192}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenpv'>linux</type>
    <kernel>/boot/vmlinuz</kernel>
    <initrd>/boot/domu.cpio.gz</initrd>
    <cmdline>console=hvc0 ${GUEST_EXTRA:-}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <console type='pty'>
      <target type='xen' port='0'/>
    </console>
  </devices>
</domain>
EOX

lv_virsh() { timeout 120 virsh -c "$LV_URI" "$@"; }

lv_evidence() {
    dump_file libvirtd-out /var/log/libvirtd.out 30
    dump_file libvirtd-log /var/log/libvirt/libvirtd.log 40
    for f in /var/log/libvirt/libxl/*.log; do
        [ -f "$f" ] && dump_file "libxl-$(basename "$f" .log)" "$f" 40
    done
    dump_file guest-console "$LV_LOG" 30
    echo "---- xl list ----"
    xl list 2>&1 | sed 's/^/xl| /'
}

lv_run() {
    local t0 i rc v domid

    # ---- libvirtd: its Unix socket answers ----
    if ! command -v libvirtd > /dev/null; then
        result libvirtd-up FAIL "no libvirtd in dom0 (the libvirt archive: mk-extra.sh libvirt)"
        return
    fi
    mkdir -p /run/libvirt /var/log/libvirt/libxl /var/lib/libvirt/libxl
    t0=$(now_ms)
    libvirtd --pid-file /run/libvirtd.pid > /var/log/libvirtd.out 2>&1 &
    local lpid=$! up=1
    i=0
    while [ $i -lt 120 ]; do
        kill -0 $lpid 2>/dev/null || break
        if [ -S /run/libvirt/libvirt-sock ] && lv_virsh version > /tmp/lv-version.out 2>&1; then
            up=0; break
        fi
        sleep 0.5; i=$((i + 1))
    done
    if [ $up = 0 ]; then
        result libvirtd-up PASS "pid $lpid answers after $(( $(now_ms) - t0 )) ms: $(grep -i 'hypervisor' /tmp/lv-version.out | tr -s ' ' | tr '\n' ';')"
    else
        result libvirtd-up FAIL "libvirtd $(kill -0 $lpid 2>/dev/null && echo 'runs but does not answer' || echo exited) after $(( $(now_ms) - t0 )) ms: $(tail -c 300 /tmp/lv-version.out 2>/dev/null)"
        lv_evidence
        return
    fi

    # ---- virsh list: Domain-0 through libxl ----
    lv_virsh list --all > /tmp/lv-list.out 2>&1; rc=$?
    sed 's/^/virsh| /' /tmp/lv-list.out
    v=$(awk '$2 == "Domain-0" { print $1 " " $3 }' /tmp/lv-list.out)
    if [ $rc = 0 ] && [ "$v" = "0 running" ]; then
        result virsh-list PASS "Domain-0 listed: id 0, running"
    else
        result virsh-list FAIL "exit $rc, Domain-0 row '$v'"
    fi

    # ---- virsh create: the guest boots to /init ----
    t0=$(now_ms)
    lv_virsh create "$LV_XML" > /tmp/lv-create.out 2>&1; rc=$?
    domid=$(xl domid "$LV_GUEST" 2>/dev/null)
    case "$rc:$domid" in
    0:[0-9]*) result virsh-create PASS "domain $domid in $(( $(now_ms) - t0 )) ms: $(head -n 1 /tmp/lv-create.out)" ;;
    *) result virsh-create FAIL "exit $rc: $(head -c 300 /tmp/lv-create.out | tr '\n' ' '); xl domid '$domid'"
       lv_evidence; return ;;
    esac
    i=0
    while [ $i -lt 480 ]; do
        grep -q 'XENIA-DOMU: init reached' "$LV_LOG" 2>/dev/null && break
        sleep 0.5; i=$((i + 1))
    done
    if grep -q 'XENIA-DOMU: init reached' "$LV_LOG" 2>/dev/null; then
        result console-init PASS "$(grep -m1 'XENIA-DOMU: init reached' "$LV_LOG" | tr -d '\r') in $LV_LOG"
    else
        result console-init FAIL "no /init marker in $LV_LOG ($(wc -c < "$LV_LOG" 2>/dev/null) bytes) after 240 s"
        lv_evidence
    fi

    lv_virsh dominfo "$LV_GUEST" > /tmp/lv-dominfo.out 2>&1; rc=$?
    sed 's/^/dominfo| /' /tmp/lv-dominfo.out
    v=$(sed -n 's/^State: *//p' /tmp/lv-dominfo.out)
    i=$(sed -n 's/^Id: *//p' /tmp/lv-dominfo.out)
    if [ $rc = 0 ] && [ "$i" = "$domid" ] && { [ "$v" = running ] || [ "$v" = idle ]; }; then
        result virsh-dominfo PASS "Id $i, State $v, $(sed -n 's/^Max memory: *//p' /tmp/lv-dominfo.out) max memory"
    else
        result virsh-dominfo FAIL "exit $rc, Id '$i' (xl: $domid), State '$v'"
    fi

    # ---- virsh destroy: gone from libvirt, xl and the store ----
    t0=$(now_ms)
    lv_virsh destroy "$LV_GUEST" > /tmp/lv-destroy.out 2>&1; rc=$?
    i=0
    while [ $i -lt 20 ] && xl domid "$LV_GUEST" > /dev/null 2>&1; do
        sleep 0.5; i=$((i + 1))
    done
    lv_virsh list --all > /tmp/lv-list.out 2>&1
    if [ $rc = 0 ] && ! xl domid "$LV_GUEST" > /dev/null 2>&1 &&
       ! grep -q " $LV_GUEST " /tmp/lv-list.out &&
       ! xenstore-exists /local/domain/$domid 2>/dev/null; then
        result virsh-destroy PASS "in $(( $(now_ms) - t0 )) ms; gone from virsh list, xl list and the store"
    else
        result virsh-destroy FAIL "exit $rc: $(head -c 200 /tmp/lv-destroy.out | tr '\n' ' '); xl list: $(xl list 2>&1 | tail -n +2 | tr '\n' ';')"
        lv_evidence
    fi
    sed 's/^/virsh| /' /tmp/lv-list.out
    dump_file libvirtd-log /var/log/libvirt/libvirtd.log 15
    kill "$lpid" 2>/dev/null
}

lv_run
