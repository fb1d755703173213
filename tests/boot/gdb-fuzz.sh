#!/bin/bash
# The gdb stub under hostile input (frontend/gdbstub.c, gdb_packet.c): for
# a bounded time a client throws random bytes, truncated packets, bad
# checksums, oversized packets and well-framed packets with random
# arguments (every command that does not resume, kill or write the guest,
# and random `monitor` lines) at a machine held by -S. Every few packets it
# checks that the stub still answers `?` within a few seconds (no hang);
# then it detaches and the guest (tests/guests/syslong.S) must run to its
# normal exit status, as without gdb. The seed is printed: a failure can be
# replayed with GDB_FUZZ_SEED=N.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
GUESTS=$BUILD_DIR/guests
SECONDS_OF_FUZZ=${GDB_FUZZ_SECONDS:-6}
tmp=$(mktemp -d /tmp/turtles-gdbfuzz.XXXXXX)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT

port_free() {
    local hex
    hex=$(printf '%04X' "$1")
    ! grep -q "^ *[0-9]*: [0-9A-F]*:$hex [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

started=
for _ in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" || continue
    timeout --signal=KILL $((SECONDS_OF_FUZZ + 60)) "$turtles" -bios "$GUESTS/syslong.rom" \
        -m 16M -nographic "${DEBUG_EXIT[@]}" -S -gdb "tcp::$port" </dev/null >"$tmp/t.log" 2>&1 &
    tpid=$!
    for _ in $(seq 50); do
        port_free "$port" || { started=1; break; }
        kill -0 "$tpid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$started" ] && break
    wait "$tpid" 2>/dev/null
    grep -q "cannot listen" "$tmp/t.log" || break
done
if [ -z "$started" ]; then
    fail "turtles did not start listening for gdb"
    sed 's/^/    | /' "$tmp/t.log" | head -20
    exit 1
fi

timeout --signal=KILL $((SECONDS_OF_FUZZ + 30)) python3 - "$port" "$SECONDS_OF_FUZZ" \
    "${GDB_FUZZ_SEED:-$RANDOM$RANDOM}" >"$tmp/fuzz.out" 2>&1 <<'PY'
import random, socket, sys, threading, time

port, seconds, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print("seed", seed, flush=True)
rng = random.Random(seed)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
received = bytearray()
lock = threading.Lock()

def reader():
    # Drain everything, so the stub never waits on a full socket.
    while True:
        try:
            d = s.recv(65536)
        except OSError:
            return
        if not d:
            return
        with lock:
            received.extend(d)

threading.Thread(target=reader, daemon=True).start()

RESYNC = b"#zz"

def frame(payload):
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xff)

def hexnum():
    k = rng.randrange(6)
    if k == 0:
        return b""
    if k == 1:
        return b"f" * rng.randrange(1, 40)  # past 64 bits
    if k == 2:
        return b"-1"
    return b"%x" % rng.choice([0, 1, 7, 0x10, 0x41, 0x42, 0x45, 0x46, 0xfff0, 0xf0000,
                               0x7004, 0x4000, 1 << 63, rng.randrange(1 << 64)])

def junk(n):
    return bytes(rng.randrange(256) for _ in range(n))

def arg_soup():
    parts = []
    for _ in range(rng.randrange(5)):
        parts.append(rng.choice([hexnum(), b",", b":", b";", b"=", junk(rng.randrange(4))]))
    return b"".join(parts)

# Commands that neither resume, kill, detach nor write the guest: the guest
# must finish as if gdb had never been there.
QUERIES = [b"qSupported", b"qSupported:multiprocess+;xmlRegisters=i386", b"qAttached",
           b"qC", b"qfThreadInfo", b"qsThreadInfo", b"qThreadExtraInfo,", b"qSymbol::",
           b"qXfer:features:read:target.xml:", b"qXfer:features:read:other.xml:",
           b"qXfer:", b"qOffsets", b"qTStatus", b"QStartNoAckMode", b"q", b"Q"]
# Monitor lines: the views and bad arguments (no resuming, no writes; a
# watchpoint or breakpoint set here goes when gdb detaches).
MONITOR = [b"help", b"info registers", b"regs", b"vmcs", b"vmcs diff", b"vmcs GUEST_RIP",
           b"info break", b"info watch", b"x/4xb 0", b"x/8xg $rsp", b"xp/4xb 0", b"x/",
           b"", b"nosuchcommand", b"info", b"help help", b"help watch", b"watch",
           b"watch 0x4000", b"watch 0x4000 8 r", b"watch p:0 1", b"watch 0 0", b"break 0x1",
           b"delete 99", b"vmcs nosuchfield", b"\xff\xfe", b"x/999999999xg 0", b"exits",
           b"lastexits 4", b"pt 0x1000", b"ept 0", b"disas", b"info tlb", b"info mem",
           b"info mtree", b"info irq", b"info devices", b"info cpus", b"vcpu 9",
           b"x/4i $pc", b"pt nonroot:0", b"a" * 5000]

