#!/bin/bash
# Halted vCPUs and what can wake them (issue 18 item 4; guests in
# tests/guests/platform/): cli; hlt under a periodic PIT can never wake
# (no NMI or INIT source), so turtles stops with status 6 at once, also
# under -smp 2 and before a generous -turtles-max-insns; with the PIT routed
# as an NMI the same HLT wakes; sti; hlt behind masked interrupt lines waits
# while time runs, and -turtles-max-insns still ends it (idle steps count).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-halt.XXXXXX)
DEADLOCK_LINE="^turtles: all vCPUs halted with interrupts that can never come"

for smp in 1 2; do
    run_turtles 20 "$log" -bios "$PLATFORM_ROMS/clihlt.rom" -m 64M -nographic -smp $smp \
        "${DEBUG_EXIT[@]}" -turtles-max-insns 100000000
    expect_status 6 "cli; hlt with a periodic timer (-smp $smp)"
    expect_output "$log" "$DEADLOCK_LINE" "the status-6 line (-smp $smp)"
    expect_output "$log" "clihlt-halting" "the guest ran (-smp $smp)"
    [ "$(grep -c '^turtles:' "$log")" -eq 1 ] || fail "one turtles: line (-smp $smp)"
done

run_turtles 20 "$log" -bios "$PLATFORM_ROMS/nmiwake.rom" -m 64M -nographic "${DEBUG_EXIT[@]}"
expect_status 1 "cli; hlt woken by an I/O APIC NMI"
expect_output "$log" "nmiwake-nmi" "the NMI handler ran"

run_turtles 20 "$log" -bios "$PLATFORM_ROMS/maskedwait.rom" -m 64M -nographic \
    "${DEBUG_EXIT[@]}" -turtles-max-insns 100000000
expect_status 6 "sti; hlt with every interrupt path masked"
expect_output "$log" "^turtles: all vCPUs halted" "the status-6 line"
expect_output "$log" "maskedwait-halting" "the guest ran"

run_turtles 20 "$log" -bios "$PLATFORM_ROMS/kbdwait.rom" -m 64M -nographic \
    "${DEBUG_EXIT[@]}" -turtles-max-insns 5000 -turtles-stats
expect_status 5 "sti; hlt waiting on the open keyboard line under -turtles-max-insns"
expect_output "$log" "^turtles: instruction limit reached" "the limit's line"
expect_output "$log" "kbdwait-halting" "the guest ran"
# The guest retires a few dozen instructions; the rest of the 5000 are idle steps.
insns=$(sed -n 's/^turtles-stats: instructions=\([0-9]*\).*/\1/p' "$log")
[ -n "$insns" ] && [ "$insns" -lt 100 ] || fail "kbdwait retired $insns instructions, expected < 100"

rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
