#!/bin/bash
# -turtles-undefined random: every flag the SDM leaves undefined after an
# instruction (the opcode table's EF column, cpu/flags_table.h) gets a
# pseudo-random value. Software that depends on an undefined value is
# broken, so every bare-metal test guest (tests/guests/*.S) must still
# pass (undefined-random-linux.sh boots Linux so; it is in LONG: ~90 s); a
# failure here is a wrong "defined" claim in the table or a guest reading
# an undefined flag.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-undef.XXXXXX)
run_turtles 10 "$log" -turtles-undefined sometimes -nographic
expect_status 2 "-turtles-undefined sometimes is rejected"
n=0
for rom in "$BUILD_DIR"/guests/*.rom; do
    name=$(basename "$rom" .rom)
    run_turtles 60 "$log" -turtles-undefined random -bios "$rom" -m 64M -nographic \
        "${DEBUG_EXIT[@]}" -no-reboot
    expect_status 1 "guest $name with random undefined flags"
    [ "$status" -eq 1 ] || sed 's/^/    | /' "$log" | tail -20
    n=$((n + 1))
done
[ $n -gt 0 ] || fail "no guest ROMs in $BUILD_DIR/guests"
echo "$n bare-metal guests run with -turtles-undefined random"
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