def packet_payload():
    k = rng.randrange(12)
    if k == 0:
        return b"?"
    if k == 1:
        return b"g"
    if k == 2:
        return b"p" + hexnum()
    if k == 3:
        return b"m" + hexnum() + b"," + hexnum()
    if k == 4:
        return rng.choice([b"Hg", b"Hc", b"H", b"Hx", b"T"]) + hexnum()
    if k == 5:
        return rng.choice(QUERIES) + arg_soup()
    if k == 6:
        z = rng.choice(b"Zz")
        return bytes([z, rng.choice(b"0123459x")]) + b"," + hexnum() + b"," + hexnum() + arg_soup()
    if k == 7:
        if rng.randrange(3) == 0:
            # Junk after a word that cannot turn into a command that resumes
            # or quits (a bare random "q" would quit, as it should).
            line = rng.choice([b"~", b"x/", b"vmcs ", b"watch ", b"pt ", b"info ", b"help "])
            return b"qRcmd," + (line + junk(rng.randrange(20))).hex().encode()[: rng.randrange(48)]
        return b"qRcmd," + rng.choice(MONITOR).hex().encode()
    if k == 8:
        return b"vCont?" if rng.randrange(2) else b"vMustReplyEmpty"
    if k == 9:
        return rng.choice([b"p", b"m", b"g", b"q", b"Z", b"H"]) + junk(rng.randrange(30))
    if k == 10:
        return bytes([rng.choice(b"?gpmqQHTZzvbBdiIAFrt!")]) + arg_soup()
    return b"m" + hexnum() + b"," + b"%x" % rng.randrange(0x5000)

def one_send():
    k = rng.randrange(10)
    if k < 5:
        return frame(packet_payload())
    if k == 5:
        p = frame(packet_payload())
        return p[: rng.randrange(len(p))]  # truncated
    if k == 6:
        p = packet_payload()
        return b"$" + p + b"#%02x" % ((sum(p) + 1) & 0xff)  # bad checksum
    if k == 7:
        return frame(b"m" + b"0" * rng.randrange(16000, 40000))  # oversized
    if k == 8:
        return junk(rng.randrange(1, 200))
    return rng.choice([b"+", b"-", b"\x03", b"#", b"$", b"}", b"*", b"#zz"])

def alive(what):
    # "#zz" ends whatever the framer is in the middle of ('z' is no
    # checksum digit, so no half-sent junk packet can complete; "#00" would
    # complete one whose bytes sum to 0); then '?' must be answered with a
    # stop reply.
    with lock:
        received.clear()
    s.sendall(RESYNC + frame(b"?"))
    deadline = time.time() + 10
    while time.time() < deadline:
        with lock:
            if b"$T05" in received:
                return True
        time.sleep(0.01)
    print("HANG after", what, flush=True)
    return False

end = time.time() + seconds
sent = 0
ok = alive("attach")
while ok and time.time() < end:
    data = one_send()
    try:
        s.sendall(data)
    except OSError as e:
        print("connection lost:", e, flush=True)
        ok = False
        break
    sent += 1
    if sent % 50 == 0:
        ok = alive("packet %d (%r)" % (sent, data[:60]))
if ok:
    print("sent", sent, flush=True)
    with lock:
        received.clear()
    s.sendall(RESYNC + frame(b"D"))
    deadline = time.time() + 10
    while time.time() < deadline:
        with lock:
            if b"$OK" in received:
                print("detached", flush=True)
                break
        time.sleep(0.01)
s.close()
PY
wait "$tpid"
status=$?
o=$tmp/fuzz.out
head -1 "$o"
expect_output "$o" "^sent [0-9]+" "the stub served every packet without a hang"
expect_output "$o" "^detached$" "detach after the fuzzing"
n=$(awk '/^sent/ { print $2 }' "$o")
[ "${n:-0}" -ge 200 ] || fail "only ${n:-0} packets sent in ${SECONDS_OF_FUZZ}s"
expect_output "$tmp/t.log" "^pass$" "the guest ran its checks after the fuzzing"
expect_status 1 "syslong after the fuzzing (isa-debug-exit pass)"
grep -E "AddressSanitizer|runtime error" "$tmp/t.log" && fail "sanitizer report"
[ $rc -eq 0 ] && echo "PASS ($n packets)"
exit $rc
