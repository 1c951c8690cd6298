#!/usr/bin/env bash
# Interoperability with Debian's xenstore-utils (Xen 4.17's libxenstore),
# pointed at xenia-stored through XENSTORED_PATH; plus the daemon's own
# start-up, options and shutdown.  One result line per check.
set -u
tmp=$(mktemp -d /tmp/xenia-xs-interop.XXXXXX)
sock=$tmp/socket
pid=
export XENSTORED_PATH=$sock

rec() { printf '%s\txenstore/interop/%s\t%s\n' "$1" "$2" "${3:-}" >> "$RESULTS"; }
check() {   # name, expected, actual
    if [ "$2" = "$3" ]; then rec PASS "$1"; else
        rec FAIL "$1" "expected [$(echo "$2" | tr '\n' '|')] got [$(echo "$3" | tr '\n' '|')]"; fi
}
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

if ! command -v xenstore-read >/dev/null; then
    rec FAIL utils-installed "xenstore-utils missing (scripts/deps/apt-packages.txt)"
    exit 0
fi

"$OUT/xenia-stored" -N -D --socket "$sock" -F "$tmp/pid" 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
check start-socket yes "$([ -S "$sock" ] && echo yes)"
check pid-file "$pid" "$(cat "$tmp/pid" 2>/dev/null)"

xenstore-write /vm/a 1 /vm/b two /vm/c/d deep
check write-read two "$(xenstore-read /vm/b)"
check read-implicit-parent "" "$(xenstore-read /vm/c)"
check read-missing-fails 1 "$(xenstore-read /vm/nothere >/dev/null 2>&1; echo $?)"
check ls "$(printf 'a = "1"\nb = "two"\nc = ""\n d = "deep"')" "$(xenstore-ls /vm)"
check list "$(printf 'a\nb\nc')" "$(xenstore-list /vm)"
check exists-yes 0 "$(xenstore-exists /vm/a; echo $?)"
check exists-no 1 "$(xenstore-exists /vm/zz 2>/dev/null; echo $?)"
xenstore-chmod /vm/a n0 r5 w6 b7
check chmod-perms '(n0,r5,w6,b7)' "$(xenstore-ls -p /vm | grep '^a ' | sed 's/.*(/(/')"
xenstore-rm /vm/c
check rm-subtree 1 "$(xenstore-exists /vm/c/d 2>/dev/null; echo $?)"
check rm-missing-ok 0 "$(xenstore-rm /vm/nothere; echo $?)"
check read-relative two "$(xenstore-read /vm/b)"
xenstore-write /local/domain/0/name Domain-0
check relative-path Domain-0 "$(xenstore-read name)"

# A directory larger than one message: the library falls back to
# DIRECTORY_PART.
for i in $(seq 1 300); do echo "/big/a-fairly-long-child-name-$i"; echo v; done |
    xargs xenstore-write
check directory-part 300 "$(xenstore-list /big | wc -l)"

# Watches: the initial event, then one per change below the path.
timeout 5 xenstore-watch -n 3 /w > "$tmp/watch" 2>&1 &
wpid=$!
sleep 0.3
xenstore-write /w/x 1
xenstore-rm /w/x
wait $wpid
check watch "$(printf '/w\n/w/x\n/w/x')" "$(cat "$tmp/watch")"

# Malformed and oversized messages: error reply or dropped connection,
# never a dead daemon.
python3 - "$sock" > "$tmp/raw" 2>&1 <<'PY'
import socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(2); return s
def call(s, t, payload, tx=0):
    s.sendall(struct.pack('<IIII', t, 7, tx, len(payload)) + payload)
    h = s.recv(16); t2, r, x, l = struct.unpack('<IIII', h)
    data = b''
    while len(data) < l: data += s.recv(l - len(data))
    return t2, data
s = conn()
print(call(s, 2, b'/nope\0'))                  # READ missing
print(call(s, 99, b''))                        # unknown type
print(call(s, 2, b'no-nul'))                   # no NUL
print(call(s, 7, b'T\0', tx=4242))             # unknown transaction
s.sendall(struct.pack('<IIII', 2, 1, 0, 5000)) # oversized
try:
    print('dropped' if s.recv(16) == b'' else 'not dropped')
except Exception as e:
    print('dropped', e)
s = conn()
print(call(s, 2, b'/vm/b\0'))                  # daemon still serves
PY
check malformed "$(printf "(16, b'ENOENT\\\\x00')\n(16, b'ENOSYS\\\\x00')\n(16, b'EINVAL\\\\x00')\n(16, b'ENOENT\\\\x00')\ndropped\n(2, b'two')")" \
    "$(cat "$tmp/raw")"

# Clean shutdown on SIGTERM: exit status 0, socket and pid file removed.
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check sigterm-exit 0 "$st"
check sigterm-cleanup "no no" "$([ -e "$sock" ] && echo yes || echo no) $([ -e "$tmp/pid" ] && echo yes || echo no)"

# Daemon mode: the parent returns once the child serves.
"$OUT/xenia-stored" -D --socket "$sock" -F "$tmp/pid2"; st=$?
check daemon-start 0 "$st"
check daemon-serves OK "$(xenstore-write /x y && echo OK)"
kill -TERM "$(cat "$tmp/pid2")" 2>/dev/null
for _ in $(seq 50); do [ -e "$sock" ] || break; sleep 0.1; done
check daemon-stop gone "$([ -e "$sock" ] && echo still || echo gone)"

# Bad options are refused with a message; without Xen, -D is required.
check bad-option 2 "$("$OUT/xenia-stored" -N -D --socket "$sock" -Q bogus=1 2>/dev/null; echo $?)"
check no-xen-without-D 1 "$("$OUT/xenia-stored" -N --socket "$sock" 2>/dev/null; echo $?)"
exit 0
