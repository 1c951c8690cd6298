# Helpers shared by dom0's /init and the scenarios (sourced, busybox sh).
# Result convention (read by run.sh on the host, over the serial console):
#   RESULT: <scenario>.<check> PASS|FAIL|SKIP [detail]
#   Test result: SUCCESS|FAILURE
# A check the scenario plans but never reports is a FAIL on the host side.

XENIA_FAILED=0
XENIA_REPORTED=0

log() { echo "XENIA-DOM0: $*"; }

# result CHECK PASS|FAIL|SKIP [detail...]  (SKIP: does not apply here)
result() {
    local check=$1 st=$2
    shift 2
    XENIA_REPORTED=$((XENIA_REPORTED + 1))
    [ "$st" = PASS ] || [ "$st" = SKIP ] || XENIA_FAILED=$((XENIA_FAILED + 1))
    echo "RESULT: ${SCENARIO}.${check} ${st}${*:+ $*}"
}

# check CHECK DETAIL COMMAND...: PASS when COMMAND succeeds
check() {
    local c=$1 d=$2
    shift 2
    if "$@"; then result "$c" PASS "$d"; else result "$c" FAIL "$d"; fi
}

finish() {
    if [ "$XENIA_FAILED" = 0 ] && [ "$XENIA_REPORTED" -gt 0 ]; then
        echo "Test result: SUCCESS"
    else
        echo "Test result: FAILURE"
    fi
}

# Milliseconds since boot (from /proc/uptime, centisecond resolution).
now_ms() {
    local u
    read -r u _ < /proc/uptime
    echo $(( ${u%.*} * 1000 + 1${u#*.}0 - 1000 ))
}

# dump_file LABEL FILE [LINES]: copy the tail of a file onto the console as
# evidence, each line prefixed so that it stands out in the log.
dump_file() {
    local label=$1 f=$2 n=${3:-40}
    if [ -f "$f" ]; then
        echo "---- $label ($f, last $n lines) ----"
        tail -n "$n" "$f" | sed "s/^/$label| /"
        echo "---- end $label ----"
    else
        echo "---- $label: $f does not exist ----"
    fi
}

# wait_for_node PATH SECONDS: wait until a xenstore node exists, sleeping on
# a xenstore watch of its parent rather than polling (polling a PV dom0
# under TCG distorts everything).
wait_for_node() {
    local p=$1 secs=$2 t0 t
    t0=$(now_ms)
    while ! xenstore-exists "$p" 2>/dev/null; do
        t=$(( ($(now_ms) - t0) / 1000 ))
        [ "$t" -ge "$secs" ] && return 1
        # fires once at registration and again on any change below the
        # parent; bounded so a missed event costs at most 10 s
        timeout 10 xenstore-watch -n 2 "${p%/*}" > /dev/null 2>&1
    done
    return 0
}
