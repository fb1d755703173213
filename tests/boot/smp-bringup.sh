#!/bin/bash
# -smp N for N = 1..8: the BSP of tests/guests/platform/smpboot.S wakes every
# AP with INIT, SIPI, SIPI through the local APIC ICR, and each AP checks in.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-smp.XXXXXX)
for n in 1 2 3 4 8; do
    run_turtles 60 "$log" -bios "$PLATFORM_ROMS/smpboot.rom" -m 64M -smp $n -nographic \
        "${DEBUG_EXIT[@]}" -no-reboot
    expect_status 1 "-smp $n"
    expect_output "$log" "smpboot: $n of $n cpus up" "-smp $n: every AP started"
done
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
