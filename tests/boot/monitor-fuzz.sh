#!/bin/bash
# Random and malformed monitor input for a bounded time: command names with
# random arguments, random bytes (NUL, control characters, escape
# sequences), truncated and overlong lines.
#  1. on a unix socket while tests/guests/platform/spin.S runs: afterwards
#     the monitor still answers, `run 1000` stops the guest at an exact
#     place, `quit` ends with status 0;
#  2. as a -turtles-monitor-script on tests/guests/vmx_basic.S (VMX stop
#     points, steps, breakpoints): ends by the script's end, the guest's
#     pass or the instruction limit, never by a crash or a hang.
# In the sanitizer build any error report fails the test.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
GUESTS=$BUILD_DIR/guests
tmp=$(mktemp -d /tmp/turtles-monfuzz.XXXXXX)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
SEED=${MONITOR_FUZZ_SEED:-$RANDOM}
echo "seed $SEED (MONITOR_FUZZ_SEED=$SEED reproduces it)"

# The generator: one line per call of line().
cat >"$tmp/gen.py" <<'EOF'
import random
WORDS = ["help", "info", "version", "break", "cont", "c", "stop", "s", "n", "finish",
         "until", "vmexit", "vmentry", "nonroot", "root", "exit", "cpuid", "io", "L1", "L2",
         "delete", "all", "vcpu", "run", "wait", "system_reset", "if", "vmcs==0x21000",
         "x/4g", "xp/2i", "regs", "disas", "vmcs", "ept", "pt", "info break", "info registers"]
ARGS = ["0", "1", "-1", "0x", "0xffffffffffffffff", "0x10000000000000000", "$rip", "$rsp",
        "$nosuch", "$", "3.5", "1e9", "nan", "0.01", "99999999999999999999", "", "==", "#"]

def line(r):
    text = any_line(r)
    # The guest must run on: a line whose command is quit (a random "q"
    # happens) is sent with a leading word that makes it unknown.
    # (as the monitor reads it: control characters are blanks, # a comment)
    words = "".join(" " if ord(c) < 0x20 or ord(c) == 0x7f else c
                    for c in text).split("#")[0].split(" ")
    words = [w for w in words if w]
    if words and words[0] in ("q", "quit"):
        text = "no" + text
    return text

def any_line(r):
    k = r.randrange(10)
    if k < 5:
        n = r.randrange(1, 5)
        ws = [r.choice(WORDS)] + [r.choice(ARGS + WORDS) for _ in range(n)]
        # Keep the guest from waiting forever or leaving: bounded waits, no quit.
        return " ".join(ws).replace("wait", "wait 0.01" if r.random() < 0.5 else "wait")
    if k < 7:
        return "".join(chr(r.randrange(32, 127)) for _ in range(r.randrange(0, 80)))
    if k < 8:
        return "".join(chr(r.randrange(0, 256)) for _ in range(r.randrange(0, 40))).replace("\n", "")
    if k < 9:
        return r.choice(WORDS) + " " + "9" * r.randrange(1000, 3000)
    return "\x1b[A\x1b[3~\x01\x7f" + r.choice(WORDS)
EOF

# --- 1. the socket, while the guest runs ---
sock=$tmp/mon.sock
timeout --signal=KILL 60 "$turtles" -bios "$PLATFORM_ROMS/spin.rom" -m 16M -display none \
    -serial null -monitor "unix:$sock,server,nowait" </dev/null >"$tmp/sock.out" 2>"$tmp/sock.err" &
tpid=$!
python3 - "$sock" "$SEED" "$tmp/gen.py" >"$tmp/client.log" 2>&1 <<'EOF'
import random, select, socket, sys, time
sys.path.insert(0, sys.argv[3].rsplit("/", 1)[0])
from gen import line
path, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        time.sleep(0.1)
s.settimeout(20)  # a send that blocks this long means turtles stopped reading
def drain():
    out = b""
    while select.select([s], [], [], 0)[0]:
        d = s.recv(65536)
        if not d:
            raise SystemExit("turtles closed the monitor socket")
        out += d
    return out
end, sent = time.time() + 5, 0
log = open(sys.argv[1] + ".sent", "wb")  # what was sent, to find a culprit
while time.time() < end:
    data = line(r).encode("latin-1")
    log.write(data + b"\n")
    log.flush()
    # Sometimes a truncated line (no newline yet): the next one continues it.
    s.sendall(data + (b"" if r.random() < 0.05 else b"\n"))
    sent += 1
    drain()
s.settimeout(20)
def until(text):
    buf = b""
    while text.encode() not in buf:
        d = s.recv(65536)
        if not d:
            raise SystemExit("turtles closed the monitor socket")
        buf += d
    return buf.decode(errors="replace")
s.sendall(b"\nstop\n")
time.sleep(0.3)
drain()
s.sendall(b"info version\n")
print(until("turtles 0."), end="")
s.sendall(b"run 1000\n")
print(until("(run)"), end="")
s.sendall(b"quit\n")
print("\nsent", sent, "lines")
EOF
wait "$tpid"
status=$?
expect_status 0 "the guest ran on through the fuzz and quit"
expect_output "$tmp/client.log" '^(\(turtles\) )*turtles 0\.' "the monitor still answers after the fuzz"
expect_output "$tmp/client.log" 'stopped: cpu0 .* -- ran the instructions asked for \(run\)' \
    "run 1000 still stops the guest"
if grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/sock.err"; then
    fail "sanitizer report"; head -30 "$tmp/sock.err"
fi
grep -o 'sent [0-9]* lines' "$tmp/client.log"

# --- 2. a random script on the VMX guest ---
python3 - "$SEED" "$tmp/gen.py" >"$tmp/script.txt" <<'EOF'
import random, sys
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from gen import line
r = random.Random(int(sys.argv[1]) + 1)
for _ in range(400):
    sys.stdout.buffer.write(line(r).encode("latin-1") + b"\n")
EOF
run_turtles 60 "$tmp/script.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -display none \
    -serial null "${DEBUG_EXIT[@]}" -no-reboot -turtles-max-insns 20000000 \
    -turtles-monitor-script "$tmp/script.txt"
case $status in
0 | 1 | 5) ;;
*) fail "a random script on vmx_basic ended with status $status"; tail -5 "$tmp/script.log" ;;
esac
if grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/script.log"; then
    fail "sanitizer report"; grep -E -A20 'AddressSanitizer|runtime error' "$tmp/script.log" | head -30
fi
echo "script: status $status, $(grep -c '^error: ' "$tmp/script.log") errors, $(grep -c '^stopped: ' "$tmp/script.log") stops"

[ "$rc" -eq 0 ] && echo "monitor-fuzz: all checks passed"
exit "$rc"
