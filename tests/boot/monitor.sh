#!/bin/bash
# The monitor's execution control (frontend/monitor*.c, frontend/debugger.c)
# on bare-metal guests, by script (-turtles-monitor-script), stdio and a
# unix socket:
#  - tests/guests/vmx_basic.S: `until nonroot`, `s` onto L2's CPUID,
#    `until exit cpuid` stops in root at L1's handler, `s 4` shows L1's
#    instructions disassembled, `until vmentry` is back in non-root with
#    RIP advanced by CPUID's length (2);
#  - tests/guests/vmx_same_code.S: `break same_code if nonroot` stops in
#    L2 and not where L1 ran the same address first; `if root` the other
#    way round; `n` steps over L2's call, `finish` returns to L1's caller;
#  - `run N` stops at the same place in two runs; `wait` stops a spinning
#    guest; help, errors and carrying on; stdio, a unix socket, and
#    -nographic's shared terminal (Ctrl-A c, line editing, history);
#    option errors (status 2).
# Every run has a host-time limit.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
GUESTS=$BUILD_DIR/guests
tmp=$(mktemp -d /tmp/turtles-monitor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# script NAME LINES...: the script file $tmp/NAME.txt
script() {
    local name=$1
    shift
    printf '%s\n' "$@" >"$tmp/$name.txt"
}

# rip_of LOG PATTERN: CS:RIP's RIP (hex, no 0x) of the first stop line matching PATTERN
rip_of() {
    grep -E '^stopped: ' "$1" | grep -E -- "$2" | head -1 |
        sed -E 's/.* [0-9a-f]{4}:([0-9a-f]{16}) .*/\1/'
}

# --- 1. a CPUID exit from L2, stepped through L1's handler and back ---
script cpuid 'until nonroot' 's' 'until exit cpuid' 's 4' 'until vmentry' 'c'
run_turtles 30 "$tmp/cpuid.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -no-reboot -turtles-monitor-script "$tmp/cpuid.txt"
expect_status 1 "vmx_basic under a monitor script (isa-debug-exit pass)"
expect_output "$tmp/cpuid.log" '^stopped: cpu0 root vmcs=none real f000:000000000000fff0 .* -- start$' \
    "the script starts before the first instruction"
expect_output "$tmp/cpuid.log" '^stopped: cpu0 non-root vmcs=0x21000 eptp=0x[0-9a-f]+ long 0008:[0-9a-f]+ cpuid -- step$' \
    "s stops on L2's CPUID, in non-root with the VMCS and EPTP"
expect_output "$tmp/cpuid.log" '^stopped: cpu0 root vmcs=0x21000 long 0008:[0-9a-f]+ mov ax, 0x10 -- VM exit CPUID \(10\)$' \
    "until exit cpuid stops at L1's handler in root"
expect_output "$tmp/cpuid.log" '^  cpu0 root 0008:[0-9a-f]+  vmread rax, rdx$' \
    "s 4 shows L1's VMREAD disassembled"
[ "$(grep -c '^  cpu0 root ' "$tmp/cpuid.log")" -eq 4 ] || fail "s 4 shows 4 instructions"
cpuid_rip=$(rip_of "$tmp/cpuid.log" ' cpuid -- step$')
back_rip=$(rip_of "$tmp/cpuid.log" ' -- VM entry$' | tail -1)
back_rip=$(grep -E '^stopped: .* -- VM entry$' "$tmp/cpuid.log" | tail -1 |
    sed -E 's/.* [0-9a-f]{4}:([0-9a-f]{16}) .*/\1/')
if [ -z "$cpuid_rip" ] || [ $((16#$back_rip)) -ne $((16#$cpuid_rip + 2)) ]; then
    fail "until vmentry: non-root RIP $back_rip is not CPUID's RIP $cpuid_rip + 2"
fi
l2=$(nm "$GUESTS/vmx_basic.elf" | awk '$3 == "l2_code" { print $1 }')
[ "$cpuid_rip" = "$(printf '%016x' $((16#$l2 + 2)))" ] ||
    fail "the CPUID stop ($cpuid_rip) is not l2_code + 2 (l2_code=$l2)"

# --- 2. the same address in root and in non-root ---
same=$(nm "$GUESTS/vmx_same_code.elf" | awk '$3 == "same_code" { print $1 }')
l2=$(nm "$GUESTS/vmx_same_code.elf" | awk '$3 == "l2_code" { print $1 }')
script nonroot "break 0x$same if nonroot" 'c' 'info break' 'n' 'c'
run_turtles 30 "$tmp/nonroot.log" -bios "$GUESTS/vmx_same_code.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -no-reboot -turtles-monitor-script "$tmp/nonroot.txt"
expect_status 1 "vmx_same_code with a non-root breakpoint (pass)"
expect_output "$tmp/nonroot.log" "^stopped: cpu0 non-root vmcs=0x21000 .* 0008:0*$same nop -- breakpoint 1\$" \
    "break if nonroot stops in L2 at same_code"
[ "$(grep -c '^stopped: .*-- breakpoint' "$tmp/nonroot.log")" -eq 1 ] ||
    fail "break if nonroot stopped more than once (L1 runs same_code first)"
expect_output "$tmp/nonroot.log" "^1 +0x0*$same if nonroot hits=1\$" "info break counts one hit"
expect_output "$tmp/nonroot.log" "^stopped: cpu0 non-root .* ret -- step\$" "n steps in L2"

script root "break 0x$same if L1" 'c' 'finish' 'vcpu' 'until nonroot' 'n' 'c'
run_turtles 30 "$tmp/root.log" -bios "$GUESTS/vmx_same_code.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -no-reboot -turtles-monitor-script "$tmp/root.txt"
expect_status 1 "vmx_same_code with a root breakpoint (pass)"
expect_output "$tmp/root.log" "^stopped: cpu0 root vmcs=0x21000 long 0008:0*$same nop -- breakpoint 1\$" \
    "break if root (L1) stops in L1 at same_code"
expect_output "$tmp/root.log" '^stopped: cpu0 root .* vmlaunch -- returned \(finish\)$' \
    "finish returns to L1's VMLAUNCH"
expect_output "$tmp/root.log" "^stopped: cpu0 non-root .* 0008:$l2 call $(printf '%#x' $((16#$same))) -- VM entry\$" \
    "until nonroot stops at L2's first instruction (the call)"
expect_output "$tmp/root.log" "^stopped: cpu0 non-root .* 0008:0*$(printf '%x' $((16#$l2 + 5))) xor eax, eax -- step over \(n\)\$" \
    "n steps over L2's call"
[ "$(grep -c '^stopped: .*-- breakpoint' "$tmp/root.log")" -eq 1 ] ||
    fail "break if root stopped in L2 too"

# --- 3. run N is deterministic; wait stops a running guest; quit ---
script run1 'run 1234' 'quit'
for i in 1 2; do
    run_turtles 30 "$tmp/run$i.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -no-reboot -turtles-monitor-script "$tmp/run1.txt"
    expect_status 0 "run N then quit"
done
expect_output "$tmp/run1.log" '^stopped: .* -- ran the instructions asked for \(run\)$' "run N stops"
[ "$(grep '^stopped: .*(run)$' "$tmp/run1.log")" = "$(grep '^stopped: .*(run)$' "$tmp/run2.log")" ] ||
    fail "run 1234 stopped at different places in two runs"
script wait 'wait 0.3' 'info version' 'quit'
run_turtles 30 "$tmp/wait.log" -bios "$PLATFORM_ROMS/spin.rom" -m 16M -nographic \
    -turtles-monitor-script "$tmp/wait.txt"
expect_status 0 "wait then quit"
expect_output "$tmp/wait.log" '^stopped: cpu0 .* -- waited \(wait\)$' "wait stops a spinning guest"

# system_reset: the paused machine is back at the reset vector, and runs
# the guest from its start again to its pass.
script reset 'until exit cpuid' 'system_reset' 'vcpu 0' 'c'
run_turtles 30 "$tmp/reset.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -turtles-monitor-script "$tmp/reset.txt"
expect_status 1 "vmx_basic runs to its pass after system_reset"
expect_output "$tmp/reset.log" '^cpu0 root vmcs=none real f000:000000000000fff0 jmp 0 -- selected$' \
    "system_reset puts the vCPU at the reset vector, out of VMX"
[ "$(grep -c '^exit-cpuid$' "$tmp/reset.log")" -eq 1 ] ||
    fail "after system_reset the guest starts over (exit-cpuid once, from the second run)"

# --- 4. help, errors, and carrying on ---
script errors 'help' 'help until' 'help info' 'frobnicate 1 2' 's zero' 's 0' 'break' \
    'break 0x1000 if sideways' 'until exit no_such_reason' 'until' 'delete 99' 'vcpu 7' \
    'run' 'wait -1' 'c 1' 'x/4g' "$(head -c 3000 /dev/zero | tr '\0' a)" 'info version' 'c'
run_turtles 30 "$tmp/errors.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -no-reboot -turtles-monitor-script "$tmp/errors.txt"
expect_status 1 "the guest still passes after bad commands"
expect_output "$tmp/errors.log" '^until vmexit\|vmentry\|nonroot\|root\|exit REASON -- ' "help lists until"
expect_output "$tmp/errors.log" '^REASON: the SDM' "help until shows more"
expect_output "$tmp/errors.log" '^info break -- list the breakpoints$' "help info lists the info commands"
expect_output "$tmp/errors.log" "^error: unknown command 'frobnicate' \(help lists them\)\$" "unknown command"
expect_output "$tmp/errors.log" "^error: until exit: unknown exit reason 'no_such_reason'" "bad exit reason"
expect_output "$tmp/errors.log" '^error: .*:[0-9]+: line too long' "an overlong line"
expect_output "$tmp/errors.log" '^turtles 0\.' "info version answers after the errors"
nerr=$(grep -c '^error: ' "$tmp/errors.log")
[ "$nerr" -eq 14 ] || fail "expected 14 one-line errors, got $nerr"

# --- 5. stdio and a unix socket ---
printf 'info version\nc\n' | timeout --signal=KILL 30 "$turtles" -bios "$GUESTS/vmx_basic.rom" \
    -m 16M -serial null -monitor stdio -S "${DEBUG_EXIT[@]}" -no-reboot >"$tmp/stdio.log" 2>&1
status=$?
expect_status 1 "-S -monitor stdio: c from stdin runs the guest to its end"
expect_output "$tmp/stdio.log" '^turtles 0\.' "-monitor stdio answers"
printf 'info version\n' | timeout --signal=KILL 30 "$turtles" -bios "$GUESTS/vmx_basic.rom" \
    -m 16M -serial null -monitor stdio -S "${DEBUG_EXIT[@]}" -no-reboot >"$tmp/eof.log" 2>&1
status=$?
expect_status 0 "-S -monitor stdio: end of input with the machine paused quits"
expect_output "$tmp/eof.log" "input ended with the machine stopped" "says why it quit"

sock=$tmp/mon.sock
timeout --signal=KILL 30 "$turtles" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic -S \
    -monitor "unix:$sock,server,nowait" "${DEBUG_EXIT[@]}" -no-reboot </dev/null >"$tmp/unix.log" 2>&1 &
tpid=$!
python3 - "$sock" >"$tmp/client.log" 2>&1 <<'EOF'
import socket, sys, time
path = sys.argv[1]
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        time.sleep(0.1)
s.settimeout(20)
seen = ""
def until(text):
    """Read until text has come (in what was read since the last call)."""
    global seen
    while text not in seen:
        d = s.recv(4096)
        if not d:
            break
        seen += d.decode(errors="replace")
    out, seen = seen, ""
    print(out, end="")
until("(turtles) ")
s.sendall(b"info version\n")
until("(turtles) ")
s.sendall(b"until exit cpuid\n")
until("VM exit")
s.sendall(b"c\n")
until("(turtles) ")
EOF
wait "$tpid"
status=$?
expect_status 1 "a unix-socket monitor resumes a -S guest to its end"
expect_output "$tmp/client.log" '^turtles 0\.[0-9]+ monitor - type .help. for more information' "socket banner"
expect_output "$tmp/client.log" '^(\(turtles\) )?stopped: cpu0 root .* -- VM exit CPUID \(10\)$' "the stop line reaches the socket"

# --- 6a. -nographic on a terminal: Ctrl-A c switches to the monitor, the
# line editor edits (backspace) and recalls (up arrow), Ctrl-A x quits ---
python3 - "$turtles" "$PLATFORM_ROMS/spin.rom" >"$tmp/pty.log" 2>&1 <<'EOF'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-bios", sys.argv[2], "-m", "16M", "-nographic"])
out = b""
def read_for(sec):
    global out
    end = time.time() + sec
    while time.time() < end:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return
            if not d:
                return
            out += d
read_for(1.0)
for keys, sec in [(b"\x01c", 0.5), (b"info versoin\x7f\x7f\x7fion\r", 0.5), (b"stop\r", 0.5),
                  (b"\x1b[A\x1b[A\r", 0.5), (b"c\r", 0.3), (b"\x01c", 0.3), (b"\x01x", 2.0)]:
    os.write(fd, keys)
    read_for(sec)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
print("EXIT", os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1)
EOF
expect_output "$tmp/pty.log" '^\[monitor: Ctrl-A c returns to the serial console\]$' "Ctrl-A c switches"
[ "$(grep -c '^turtles 0\.' "$tmp/pty.log")" -eq 2 ] ||
    fail "info version (typed with backspaces, then recalled with the up arrow) answers twice"
expect_output "$tmp/pty.log" 'stopped: cpu0 root vmcs=none real .* -- stop \(monitor\)$' "stop on the terminal"
expect_output "$tmp/pty.log" '^turtles: quit \(Ctrl-A x\)$' "Ctrl-A x still quits"
expect_output "$tmp/pty.log" '^EXIT 0$' "status 0 after Ctrl-A x"

# -S with a gdb stub too: the monitor's c resumes without gdb ever attaching.
script gdbs 'info break' 'c'
run_turtles 30 "$tmp/gdbs.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic -S \
    -gdb "tcp::$((20000 + RANDOM % 40000))" "${DEBUG_EXIT[@]}" -no-reboot \
    -turtles-monitor-script "$tmp/gdbs.txt"
expect_status 1 "-S -gdb: the monitor's c runs the guest to its end"
expect_output "$tmp/gdbs.log" '^stopped: cpu0 root vmcs=none real .* -- start \(-S\)$' "-S pauses"

# --- 6. command-line errors: status 2, one line ---
for args in "-monitor stdio -serial stdio" "-monitor stdio -nographic" "-monitor tcp:1234" \
    "-monitor unix:" "-monitor" "-nographic -S"; do
    # shellcheck disable=SC2086
    run_turtles 10 "$tmp/opt.log" -bios "$GUESTS/vmx_basic.rom" $args
    expect_status 2 "turtles $args"
    [ "$(wc -l <"$tmp/opt.log")" -eq 1 ] || fail "turtles $args: not a one-line error"
done
run_turtles 10 "$tmp/nofile.log" -bios "$GUESTS/vmx_basic.rom" -nographic \
    -turtles-monitor-script "$tmp/does-not-exist"
expect_status 1 "a missing monitor script"
expect_output "$tmp/nofile.log" "^turtles: -turtles-monitor-script '.*does-not-exist': No such file" \
    "says which script is missing"

[ "$rc" -eq 0 ] && echo "monitor: all checks passed"
exit "$rc"
