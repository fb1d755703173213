#!/bin/bash
# The i440FX PAM shadow modes, each flipped by a guest running from its ROM
# (tests/guests/platform/pam.S): it checks what reads and writes of
# 0xF0000 (ROM behind it) and 0xC0000 (nothing behind it) reach in every
# mode and exits through isa-debug-exit (status 1: every check passed).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-pam.XXXXXX)
run_turtles 20 "$log" -bios "$PLATFORM_ROMS/pam.rom" -m 16M -nographic "${DEBUG_EXIT[@]}"
cat "$log"
expect_status 1 "every PAM mode behaves"
expect_output "$log" "pam: 0xC0000 ok" "the guest's last line"
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
