# Scenario store-fuzz (issue 12: the xenstore-protocol fuzzer): an
# unprivileged domU, the xsfuzz test kernel (tests/guests/xsfuzz), talks
# garbage to the store over its ring for XSF_SECS seconds: every message
# type, lying lengths, oversized payloads, floods it never reads, jumping
# producer indexes, reconnecting whenever the store gives up on the ring.
# Meanwhile dom0 keeps using the store.  Checks: the guest's own sane
# requests before and after (over a reconnected ring), its hostile probes
# before the fuzz (a 400-level path removed, 300 writes of a node in one
# transaction fire one watch event, six parallel transactions stay within
# the node quota; tests/guests/xsfuzz), dom0's requests
# all answered throughout, the store alive with bounded memory, and no
# node of the guest left once it is destroyed.  The same binaries run
# with xenia-stored (--store xenia) and Debian's C xenstored (--store
# xen), on Xen 4.17 and on Xenia; the toolstack is Xenia's.
#
# TIMEOUT: 420
# XEN-TOOLS: none
# PLANNED: xsfuzz-image create guest-store-before guest-probe-deep-rm guest-probe-tx-events guest-probe-tx-quota guest-fuzzed guest-store-after dom0-served store-alive store-memory guest-nodes-gone

XSF_SECS=${XSF_SECS:-40}
XSF_SEED=${XSF_SEED:-$(( $(date +%s) % 100000 + 1 ))}
XSF_LOG=/var/log/xenia/console/guest-xsfuzz.log

xsf_rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$STORE_PID/status" 2>/dev/null; }
# The guest's nodes are gone and the store still walks its whole tree.
xsf_gone() { ! xenstore-exists "/local/domain/$1" 2>/dev/null && xenstore-ls / > /dev/null 2>&1; }

xsf_run() {
    local domid i ok=0 bad=0 rss0 rss1 v t0

    if [ ! -f /boot/xsfuzz.elf ]; then
        result xsfuzz-image FAIL "no /boot/xsfuzz.elf in the overlay (make -C tests/guests; tests/integration check-store-fuzz copies it)"
        return
    fi
    result xsfuzz-image PASS "$(wc -c < /boot/xsfuzz.elf) bytes, seed $XSF_SEED, $XSF_SECS s"
    mkdir -p /etc/xen /var/log/xenia
    xenia init-dom0 > /var/log/xenia-init-dom0.out 2>&1
    xenia consoled -p /run/xenia-consoled.pid 2> /var/log/xenia-consoled.out
    cat > /etc/xen/xsfuzz.cfg <<EOC
name = "xsfuzz"
kernel = "/boot/xsfuzz.elf"
memory = 16
extra = "seed=$XSF_SEED secs=$XSF_SECS"
on_poweroff = "preserve"
on_crash = "preserve"
EOC
    rss0=$(xsf_rss)
    t0=$(now_ms)
    if ! xenia create /etc/xen/xsfuzz.cfg > /var/log/xsf-create.out 2>&1; then
        result create FAIL "$(tail -n 3 /var/log/xsf-create.out | tr '\n' ' ')"
        return
    fi
    domid=$(xenia domid xsfuzz 2>/dev/null)
    result create PASS "domid $domid, seed $XSF_SEED (replay: --set XSF_SEED=$XSF_SEED)"

    # dom0 uses the store while the guest fuzzes it, until the guest is
    # done (it powers off; on_poweroff=preserve keeps it for the checks).
    i=0
    end=$(( $(now_ms) + (XSF_SECS + 150) * 1000 ))
    while [ "$(now_ms)" -lt "$end" ]; do
        if timeout 30 xenstore-write /tool/xsf/probe "$i" 2>/dev/null &&
           [ "$(timeout 30 xenstore-read /tool/xsf/probe 2>/dev/null)" = "$i" ]; then
            ok=$((ok + 1))
        else
            bad=$((bad + 1))
        fi
        grep -q "Test result:" "$XSF_LOG" 2>/dev/null && break
        kill -0 "$STORE_PID" 2>/dev/null || { log "the store is gone"; break; }
        sleep 0.5
        i=$((i + 1))
    done
    log "fuzzing over after $(( $(now_ms) - t0 )) ms; dom0 round trips $ok ok, $bad failed"
    grep -q "Test result:" "$XSF_LOG" 2>/dev/null ||
        dump_file guest-console "$XSF_LOG" 20
    grep "xsfuzz:" "$XSF_LOG" 2>/dev/null | tail -n 3 | sed 's/^/guest| /'
    tail -n 5 /var/log/store.out 2>/dev/null | sed 's/^/store| /'

    # The guest's own checks, from its console log.
    for c in store_before probe_deep_rm probe_tx_events probe_tx_quota fuzzed store_after; do
        v=$(grep -m1 "RESULT: xsfuzz.$c " "$XSF_LOG" 2>/dev/null | tr -d '\r')
        n=guest-$(echo "$c" | tr _ -)
        case "$v" in
        *" PASS"*) result "$n" PASS "${v#*PASS }" ;;
        *" SKIP"*) result "$n" SKIP "${v#*SKIP }" ;;
        *" FAIL"*) result "$n" FAIL "${v#*FAIL }" ;;
        *) result "$n" FAIL "no RESULT line for $c in $XSF_LOG ($(tail -n 2 "$XSF_LOG" 2>/dev/null | tr '\n' ' '))" ;;
        esac
    done
    check dom0-served "dom0 write+read round trips during the fuzzing: $ok answered, $bad not" \
        [ "$ok" -gt 0 ] && [ "$bad" = 0 ]
    rss1=$(xsf_rss)
    check store-alive "store pid $STORE_PID $(kill -0 "$STORE_PID" 2>/dev/null && echo alive || echo GONE)" \
        kill -0 "$STORE_PID"
    # A domain's store memory is bounded by its quotas (2.5 MiB with
    # xenia-stored's and Xen's defaults); 16 MiB of growth is a leak.
    check store-memory "store RSS ${rss0:-?} kB before, ${rss1:-?} kB after" \
        [ -n "$rss1" ] && [ "$rss1" -lt $(( ${rss0:-0} + 16384 )) ]

    xenia destroy xsfuzz > /var/log/xsf-destroy.out 2>&1
    i=0
    while [ $i -lt 40 ] && xenstore-exists "/local/domain/$domid" 2>/dev/null; do
        sleep 0.5; i=$((i + 1))
    done
    v=$(xenstore-ls -f / 2>/dev/null | grep -c "/local/domain/$domid/")
    check guest-nodes-gone "after destroy: /local/domain/$domid $(xenstore-exists /local/domain/$domid 2>/dev/null && echo present || echo gone), $v nodes under it; xenstore-ls / $(xenstore-ls / > /dev/null 2>&1 && echo works || echo FAILS)" \
        xsf_gone "$domid"
}

xsf_run
