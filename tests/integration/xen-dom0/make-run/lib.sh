# `make run`'s toolstack set-up (sourced by make-run/shell.sh and tour.sh):
# Xenia's own toolstack stands in for Xen's (the scenarios say
# "XEN-TOOLS: none"): dom0's store entries (xenia init-dom0), the console
# daemon (xenia-consoled), and a ready guest config, /etc/xenia/guest.cfg:
# the Debian kernel dom0 runs and the harness's busybox initramfs, plus a
# /sbin/poweroff so that `xenia shutdown` is answered.
mr_toolstack() {
    mkdir -p /etc/xenia /var/log/xenia
    xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1 ||
        echo "make-run: xenia init-dom0 failed: $(cat /var/log/xenia-init-dom0.out)"
    xenia-consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out ||
        echo "make-run: xenia-consoled failed: $(cat /var/log/xenia-consoled.out)"
    local d=/tmp/guest-extra ramdisk=/boot/domu.cpio.gz
    rm -rf $d; mkdir -p $d/sbin
    printf '#!/bin/sh\necho "XENIA-DOMU: poweroff requested"\nexec /bin/busybox poweroff -f\n' > $d/sbin/poweroff
    chmod 755 $d/sbin/poweroff
    if (cd $d && echo sbin/poweroff | cpio -o -H newc 2>/dev/null | gzip) > /tmp/guest-extra.cpio.gz; then
        cat /boot/domu.cpio.gz /tmp/guest-extra.cpio.gz > /boot/guest.cpio.gz &&
            ramdisk=/boot/guest.cpio.gz
    fi
    cat > /etc/xenia/guest.cfg <<EOC
# A Linux PV guest: Debian's kernel (the one dom0 runs) with a small
# busybox initramfs whose /init prints "XENIA-DOMU:" lines on its console.
# xenia create -c /etc/xenia/guest.cfg   (Ctrl-] leaves the console)
name = "guest"
kernel = "/boot/vmlinuz"
ramdisk = "$ramdisk"
extra = "console=hvc0"
memory = 192
vcpus = 1
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
EOC
}
mr_toolstack
