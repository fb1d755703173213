#!/bin/bash
# The monitor's `watch ADDR LEN [r|w|rw]` (frontend/monitor_watch.c over
# cpu/debug.c's watchpoints, shared with gdb's Z2-Z4), run from
# -turtles-monitor-script: a stop after the access with the watchpoint in
# the stop line, the root:/nonroot: level filters on tests/guests/vmx_basic.S
# (L2 writes a byte that L1 then reads back), numbering shared with
# breakpoints (info break, delete), one-line errors for bad arguments, and
# the guest's normal exit status once the watchpoints are gone.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
GUESTS=$BUILD_DIR/guests
tmp=$(mktemp -d /tmp/turtles-monwatch.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. Levels: L2's `movb $0x5a, HOLE + 0x40` (HOLE = 0x800000) first hits an
# EPT violation (the write does not complete: no stop), lands after L1 maps
# the page; L1 then reads the byte back in root.
cat >"$tmp/levels.txt" <<'SCRIPT'
watch nonroot:0x800040 1 w
watch root:0x800040 1 rw
break 0xf0000
info break
c
c
delete 1
delete 2
info break
c
SCRIPT
run_turtles 60 "$tmp/levels.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -turtles-monitor-script "$tmp/levels.txt"
o=$tmp/levels.log
expect_output "$o" "^watchpoint 1: 0x800040 len 1 write in non-root$" "watch nonroot: is set"
expect_output "$o" "^watchpoint 2: 0x800040 len 1 read/write in root$" "watch root: is set"
expect_output "$o" "^breakpoint 3 at " "breakpoints and watchpoints share the numbering"
expect_output "$o" "^1 +watch 0x0000000000800040 len 1 write in non-root$" "info break lists watchpoints"
expect_output "$o" "^stopped: cpu0 non-root vmcs=0x21000 eptp=0x3001e long .* hlt .*-- watchpoint 1 \(0x800040 len 1\): written$" \
    "L2's write stops in non-root, after the write (at the HLT)"
expect_output "$o" "^stopped: cpu0 root vmcs=0x21000 long .*-- watchpoint 2 \(0x800040 len 1\): read$" \
    "L1's read stops in root"
expect_output "$o" "^3 +0x00000000000f0000" "after delete 1 and 2 the breakpoint stays"
grep -q "^[12] +watch" <(sed -n '/^(turtles) delete 2/,$p' "$o") && fail "delete left a watchpoint"
expect_output "$o" "^vmx-basic-ok$" "the guest ran on"
expect_status 1 "vmx_basic after the watch session (isa-debug-exit pass)"

# 1b. A watchpoint set while L2 runs, on a page L1 used before VMLAUNCH
# (STAGE, 0x34000): L1's TLB context saved at VM entry still has the page
# on its fast path; the VM exit must not bring that back. The first stop is
# L1's read in the CPUID exit handler, before it prints exit-cpuid.
cat >"$tmp/saved.txt" <<'SCRIPT'
break 0xf0907
c
delete
watch 0x34000 8 rw
c
delete
c
SCRIPT
run_turtles 60 "$tmp/saved.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -turtles-monitor-script "$tmp/saved.txt"
o=$tmp/saved.log
first=$(grep -n -- "-- watchpoint 2 (0x34000 len 8)" "$o" | head -1 | cut -d: -f1)
cpuid=$(grep -n "^exit-cpuid$" "$o" | head -1 | cut -d: -f1)
[ -n "$first" ] && [ -n "$cpuid" ] && [ "$first" -lt "$cpuid" ] ||
    { fail "the watchpoint missed L1's read of STAGE after the first VM exit"; sed 's/^/    | /' "$o" | head -20; }
expect_output "$o" "^stopped: cpu0 root vmcs=0x21000 long .* -- watchpoint 2 \(0x34000 len 8\): read$" "L1's read after the exit"
expect_status 1 "vmx_basic after the watch on L1's page (isa-debug-exit pass)"

# 2. A REP STOSD stops after the iteration that wrote the watched qword;
# a read watchpoint; bad arguments give one line each and the monitor
# carries on.
cat >"$tmp/plain.txt" <<'SCRIPT'
watch 0x7004 8
c
delete
watch 0x4000 8 r
c
delete
watch p:0x1000 4
watch 0x1000 0
watch 0x1000 4097
watch 0x1000 4 x
watch 0x1000
watch zz 4
watch root:nonroot:0x1000 4
info watch
c
SCRIPT
run_turtles 60 "$tmp/plain.log" -bios "$GUESTS/syslong.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -turtles-monitor-script "$tmp/plain.txt"
o=$tmp/plain.log
expect_output "$o" "^stopped: cpu0 root vmcs=none protected .* rep stosd .*-- watchpoint 1 \(0x7004 len 8\): written$" \
    "a REP STOSD stops on the watched iteration"
expect_output "$o" "^stopped: cpu0 root vmcs=none long .*-- watchpoint 2 \(0x4000 len 8\): read$" "a read watchpoint"
expect_output "$o" "^error: watch: watchpoints watch linear addresses, not guest-physical 'p:0x1000'$" "p: refused"
expect_output "$o" "^error: watch: LEN must be 1 to 4096, not '0'$" "LEN 0 refused"
expect_output "$o" "^error: watch: LEN must be 1 to 4096, not '4097'$" "LEN 4097 refused"
expect_output "$o" "^error: watch: expected r, w or rw, not 'x'$" "a bad kind refused"
expect_output "$o" "^error: usage: watch ADDR LEN \[r\|w\|rw\]$" "a missing LEN refused"
expect_output "$o" "^error: watch: bad address 'zz'$" "a bad address refused"
expect_output "$o" "^error: watch: bad address 'root:nonroot:0x1000'$" "two level prefixes refused"
[ "$(grep -c '^error: ' "$o")" -eq 7 ] || fail "expected 7 error lines, got $(grep -c '^error: ' "$o")"
expect_output "$o" "^no watchpoints$" "delete took every watchpoint"
expect_output "$o" "^pass$" "the guest ran on"
expect_status 1 "syslong after the watch session (isa-debug-exit pass)"

[ $rc -eq 0 ] && echo "PASS"
exit $rc
