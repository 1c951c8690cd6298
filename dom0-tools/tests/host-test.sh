#!/bin/bash
# Host tests of the toolstack CLI that need no hypervisor: every config in
# bad-configs/ must make `xenia create -n` exit 1 with the message on its
# "# EXPECT:" line (a prefix of stderr's first line); good configs and the
# usage/exit-code conventions are checked too.
# Usage: host-test.sh XENIA RESULTS.tsv
set -u
xenia=$1
tsv=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: > "$tsv"
res() { printf '%s\t%s\t%s\n' "$1" "toolstack-host.$2" "$3" >> "$tsv"; }

cd "$here/bad-configs" || exit 1
for f in *.cfg *.xml; do
    want=$(sed -n -e 's/^# EXPECT: //p' -e 's/^<!-- EXPECT: \(.*\) -->$/\1/p' "$f")
    got=$("$xenia" create -n "$f" 2>&1 >/dev/null | head -n 1)
    rc=$?
    "$xenia" create -n "$f" > /dev/null 2>&1
    rc=$?
    t=bad-config.${f%.*}
    if [ -z "$want" ]; then
        res FAIL "$t" "no EXPECT line in $f"
        continue
    fi
    case "$got" in
    "$want"*) [ $rc = 1 ] && res PASS "$t" "$got" ||
                  res FAIL "$t" "exit $rc (want 1): $got" ;;
    *) res FAIL "$t" "got '$got', want '$want'" ;;
    esac
done

# The bad-image corpus, made here (nothing binary is committed).
bi=$(mktemp -d)
if "$here/bad-images/make-images.sh" "$bi" "$top/build/integration/vmlinuz" > "$bi.log" 2>&1; then
    while IFS=$'\t' read -r n c want; do
        if [ "$c" = - ]; then
            res SKIP "bad-image.$n" "${want#SKIP }"
            continue
        fi
        got=$(cd "$bi" && "$xenia" create -n "$c" 2>&1 >/dev/null | head -n 1)
        (cd "$bi" && "$xenia" create -n "$c" > /dev/null 2>&1)
        rc=$?
        case "$got" in
        "$want"*) [ $rc = 1 ] && res PASS "bad-image.$n" "$got" ||
                      res FAIL "bad-image.$n" "exit $rc (want 1): $got" ;;
        *) res FAIL "bad-image.$n" "got '$got', want '$want'" ;;
        esac
    done < "$bi/cases.tsv"
else
    res FAIL bad-image.make "make-images.sh failed: $(tail -n 2 "$bi.log" | tr '\n' ' ')"
fi
rm -rf "$bi" "$bi.log"

