#!/bin/bash
# The gdb stub (-gdb tcp::PORT, -S, frontend/gdbstub.c): real gdb (Debian's
# gdb 13, batch mode) steps and breaks in tests/guests/platform/gdbtarget.S
# from the reset vector on, follows a guest into long mode
# (tests/guests/syslong.S) with hardware breakpoints, watchpoints, CR0/CR3/
# CR4, x87/SSE registers and detach to a normal exit, and sees the VMX level
# and runs `monitor` commands (vmcs, watch, until, s) on
# tests/guests/vmx_basic.S; a raw protocol client checks attach to a
# running guest, Ctrl-C and detach on tests/guests/platform/spin.S, and
# hostile packets. Every step has a host-time limit.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
command -v gdb >/dev/null || { echo "SKIP: gdb not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
GUESTS=$BUILD_DIR/guests
tmp=$(mktemp -d /tmp/turtles-gdbstub.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A port is taken when some socket listens on it (/proc/net/tcp, state 0A).
# Not probed by connecting: turtles would take the probe for gdb.
port_free() {
    local hex
    hex=$(printf '%04X' "$1")
    ! grep -q "^ *[0-9]*: [0-9A-F]*:$hex [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# start_turtles LOG args...: starts turtles in the background on a free
# random port; sets $tpid and $port. Retries when the port was taken.
start_turtles() {
    local log=$1
    shift
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        port_free "$port" || continue
        timeout --signal=KILL 60 "$turtles" "$@" -gdb "tcp::$port" </dev/null >"$log" 2>&1 &
        tpid=$!
        for _ in $(seq 50); do
            port_free "$port" || return 0
            kill -0 "$tpid" 2>/dev/null || break
            sleep 0.1
        done
        wait "$tpid" 2>/dev/null
        grep -q "cannot listen" "$log" || break
    done
    fail "turtles did not start listening for gdb"
    sed 's/^/    | /' "$log" | head -20
    return 1
}

# finish_turtles: waits (bounded) for turtles; sets $status.
finish_turtles() {
    wait "$tpid"
    status=$?
}

run_gdb() {
    timeout --signal=KILL 30 gdb -batch -nx -ex "set confirm off" \
        -ex "target remote 127.0.0.1:$port" "$@" </dev/null >"$tmp/gdb.out" 2>&1
}

# --- 1. -S: from the reset vector, stepi, memory, breakpoint, registers, kill.
if start_turtles "$tmp/t1.log" -bios "$PLATFORM_ROMS/gdbtarget.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    # Without a HOST the stub listens on 127.0.0.1 only (0100007F).
    grep -q "^ *[0-9]*: 0100007F:$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp ||
        fail "the stub does not listen on 127.0.0.1 alone"
    run_gdb -ex 'info registers rip' -ex 'stepi' -ex 'info registers rip cs' \
        -ex 'x/4xb 0xf0000' -ex 'break *0xf0010' -ex 'continue' -ex 'info registers' \
        -ex 'set $rbx = 0x100' -ex 'stepi' -ex 'stepi' -ex 'info registers rip rdi rbx' \
        -ex 'set {char}0x1000 = 0x5a' -ex 'x/1xb 0x1000' -ex 'kill'
    finish_turtles
    o=$tmp/gdb.out
    expect_output "$o" "^rip +0xfff0 " "reset RIP F000:FFF0"
    expect_output "$o" "^rip +0x0 " "stepi ran the far jump at the reset vector"
    expect_output "$o" "^cs +0xf000 " "CS after the far jump"
    expect_output "$o" "^0xf0000:.*0xb8.*0x34.*0x12.*0xbb" "x/4xb reads the ROM by linear address"
    expect_output "$o" "^0x0*10 in " "the breakpoint at 0xf0010 stopped at IP 0x10"
    expect_output "$o" "^rax +0x1235 " "rax at the breakpoint"
    expect_output "$o" "^rbx +0x5678 " "rbx at the breakpoint"
    expect_output "$o" "^rcx +0x9abc " "rcx at the breakpoint"
    expect_output "$o" "^rsi +0x2000 " "rsi at the breakpoint"
    expect_output "$o" "^rdi +0x0 " "rdi not yet loaded at the breakpoint"
    expect_output "$o" "^eflags +0x6 " "eflags after inc"
    expect_output "$o" "^cr0 +0x60000010 " "CR0 at reset"
    expect_output "$o" "^fs_base +0x0 " "fs_base is reported"
    expect_output "$o" "^rip +0x16 " "two stepi from the breakpoint"
    expect_output "$o" "^rdi +0x4242 " "the instruction at the breakpoint ran once"
    expect_output "$o" "^rbx +0x101 " "a register written by gdb (P) reached the guest"
    expect_output "$o" "^0x1000:.*0x5a" "memory written by gdb (M)"
    expect_output "$tmp/t1.log" "^turtles: killed by gdb$" "turtles reports the kill"
    expect_status 7 "turtles after gdb's kill (EXIT_GDB_KILL)"
    grep -q "gdbtarget: done" "$tmp/t1.log" && fail "the guest ran on after kill"
fi

# --- 2. long mode: breakpoints on 64-bit code, paging, guest exit reported.
if start_turtles "$tmp/t2.log" -bios "$GUESTS/syslong.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    lm64=$(nm "$GUESTS/syslong.elf" | awk '$3 == "lm64" { print $1 }')
    run_gdb -ex "break *0x$lm64" -ex 'continue' -ex 'info registers rip cs cr0 efer' \
        -ex 'x/1xb $pc' -ex 'x/1xb 0x7fff00000000' -ex 'delete' -ex 'continue'
    finish_turtles
    o=$tmp/gdb.out
    expect_output "$o" "^Breakpoint 1, 0x0*${lm64#00000000000} in" "breakpoint in 64-bit code"
    expect_output "$o" "^efer +0x5.1 " "EFER.LMA/LME at the 64-bit breakpoint"
    expect_output "$o" "^cr0 +0x[89a-f]....... " "CR0.PG at the 64-bit breakpoint"
    expect_output "$o" "Cannot access memory at address 0x7fff00000000" "unmapped linear address"
    expect_output "$o" "exited normally|exited with code" "gdb told of the guest's exit"
    expect_status 1 "syslong under gdb (isa-debug-exit pass)"
fi

# --- 2a. the session issue 10 describes, on 64-bit code: attach to a paused
# machine (two vCPUs: two threads), a hardware breakpoint (Z1), registers with CR0/CR3/CR4, memory, a
# write watchpoint (Z2) and a read one (Z3) hit after the access, stepi, the
# x87/SSE registers of the target description, detach: the guest then
# finishes with its normal exit status.
if start_turtles "$tmp/t2a.log" -bios "$GUESTS/syslong.rom" -m 16M -smp 2 -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    lm64=$(nm "$GUESTS/syslong.elf" | awk '$3 == "lm64" { print $1 }')
    run_gdb -ex "hbreak *0x$lm64" -ex 'continue' -ex 'info threads' -ex 'thread 2' \
        -ex 'info registers rip cs' -ex 'thread 1' \
        -ex 'info registers cr0 cr3 cr4 efer vmx_nonroot vmcs_ptr' -ex 'x/2xw 0x10000' \
        -ex 'watch *(long *)0x7004' -ex 'continue' -ex 'x/1xi $pc' -ex 'stepi' \
        -ex 'info registers rip' -ex 'rwatch *(long *)0x4000' -ex 'continue' \
        -ex 'p $st0' -ex 'p $xmm15.v2_int64' -ex 'p/x $mxcsr' -ex 'p/x $fctrl' \
        -ex 'set $cr4 = $cr4 | 0x80' -ex 'p/x $cr4' -ex 'set $cr4 = 0x20' \
        -ex 'set $cr0 = 0x1234' -ex 'p/x $cr0' -ex 'delete' -ex 'detach'
    finish_turtles
    o=$tmp/gdb.out
    expect_output "$o" "^Hardware assisted breakpoint 1 at 0x0*${lm64#00000000000}$" "hbreak sets a hardware breakpoint (Z1)"
    expect_output "$o" "^Thread 1 hit Breakpoint 1, 0x0*${lm64#00000000000} in" "the hardware breakpoint stops in 64-bit code"
    expect_output "$o" "^\* 1 +Thread 1 \(vCPU 0\) +0x0*${lm64#00000000000} in" "thread 1 is vCPU 0, at the breakpoint"
    expect_output "$o" "^  2 +Thread 2 \(vCPU 1, waiting for SIPI\) +0x0*fff0 in" "thread 2 is the AP, waiting for SIPI"
    expect_output "$o" "^cs +0xf000 " "thread 2's registers are the AP's (Hg)"
    expect_output "$o" "^cr0 +0x[89a-f][0-9a-f]{6}[13579bdf] " "CR0.PG and PE"
    expect_output "$o" "^cr3 +0x10000 " "CR3: syslong's PML4"
    expect_output "$o" "^cr4 +0x20 " "CR4.PAE"
    expect_output "$o" "^vmx_nonroot +0x0 " "not in VMX non-root"
    expect_output "$o" "^vmcs_ptr +0xffffffffffffffff " "no current VMCS"
    expect_output "$o" "^0x10000:[[:space:]]+0x000110[0-9a-f]{2}[[:space:]]+0x00000000" "memory: the PML4's first entry"
    expect_output "$o" "^Hardware watchpoint 2: \*\(long \*\)0x7004" "watch is a hardware watchpoint (Z2)"
    expect_output "$o" "^New value = 40960$" "the watchpoint stopped after the write of TSS.RSP0"
    expect_output "$o" "^=> 0x[0-9a-f]+:[[:space:]]+movq +\\\$0xb008,0x7024" "stopped after the watched instruction, at the next one"
    expect_output "$o" "^Hardware read watchpoint 3: \*\(long \*\)0x4000" "rwatch (Z3)"
    expect_output "$o" "^Value = 13$" "the read watchpoint stopped at the read of the #GP vector"
    expect_output "$o" '^\$1 = 0$' "st0 through the target description"
    expect_output "$o" '^\$2 = \{0, 0\}$' "xmm15 through the target description"
    expect_output "$o" '^\$3 = 0x1f80$' "MXCSR at reset"
    expect_output "$o" '^\$4 = 0x40$' "FCW at power-on (SDM Vol.3A 9.1.1)"
    expect_output "$o" '^\$5 = 0xa0$' "CR4.PGE written by gdb (P through cpu_set_cr4)"
    expect_output "$o" 'Could not write register "cr0"; remote failure reply .E22.' \
        "a CR0 value the CPU refuses (#GP) is refused"
    expect_output "$o" '^\$6 = 0xe0000011$' "CR0 unchanged after the refused write"
    expect_output "$o" "Inferior 1 \(Remote target\) detached" "detach"
    expect_output "$tmp/t2a.log" "^pass$" "the guest ran its checks after detach"
    expect_status 1 "syslong after a gdb session (isa-debug-exit pass)"
fi

# --- 2c. the VMX level: a breakpoint in the L2 guest of vmx_basic shows
# non-root with the current VMCS, VMXON region and EPT pointer; the exit
# handler shows root.
if start_turtles "$tmp/t2c.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    l2=$(nm "$GUESTS/vmx_basic.elf" | awk '$3 == "l2_code" { print $1 }')
    vmexit=$(nm "$GUESTS/vmx_basic.elf" | awk '$3 == "vm_exit" { print $1 }')
    run_gdb -ex "break *0x$l2" -ex 'continue' \
        -ex 'info registers vmx_nonroot vmxon_ptr vmcs_ptr eptp' -ex 'info threads' \
        -ex 'echo BEGIN-VMCS\n' -ex 'monitor vmcs' -ex 'echo END-VMCS\n' -ex 'delete' \
        -ex 'monitor nosuchcommand' -ex 'monitor watch 0x800040 1' -ex 'continue' \
        -ex 'info registers rip vmx_nonroot' -ex 'monitor info break' -ex 'monitor delete' \
        -ex "break *0x$vmexit" -ex 'continue' -ex 'info registers vmx_nonroot vmcs_ptr' \
        -ex 'delete' -ex 'detach'
    finish_turtles
    expect_status 1 "vmx_basic after a gdb session (isa-debug-exit pass)"
    o=$tmp/gdb.out
    # `monitor vmcs` prints what the monitor's own vmcs prints at the same place.
    sed -n '/^BEGIN-VMCS$/,/^END-VMCS$/p' "$o" | sed '1d;$d' >"$tmp/vmcs.gdb"
    printf 'break 0x%s\nc\nvmcs\nquit\n' "$l2" >"$tmp/vmcs.script"
    run_turtles 30 "$tmp/vmcs.mon" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -turtles-monitor-script "$tmp/vmcs.script"
    sed -n '/^(turtles) vmcs$/,/^(turtles) quit$/p' "$tmp/vmcs.mon" | sed '1d;$d' >"$tmp/vmcs.mon.view"
    expect_output "$tmp/vmcs.gdb" "^VMCS 0x21000 of CPU #0 .*non-root" "monitor vmcs through gdb"
    expect_output "$tmp/vmcs.gdb" "^  GUEST_CR3 +6802 = 0x10000$" "monitor vmcs shows the guest CR3"
    [ "$(wc -l <"$tmp/vmcs.gdb")" -gt 100 ] || fail "monitor vmcs: only $(wc -l <"$tmp/vmcs.gdb") lines"
    cmp -s "$tmp/vmcs.gdb" "$tmp/vmcs.mon.view" ||
        { fail "monitor vmcs differs from the monitor's vmcs"; diff "$tmp/vmcs.gdb" "$tmp/vmcs.mon.view" | head; }
    expect_output "$o" "^error: unknown command 'nosuchcommand'" "a bad monitor command: one error line"
    # A watchpoint the monitor set (through gdb) stops gdb with SIGTRAP at
    # L2's HLT, after its write to the EPT hole landed.
    expect_output "$o" "^watchpoint [0-9]+: 0x800040 len 1 write$" "monitor watch through gdb"
    expect_output "$o" "^Program received signal SIGTRAP" "the monitor's watchpoint stops gdb"
    hlt=$(printf '%x' $((0x$l2 + 16))) # xor, cpuid, mov, out: 2 bytes each; movb to abs32: 8
    expect_output "$o" "^rip +0x$hlt " "stopped after L2's write, at its HLT"
    expect_output "$o" "^[0-9]+ +watch 0x0000000000800040 len 1 write$" "monitor info break lists it"
    expect_output "$o" "^vmx_nonroot +0x1 " "non-root at L2's first instruction"
    expect_output "$o" "^vmxon_ptr +0x20000 " "the VMXON region"
    expect_output "$o" "^vmcs_ptr +0x21000 " "the current VMCS"
    expect_output "$o" "^eptp +0x3001e " "the EPT pointer (WB, 4 levels)"
    expect_output "$o" "^vmx_nonroot +0x0 " "root in the exit handler"
    expect_output "$o" "^\* 1 +Thread 1 \(vCPU 0, non-root, VMCS 0x21000\)" "info threads names the level"
fi

# --- 2d. gdb alone (no -monitor) sets a watchpoint and a breakpoint through
# `monitor`, then detaches: they go with it (nobody could resume the
# machine after they fired) and the guest finishes.
if start_turtles "$tmp/t2d.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    run_gdb -ex 'monitor watch 0x800040 1' -ex 'monitor break 0xf0907' -ex 'detach'
    finish_turtles
    expect_status 1 "vmx_basic after gdb left its monitor watchpoint and breakpoint"
    expect_output "$tmp/gdb.out" "^watchpoint 1: 0x800040 len 1 write$" "monitor watch"
fi

# --- 2e. a `monitor` command that runs the machine (until, s) returns when
# it stops again, with the monitor's stop line; gdb then rereads registers.
if start_turtles "$tmp/t2e.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    l2=$(nm "$GUESTS/vmx_basic.elf" | awk '$3 == "l2_code" { print $1 }')
    vmexit=$(nm "$GUESTS/vmx_basic.elf" | awk '$3 == "vm_exit" { print $1 }')
    run_gdb -ex 'monitor until exit cpuid' -ex 'maint flush register-cache' \
        -ex 'info registers rip vmx_nonroot' -ex 'monitor s 2' -ex 'monitor vmcs GUEST_RIP' \
        -ex 'detach'
    finish_turtles
    o=$tmp/gdb.out
    expect_output "$o" "^stopped: cpu0 root vmcs=0x21000 long 0008:0*${vmexit#00000000000} .* -- VM exit CPUID \(10\)$" \
        "monitor until exit cpuid returns at the exit with the stop line"
    expect_output "$o" "^rip +0x${vmexit#00000000000} " "gdb sees the exit handler's RIP"
    expect_output "$o" "^  cpu0 root 0008:0*${vmexit#00000000000}  " "monitor s traces the first instruction"
    [ "$(grep -c '^  cpu0 root 0008:' "$o")" -eq 2 ] || fail "monitor s 2: not two traced instructions"
    expect_output "$o" "^stopped: cpu0 root .* -- step$" "monitor s ends with the stop line"
    expect_output "$o" "^GUEST_RIP +681e = 0x$(printf '%x' $((0x$l2 + 2)))$" "L2's RIP at its CPUID"
    expect_status 1 "vmx_basic after monitor until/s through gdb (isa-debug-exit pass)"
fi

# --- 2b. a non-canonical RIP written by gdb: the fetch is #GP(0) (SDM Vol.3A
# 6.15), delivered through the guest's IDT, never a fetch from address 0.
if start_turtles "$tmp/t2b.log" -bios "$GUESTS/syslong.rom" -m 16M -nographic \
        "${DEBUG_EXIT[@]}" -S; then
    at=$(nm "$GUESTS/syslong.elf" | awk '$3 == "fetch_checks" { print $1 }')
    gp=$(nm "$GUESTS/syslong.elf" | awk '$3 == "exc13" { print $1 }')
    run_gdb -ex "break *0x$at" -ex 'continue' -ex 'set $pc = 0x8000000000000000' \
        -ex "break *0x$gp" -ex 'continue' -ex 'x/2gx $sp' -ex 'kill'
    finish_turtles
    o=$tmp/gdb.out
    expect_output "$o" "^Breakpoint 2, 0x0*${gp#00000000000} in" "gdb's non-canonical RIP reached the #GP handler"
    expect_output "$o" ":[[:space:]]+0x0+[[:space:]]+0x8000000000000000" "#GP(0) saved the non-canonical RIP"
fi

# --- 3. attach to a running guest, Ctrl-C, detach: the raw protocol.
if start_turtles "$tmp/t3.log" -bios "$PLATFORM_ROMS/spin.rom" -m 16M -nographic; then
    timeout --signal=KILL 30 python3 - "$port" >"$tmp/rsp.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
buf = b""
def packet():
    global buf
    while True:
        i = buf.find(b"$")
        j = buf.find(b"#", i)
        if i >= 0 and j >= 0 and len(buf) >= j + 3:
            p = buf[i + 1:j]
            buf = buf[j + 3:]
            return p.decode()
        buf += s.recv(4096)
def cmd(p):
    s.sendall(b"$%s#%02x" % (p.encode(), sum(p.encode()) & 0xff))
    return packet()
print("attach", cmd("?"))
print("threads", cmd("qfThreadInfo"))
print("vcont", cmd("vCont?"))
s.sendall(b"$c#63")
time.sleep(0.5)
s.sendall(b"\x03")
print("interrupt", packet())
print("rip", cmd("p10"))
print("detach", cmd("D"))
s.close()
PY
    sleep 0.5
    kill -0 "$tpid" 2>/dev/null && echo "still running after detach" >>"$tmp/rsp.out"
    kill -TERM "$tpid" 2>/dev/null
    finish_turtles
    o=$tmp/rsp.out
    expect_output "$o" "^attach T05thread:1;" "attaching stops the guest"
    expect_output "$o" "^threads m1$" "one thread per vCPU"
    expect_output "$o" "^vcont vCont;c;C;s;S" "vCont actions"
    expect_output "$o" "^interrupt T02thread:1;" "Ctrl-C stops a running guest"
    expect_output "$o" "^rip [0-9a-f]{16}$" "a register read after Ctrl-C"
    expect_output "$o" "^detach OK" "detach"
    expect_output "$o" "^still running after detach" "the guest runs on after detach"
    expect_status 4 "SIGTERM after detach"
fi

# --- 5. hostile packets (issue 18): a wrong checksum is answered '-' and not
# served ("$k#00" must not kill), a packet over PacketSize gets an error
# reply, then a real kill exits 7. SIGTERM while gdb holds the machine is a
# signal stop (4), not a kill.
if start_turtles "$tmp/t5.log" -bios "$PLATFORM_ROMS/spin.rom" -m 16M -nographic -S; then
    timeout --signal=KILL 30 python3 - "$port" >"$tmp/rsp5.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
def reply(n):
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    return data.decode()
def packet():
    data = b""
    while not (b"#" in data and len(data) >= data.index(b"#") + 3):
        data += s.recv(1)
    return data.decode()
s.sendall(b"$k#00")
print("bad-kill", reply(1))
s.sendall(b"$g#00")
print("bad-g", reply(1))
big = b"m" + b"0" * 20000
s.sendall(b"$" + big + b"#%02x" % (sum(big) & 0xff))
print("oversized", reply(1), packet())
s.sendall(b"$?#3f")
print("alive", reply(1), packet()[:4])
def send(payload):
    s.sendall(b"$" + payload + b"#%02x" % (sum(payload) & 0xff))
    reply(1)
    return packet()
# X carries binary data, NUL bytes and '}'-escaped '#' included.
print("xwrite", send(b"X1000,4:\x00\x01}\x03\x00"))
print("xread", send(b"m1000,4"))
print("hbad", send(b"H"))
s.sendall(b"$k#6b")
print("kill", reply(1))
PY
    finish_turtles
    o=$tmp/rsp5.out
    expect_output "$o" "^bad-kill -$" "a kill with a bad checksum is refused"
    expect_output "$o" "^bad-g -$" "g with a bad checksum is refused"
    expect_output "$o" '^oversized \+ \$E22#' "an oversized packet gets an error reply"
    expect_output "$o" '^alive \+ \$T05' "the stub still serves after bad packets"
    expect_output "$o" '^xwrite \$OK#' "X with NUL bytes in its data"
    expect_output "$o" '^xread \$00012300#' "the X data landed whole (NULs and the escaped #)"
    expect_output "$o" '^hbad \$E22#' "H without g or c is an error"
    expect_status 7 "gdb kill (EXIT_GDB_KILL)"
    expect_output "$tmp/t5.log" "^turtles: killed by gdb$" "the kill's line"
fi
if start_turtles "$tmp/t6.log" -bios "$PLATFORM_ROMS/spin.rom" -m 16M -nographic -S; then
    kill -TERM "$tpid"
    finish_turtles
    expect_status 4 "SIGTERM while -S waits for gdb"
    expect_output "$tmp/t6.log" "^turtles: terminated: stopping$" "SIGTERM under -S is no gdb kill"
    grep -q "killed by gdb" "$tmp/t6.log" && fail "SIGTERM under -S said 'killed by gdb'"
fi

# --- 3b. -S with both a gdb stub and the monitor: the monitor's `c` starts
# the guest, no gdb ever attaches.
printf 'c\n' >"$tmp/c.script"
run_turtles 60 "$tmp/t3b.log" -bios "$GUESTS/syslong.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -S -gdb "tcp::$((20000 + RANDOM % 40000))" \
    -turtles-monitor-script "$tmp/c.script"
expect_output "$tmp/t3b.log" "^pass$" "-S resumed by the monitor's c with no gdb attached"
expect_status 1 "-S, then the monitor's c (isa-debug-exit pass)"

# --- 4. the options: localhost only; -S needs a stub.
# 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this machine.
run_turtles 10 "$tmp/t4.log" -bios "$PLATFORM_ROMS/gdbtarget.rom" -gdb tcp:192.0.2.1:1234
expect_status 1 "-gdb on an address that is not this machine's"
expect_output "$tmp/t4.log" "^turtles: gdb stub: cannot listen on 192.0.2.1:1234: " "the bind failure's line"
run_turtles 10 "$tmp/t4.log" -bios "$PLATFORM_ROMS/gdbtarget.rom" -gdb tcp::99999
expect_status 2 "-gdb with a bad port"
run_turtles 10 "$tmp/t4.log" -bios "$PLATFORM_ROMS/gdbtarget.rom" -S
expect_status 2 "-S without a gdb stub"

[ $rc -eq 0 ] && echo "PASS"
exit $rc
