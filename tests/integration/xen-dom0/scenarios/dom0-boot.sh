# Scenario dom0-boot (sourced by dom0's /init once the store, xen-init-dom0
# and xenconsoled are up): the acceptance of "Linux dom0 on Xenia". Debian's
# stock kernel runs as dom0 on two vCPUs: it knows it is the control domain,
# its Xen devices work (privcmd, evtchn, gntdev, gntalloc), the store works,
# its clocks are right, it survives a bounded stress with checked results,
# and its log is clean. The host adds the checks only it can make
# (host-checks/dom0-boot.sh): wall clock and clock rate against the host's
# clock, and on Xenia the frame audit, QEMU's exit status and the refusals
# list (docs/dom0-refusals.md).
#
# Checks that only mean something on Xenia report SKIP on another hypervisor
# (HV_NAME not starting with "xenia").
#
# TIMEOUT: 420
# WAIT-EXIT: 30
# PLANNED: hypervisor-type control-domain version-names-xenia privcmd-version dom0-mem-max grant-evtchn event-abi store-ls store-write-read vcpu-clocks stress-fork stress-mmap stress-tmpfs stress-pipe dmesg-clean wallclock hypervisor-wallclock clock-rate frame-audit qemu-exit refusals-listed

T=/usr/local/bin/xenia-dom0test
STRESS_SECS=${STRESS_SECS:-3}
RATE_SECS=${RATE_SECS:-20}

# a line the host stamps with its own clock on arrival
stamp() { echo "XENIA-STAMP: $*"; }

is_xenia() { case "$HV_NAME" in xenia*) return 0 ;; esac; return 1; }

# run_t CHECK COMMAND...: the test program's one-line verdict is the detail
run_t() {
    local c=$1 out rc t0
    shift
    t0=$(now_ms)
    out=$("$@" 2>&1)
    rc=$?
    out="$(echo "$out" | tail -n 3 | tr '\n' ' ' | sed 's/^ok [a-z-]*: //; s/ *$//') [$(( $(now_ms) - t0 )) ms]"
    if [ $rc = 0 ]; then
        result "$c" PASS "$out"
    else
        result "$c" FAIL "$out"
    fi
}