# A good config: resolved to JSON (needs the integration kernel if built).
kernel=$top/build/integration/vmlinuz
if [ -f "$kernel" ]; then
    tmp=$(mktemp)
    printf 'name = "g1"\nkernel = "%s"\nmemory = 192\nroot = "/dev/xvda"\nextra = "console=hvc0"\n' \
        "$kernel" > "$tmp"
    out=$("$xenia" create -n "$tmp" memory=256 2>&1)
    rc=$?
    if [ $rc = 0 ] && echo "$out" | grep -q '"memory_kb": 262144' &&
       echo "$out" | grep -q '"cmdline": "root=/dev/xvda console=hvc0"'; then
        res PASS good-config "bzImage unpacked, override memory=256 applied"
    else
        res FAIL good-config "exit $rc: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
    fi
    # The JSON parses (python3's json) and has the schema's keys in order.
    if v=$(echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
keys = ["schema", "name", "uuid", "type", "kernel", "ramdisk", "cmdline",
        "memory_kb", "maxmem_kb", "vcpus", "maxvcpus", "on_poweroff",
        "on_reboot", "on_crash", "disks", "vifs"]
assert list(d) == keys, list(d)
assert d["schema"] == "xenia-domain-config/1"
print(len(d), "keys")' 2>&1); then
        res PASS create-n-json "python3 json: $v, schema xenia-domain-config/1"
    else
        res FAIL create-n-json "$(echo "$v" | tail -n 1)"
    fi
    # The same guest as libvirt XML resolves to the same JSON.
    xml=$(mktemp --suffix=.xml)
    cat > "$xml" <<EOX
<domain type='xen'>
  <name>g1</name>
  <uuid>6b1f1b7e-8f1a-4c59-9d39-0a7c2a9e5b11</uuid>
  <memory unit='GiB'>1</memory>
  <currentMemory unit='KiB'>196608</currentMemory>
  <vcpu current='1'>2</vcpu>
  <os>
    <type arch='x86_64'>linux</type>
    <kernel>$kernel</kernel>
    <cmdline>root=/dev/xvda console=hvc0</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
  <devices>
    <disk type='file' device='disk'><source file='$kernel'/><target dev='xvda'/></disk>
    <interface type='bridge'><source bridge='xenbr0'/></interface>
    <console type='pty'/>
  </devices>
  <metadata><x xmlns="urn:example">ignored</x></metadata>
</domain>
EOX
    printf 'name = "g1"\nuuid = "6b1f1b7e-8f1a-4c59-9d39-0a7c2a9e5b11"\nkernel = "%s"\nmemory = 192\nmaxmem = 1024\nvcpus = 1\nmaxvcpus = 2\ncmdline = "root=/dev/xvda console=hvc0"\non_crash = "preserve"\ndisk = [ "%s,raw,xvda,rw" ]\nvif = [ "bridge=xenbr0" ]\n' \
        "$kernel" "$kernel" > "$tmp"
    a=$("$xenia" create -n "$tmp" 2>&1); ra=$?
    b=$("$xenia" create -n "$xml" 2>&1); rb=$?
    if [ $ra = 0 ] && [ $rb = 0 ] && [ "$a" = "$b" ]; then
        res PASS xml-equals-cfg "create -n a.cfg and a.xml print the same JSON"
    else
        res FAIL xml-equals-cfg "exit $ra/$rb: $(diff <(echo "$a") <(echo "$b") | tr '\n' ' ' | cut -c1-300)"
    fi
    # Devices: both spec forms, defaults, devids and the XML equivalents.
    img=$(mktemp)
    printf 'name = "g1"\nkernel = "%s"\ndisk = [ "format=raw, vdev=xvda, access=rw, target=%s",\n  "phy:%s,xvdb,r", "%s,,xvdq,w" ]\nvif = [ "mac=00:16:3e:01:02:03,bridge=br1,backendtype=kernel", "" ]\n' \
        "$kernel" "$img" "$img" "$img" > "$tmp"
    if v=$("$xenia" create -n "$tmp" 2>&1 | python3 -c '
import json, sys
d = json.load(sys.stdin)
k = [(x["vdev"], x["devid"], x["access"], x["backendtype"]) for x in d["disks"]]
assert k == [("xvda", 51712, "w", "xenia"), ("xvdb", 51728, "r", "phy"),
             ("xvdq", (1 << 28) | (16 << 8), "w", "xenia")], k
v = [(x["devid"], x["mac"], x["bridge"], x["backendtype"]) for x in d["vifs"]]
assert v == [(0, "00:16:3e:01:02:03", "br1", "kernel"),
             (1, None, "xenbr0", "xenia")], v
print("3 disks, 2 vifs")' 2>&1); then
        res PASS create-n-devices "$v: devids, access, backendtype, defaults"
    else
        res FAIL create-n-devices "$(echo "$v" | tail -n 1)"
    fi
    # The XML device elements give the same devices as the specs.
    printf 'name = "g1"\nkernel = "%s"\nmemory = 128\ndisk = [ "phy:%s,xvdb,r", "vdev=xvdc,devtype=cdrom,access=r,target=%s" ]\nvif = [ "mac=00:16:3e:01:02:03,bridge=br1,backendtype=kernel" ]\n' \
        "$kernel" "$img" "$img" > "$tmp"
    cat > "$xml" <<EOX
<domain type='xen'>
  <name>g1</name>
  <memory unit='MiB'>128</memory>
  <os><type>linux</type><kernel>$kernel</kernel></os>
  <devices>
    <disk type='file' device='disk'><driver name='phy' type='raw'/><source file='$img'/><target dev='xvdb'/><readonly/></disk>
    <disk type='file' device='cdrom'><source file='$img'/><target dev='xvdc'/><readonly/></disk>
    <interface type='bridge'><mac address='00:16:3e:01:02:03'/><source bridge='br1'/><driver name='kernel'/></interface>
  </devices>
</domain>
EOX
    a=$("$xenia" create -n "$tmp" 2>&1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([d["disks"], d["vifs"]]))' 2>&1)
    b=$("$xenia" create -n "$xml" 2>&1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([d["disks"], d["vifs"]]))' 2>&1)
    if [ -n "$a" ] && [ "$a" = "$b" ] && echo "$a" | grep -q '"cdrom"'; then
        res PASS xml-devices-equal-cfg "phy, read-only, cdrom and a kernel vif: same JSON"
    else
        res FAIL xml-devices-equal-cfg "cfg: $a xml: $b"
    fi
    printf 'name = "g1"\nkernel = "%s"\ndisk = [ "vdev=xvda,target=/nonexistent/x.img" ]\n' \
        "$kernel" > "$tmp"
    got=$("$xenia" create -n "$tmp" 2>&1 >/dev/null | head -n 1)
    "$xenia" create -n "$tmp" > /dev/null 2>&1
    rc=$?
    case "$got" in
    *"disk xvda: /nonexistent/x.img: No such file or directory"*)
        [ $rc = 1 ] && res PASS disk-missing-target "$got" ||
            res FAIL disk-missing-target "exit $rc: $got" ;;
    *) res FAIL disk-missing-target "got '$got'" ;;
    esac
    rm -f "$tmp" "$xml" "$img"
