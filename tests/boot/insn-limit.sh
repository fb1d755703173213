#!/bin/bash
# -turtles-max-insns is exact (issue 18 item 9): hello.rom (tests/guests/
# hello.S) retires 10 instructions, the last its isa-debug-exit write. A
# limit below that stops after exactly N instructions with status 5 and its
# line; a limit of 10 or more lets the guest's own exit win (the first stop
# keeps its status and prints no limit line).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-limit.XXXXXX)
hello=$BUILD_DIR/guests/hello.rom

for n in 1 2 9; do
    run_turtles 20 "$log" -bios "$hello" -m 64M -nographic "${DEBUG_EXIT[@]}" \
        -turtles-max-insns $n -turtles-stats
    expect_status 5 "-turtles-max-insns $n"
    expect_output "$log" "^turtles: instruction limit reached$" "the limit's line ($n)"
    expect_output "$log" "^turtles-stats: instructions=$n " "exactly $n instructions"
done
for n in 10 11 1000000; do
    run_turtles 20 "$log" -bios "$hello" -m 64M -nographic "${DEBUG_EXIT[@]}" \
        -turtles-max-insns $n -turtles-stats
    expect_status 1 "the guest's isa-debug-exit under -turtles-max-insns $n"
    grep -q "instruction limit" "$log" && fail "limit $n: the limit's line after the guest's exit"
    expect_output "$log" "^turtles-stats: instructions=10 " "hello.rom's 10 instructions ($n)"
done
rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