db_run() {
    local v out n want rate_t0 now_ns t0

    # the rate window spans the whole scenario (at least RATE_SECS); the
    # test program prints the marker right after reading the clock
    out=$($T now)
    rate_t0=${out#mono=}; rate_t0=${rate_t0%% *}
    $T stamp rate-start
    stamp "wallclock date=$(date +%s)"

    # ---- who are we running on ----
    v=$(cat /sys/hypervisor/type 2>&1)
    check hypervisor-type "/sys/hypervisor/type='$v'" [ "$v" = xen ]
    v=$(cat /proc/xen/capabilities 2>&1)
    check control-domain "/proc/xen/capabilities='$v'" \
        eval 'echo "$v" | grep -q control_d'
    v="version $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)"
    v="$v, changeset '$(cat /sys/hypervisor/properties/changeset 2>/dev/null)'"
    if is_xenia; then
        check version-names-xenia "$v" \
            eval 'cat /sys/hypervisor/version/extra | grep -qi xenia'
    else
        result version-names-xenia SKIP "not Xenia ($HV_NAME): $v"
    fi

    # ---- the Xen devices ----
    run_t privcmd-version $T version
    # dom0_mem=...,max:N on the hypervisor's command line is dom0's ceiling
    run_t dom0-mem-max $T maxmem
    run_t grant-evtchn $T grant-evtchn 50
    db_event_abi

    # ---- the store ----
    out=$(timeout 20 xenstore-ls /local/domain/0 2>&1)
    n=$(echo "$out" | grep -c .)
    check store-ls "xenstore-ls /local/domain/0: $n lines, $(echo "$out" | grep -m1 '^name ')" \
        eval 'echo "$out" | grep -q "^name = \"Domain-0\""'
    t0=$(now_ms)
    want="dom0-boot-$$-$(date +%s)"
    if timeout 20 xenstore-write /test/dom0-boot/value "$want" 2>/tmp/xsw.err; then
        v=$(timeout 20 xenstore-read /test/dom0-boot/value 2>&1)
        timeout 20 xenstore-rm /test/dom0-boot 2>/dev/null
        if [ "$v" = "$want" ] && ! timeout 20 xenstore-exists /test/dom0-boot 2>/dev/null; then
            result store-write-read PASS "wrote, read back '$v', removed (STORE=$STORE) [$(( $(now_ms) - t0 )) ms]"
        else
            result store-write-read FAIL "wrote '$want', read back '$v' (or the node survived xenstore-rm)"
        fi
    else
        result store-write-read FAIL "xenstore-write failed: $(head -c 200 /tmp/xsw.err)"
    fi

    # ---- clocks of the two vCPUs ----
    run_t vcpu-clocks $T clocks 20

    # ---- bounded stress, every result checked ----
    run_t stress-fork $T fork "$STRESS_SECS"
    run_t stress-mmap $T mmap "$STRESS_SECS"
    db_tmpfs
    run_t stress-pipe $T pipe "$STRESS_SECS"

    # ---- clean log (after the stress: it may provoke warnings) ----
    out=$(dmesg | grep -E 'Oops|BUG:|WARNING:|-----\[ cut here \]' | head -n 5)
    if [ -z "$out" ]; then
        result dmesg-clean PASS "no Oops/BUG/WARNING/cut here in $(dmesg | grep -c .) dmesg lines"
    else
        result dmesg-clean FAIL "$(echo "$out" | tr '\n' '|' | head -c 600)"
        dmesg | grep -E -A 12 'Oops|BUG:|WARNING:|-----\[ cut here \]' | head -n 60 |
            sed 's/^/dmesg| /'
    fi

    # ---- close the rate window: the host divides guest by host time ----
    now_ns=$($T now); now_ns=${now_ns#mono=}; now_ns=${now_ns%% *}
    n=$(( RATE_SECS - (now_ns - rate_t0) / 1000000000 ))
    [ "$n" -gt 0 ] && sleep "$n"
    $T stamp rate-end
    stamp "wallclock date=$(date +%s)"
}

# event-abi: the event-channel ABI dom0's Linux chose, from its boot log.
# FIFO (xen.fifo_events defaults to on, and both hypervisors offer it)
# unless the kernel command line turned it off; a fall back to 2-level
# fails.
db_event_abi() {
    local want=FIFO-based got
    case " $(cat /proc/cmdline) " in
    *" xen.fifo_events=0 "*|*" xen.fifo_events=n "*|*" xen.fifo_events=N "*|*" xen.fifo_events=off "*)
        want=2-level ;;
    esac
    got=$(dmesg | grep -o 'xen:events: Using [A-Za-z0-9-]* ABI' | head -n 1)
    got=${got#xen:events: Using }
    got=${got% ABI}
    if [ "$got" = "$want" ]; then
        result event-abi PASS "dom0 uses the $got event-channel ABI (expected: $want)"
    else
        result event-abi FAIL "dom0 uses the '${got:-unknown}' event-channel ABI, expected $want"
    fi
}

# tmpfs: files of random data written, copied, read back and compared by
# digest, for STRESS_SECS seconds
db_tmpfs() {
    local d=/mnt/stress i=0 bad=0 t_end a b
    mkdir -p $d
    if ! mount -t tmpfs -o size=96m tmpfs $d; then
        result stress-tmpfs FAIL "cannot mount tmpfs"
        return
    fi
    t_end=$(( $(now_ms) + STRESS_SECS * 1000 ))
    while [ "$(now_ms)" -lt "$t_end" ] || [ $i -lt 2 ]; do
        i=$((i + 1))
        dd if=/dev/urandom of=$d/f$i bs=4096 count=$(( 64 + (i * 37) % 192 )) 2>/dev/null
        a=$(sha256sum < $d/f$i)
        cp $d/f$i $d/g$i
        b=$(sha256sum < $d/g$i)
        [ "$a" = "$b" ] || { bad=$((bad + 1)); echo "tmpfs| f$i sha256 $a, copy $b"; }
        [ "$(md5sum < $d/f$i)" = "$(md5sum < $d/g$i)" ] || bad=$((bad + 1))
        cmp -s $d/f$i $d/g$i || bad=$((bad + 1))
        # keep a few files, drop the rest (the tmpfs is bounded)
        [ $i -gt 8 ] && rm -f $d/f$((i - 8)) $d/g$((i - 8))
    done
    a=$(cat $d/f* | sha256sum)
    b=$(cat $d/g* | sha256sum)
    [ "$a" = "$b" ] || bad=$((bad + 1))
    if [ $bad = 0 ]; then
        result stress-tmpfs PASS "$i files written, copied and compared (sha256, md5, cmp) on tmpfs [$(( $(now_ms) - t_end + STRESS_SECS * 1000 )) ms]"
    else
        result stress-tmpfs FAIL "$bad mismatches over $i files"
    fi
    umount $d
}

db_run