else
    res SKIP good-config "no $kernel (make -C tests/integration images)"
fi

# Conventions: help, --help on every verb, usage errors exit 2.
"$xenia" help > /dev/null 2>&1 && res PASS help "exit 0" ||
    res FAIL help "xenia help exited non-zero"
bad=
for v in create destroy list pause unpause shutdown reboot console domid domname \
         info dmesg uptime mem-set mem-max vcpu-list vcpu-set rename init-dom0 \
         block-attach block-detach block-list network-attach network-detach \
         network-list help; do
    "$xenia" $v --help 2>&1 | grep -q "^usage: xenia $v" || bad="$bad $v"
done
[ -z "$bad" ] && res PASS verb-help "every verb takes --help" ||
    res FAIL verb-help "no usage from:$bad"
"$xenia" nosuchverb > /dev/null 2>&1
rc=$?
[ $rc = 2 ] && res PASS unknown-verb-exit-2 "exit 2" ||
    res FAIL unknown-verb-exit-2 "exit $rc"
"$xenia" create > /dev/null 2>&1
rc=$?
[ $rc = 2 ] && res PASS create-no-file-exit-2 "exit 2" ||
    res FAIL create-no-file-exit-2 "exit $rc"
for v in "mem-set" "mem-set d" "mem-set d 12q" "vcpu-set d x" "rename d" "dmesg x" "reboot"; do
    "$xenia" $v > /dev/null 2>&1
    rc=$?
    [ $rc = 2 ] || bad="$bad '$v'=$rc"
done
[ -z "$bad" ] && res PASS new-verbs-usage-exit-2 "missing or bad arguments exit 2" ||
    res FAIL new-verbs-usage-exit-2 "not 2:$bad"
# Device verbs: usage errors exit 2; a bad spec is refused (exit 1, named)
# before any hypervisor is needed.
bad=
for v in "block-attach" "block-attach d" "block-attach d a b" "block-detach d" \
         "block-detach -x d xvdb" "block-list" "network-attach" \
         "network-attach d a b" "network-detach d" "network-list"; do
    "$xenia" $v > /dev/null 2>&1
    rc=$?
    [ $rc = 2 ] || bad="$bad '$v'=$rc"
done
[ -z "$bad" ] && res PASS device-verbs-usage-exit-2 "missing or extra arguments exit 2" ||
    res FAIL device-verbs-usage-exit-2 "not 2:$bad"
got=$("$xenia" block-attach d 'vdev=sda,target=/x' 2>&1); rc=$?
case "$rc:$got" in
"1:xenia block-attach: disk spec 'vdev=sda,target=/x': vdev 'sda' is not a disk name"*)
    res PASS block-attach-bad-spec "$got" ;;
*) res FAIL block-attach-bad-spec "exit $rc: $got" ;;
esac
got=$("$xenia" block-attach d 'vdev=xvdb,target=/nonexistent/b.img' 2>&1); rc=$?
[ "$rc:$got" = "1:xenia block-attach: /nonexistent/b.img: No such file or directory" ] &&
    res PASS block-attach-missing-target "$got" ||
    res FAIL block-attach-missing-target "exit $rc: $got"
got=$("$xenia" network-attach d 'mac=00:16:3e:00:00' 2>&1); rc=$?
case "$rc:$got" in
"1:xenia network-attach: vif spec 'mac=00:16:3e:00:00': mac '00:16:3e:00:00': not six hex bytes"*)
    res PASS network-attach-bad-spec "$got" ;;
*) res FAIL network-attach-bad-spec "exit $rc: $got" ;;
esac
"$xenia" help | grep -qE '^  top ' && res PASS help-lists-top "xenia help lists top" ||
    res SKIP help-lists-top "dom0-tools/top/top.h not there when built"
"$xenia" create -n /nonexistent.cfg > /dev/null 2>&1
rc=$?
[ $rc = 1 ] && res PASS missing-config-exit-1 "exit 1" ||
    res FAIL missing-config-exit-1 "exit $rc"
"$here/top-host.sh" "$xenia" "$tsv"   # xenia top (appends top-* results)
echo "toolstack-host: $(grep -c '^PASS' "$tsv") passed, $(grep -c '^FAIL' "$tsv") failed, $(grep -c '^SKIP' "$tsv") skipped"
exit 0
