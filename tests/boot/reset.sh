#!/bin/bash
# Machine resets (tests/guests/platform/resetcount.S counts its boots in CMOS
# NVRAM): the keyboard controller's 0xFE pulse, the PIIX reset control
# register 0xCF9 and a triple fault each reset the machine and the guest
# boots again; with -no-reboot the first guest reset exits with status 0.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-reset.XXXXXX)

run_turtles 30 "$log" -bios "$PLATFORM_ROMS/resetcount.rom" -m 64M -nographic "${DEBUG_EXIT[@]}"
expect_status 1 "three resets then isa-debug-exit pass"
for n in 1 2 3 4; do
    expect_output "$log" "resetcount: boot $n" "boot $n"
done
expect_output "$log" "all three resets worked" "the guest saw every reset"

run_turtles 30 "$log" -bios "$PLATFORM_ROMS/resetcount.rom" -m 64M -nographic \
    "${DEBUG_EXIT[@]}" -no-reboot
expect_status 0 "a guest reset under -no-reboot"
expect_output "$log" "^turtles: guest requested a reset" "the -no-reboot exit message"
grep -q "resetcount: boot 2" "$log" && fail "-no-reboot: the machine booted a second time"
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
