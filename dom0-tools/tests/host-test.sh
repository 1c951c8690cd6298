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
for f in *.cfg; do
    want=$(sed -n 's/^# EXPECT: //p' "$f")
    got=$("$xenia" create -n "$f" 2>&1 >/dev/null | head -n 1)
    rc=$?
    "$xenia" create -n "$f" > /dev/null 2>&1
    rc=$?
    case "$got" in
    "$want"*) [ $rc = 1 ] && res PASS "bad-config.${f%.cfg}" "$got" ||
                  res FAIL "bad-config.${f%.cfg}" "exit $rc (want 1): $got" ;;
    *) res FAIL "bad-config.${f%.cfg}" "got '$got', want '$want'" ;;
    esac
done

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
    rm -f "$tmp"
else
    res SKIP good-config "no $kernel (make -C tests/integration images)"
fi

# Conventions: help, --help on every verb, usage errors exit 2.
"$xenia" help > /dev/null 2>&1 && res PASS help "exit 0" ||
    res FAIL help "xenia help exited non-zero"
bad=
for v in create destroy list pause unpause shutdown domid domname info help; do
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
"$xenia" create -n /nonexistent.cfg > /dev/null 2>&1
rc=$?
[ $rc = 1 ] && res PASS missing-config-exit-1 "exit 1" ||
    res FAIL missing-config-exit-1 "exit $rc"
echo "toolstack-host: $(grep -c '^PASS' "$tsv") passed, $(grep -c '^FAIL' "$tsv") failed, $(grep -c '^SKIP' "$tsv") skipped"
exit 0
