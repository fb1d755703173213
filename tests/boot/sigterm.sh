#!/bin/bash
# A guest that spins forever (tests/guests/platform/spin.S) is stopped by the
# host: SIGTERM and SIGINT make turtles stop the machine, print why and exit
# with status 4 (EXIT_SIGNAL), well before the hard KILL limit.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-sig.XXXXXX)

for sig in TERM INT; do
    timeout --preserve-status --signal=$sig --kill-after=10 2 "$turtles" \
        -bios "$PLATFORM_ROMS/spin.rom" -m 64M -nographic "${DEBUG_EXIT[@]}" </dev/null >"$log" 2>&1
    status=$?
    expect_status 4 "SIG$sig to a spinning guest"
    expect_output "$log" "spin: spinning forever" "the guest ran (SIG$sig)"
    if [ $sig = TERM ]; then
        expect_output "$log" "^turtles: terminated" "the SIGTERM message"
    else
        expect_output "$log" "^turtles: interrupted \(SIGINT\)" "the SIGINT message"
    fi
done
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
