#!/bin/bash
# A guest that triple-faults on purpose (tests/guests/platform/triplefault.S):
# under -no-reboot turtles exits with its own status 3 (EXIT_TRIPLE_FAULT in
# frontend/machine.h; QEMU would exit 0) and names the triple fault; without
# -no-reboot the machine resets and runs the guest again.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-tf.XXXXXX)

run_turtles 30 "$log" -bios "$PLATFORM_ROMS/triplefault.rom" -m 64M -nographic \
    "${DEBUG_EXIT[@]}" -no-reboot
expect_status 3 "triple fault under -no-reboot"
expect_output "$log" "^turtles: triple fault" "the exit message names the triple fault"
expect_output "$log" "about to triple fault" "the guest ran"

# Without -no-reboot the guest resets forever: stop it after 2 s of host time
# and count its boots.
timeout --signal=TERM 2 "$turtles" -bios "$PLATFORM_ROMS/triplefault.rom" -m 64M -nographic \
    "${DEBUG_EXIT[@]}" </dev/null >"$log" 2>&1
status=$?
boots=$(grep -c "about to triple fault" "$log")
[ "$boots" -ge 2 ] || fail "without -no-reboot a triple fault must reset (saw $boots boots)"
grep -q "^turtles: triple fault" "$log" && fail "a triple fault without -no-reboot must not exit"
echo "triple fault: -no-reboot exit ok; $boots boots in 2 s without -no-reboot"
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
