#!/bin/bash
# Serial backends and the console escape: -serial file:PATH, null and pty
# carry (or drop) COM1's output; Ctrl-A x on a terminal's stdio quits with
# status 0, as in QEMU. The guests are tests/guests/hello.S (prints "hi")
# and tests/guests/platform/spin.S (prints a line, then spins).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
dir=$(mktemp -d /tmp/turtles-serial.XXXXXX)
hello=$BUILD_DIR/guests/hello.rom
spin=$PLATFORM_ROMS/spin.rom

run_turtles 30 "$dir/log" -bios "$hello" -m 64M -display none -serial "file:$dir/com1" \
    "${DEBUG_EXIT[@]}"
expect_status 1 "-serial file:"
[ "$(cat "$dir/com1" 2>/dev/null)" = "hi" ] || fail "-serial file: got '$(cat "$dir/com1" 2>/dev/null)'"
grep -q "^hi" "$dir/log" && fail "-serial file: the output also reached stdout"

run_turtles 30 "$dir/log" -bios "$hello" -m 64M -display none -serial null "${DEBUG_EXIT[@]}"
expect_status 1 "-serial null"
grep -q "hi" "$dir/log" && fail "-serial null: output reached stdout"

# pty: turtles names the pty on stderr; the guest's line arrives on it.
"$turtles" -bios "$spin" -m 64M -display none -serial pty </dev/null >"$dir/log" 2>&1 &
pid=$!
pty=""
for _ in $(seq 1 50); do
    pty=$(sed -n 's/^char device redirected to \(\/dev\/[^ ]*\).*/\1/p' "$dir/log")
    [ -n "$pty" ] && break
    sleep 0.1
done
if [ -z "$pty" ]; then
    fail "-serial pty: no 'char device redirected to' line"
else
    timeout 3 cat "$pty" >"$dir/pty-out" 2>/dev/null
    grep -q "spin: spinning forever" "$dir/pty-out" || fail "-serial pty: nothing read from $pty"
fi
kill -TERM $pid
wait $pid
status=$?
expect_status 4 "SIGTERM with -serial pty"

# Ctrl-A x on a terminal (script(1) gives turtles a pty as stdin).
if command -v script >/dev/null; then
    (sleep 1; printf '\001x') | timeout --signal=KILL 20 script -qfec \
        "'$turtles' -bios '$spin' -m 64M -nographic" /dev/null >"$dir/log" 2>&1
    status=$?
    expect_status 0 "Ctrl-A x"
    expect_output "$dir/log" "turtles: quit \(Ctrl-A x\)" "the Ctrl-A x message"
else
    echo "script(1) missing: Ctrl-A x not checked"
fi

# COM1-COM4: every port exists; the n-th -serial option is COM n, the ports
# without one discard their output; a fifth -serial is an error.
comports=$PLATFORM_ROMS/comports.rom
run_turtles 30 "$dir/log" -bios "$comports" -m 64M -display none -serial "file:$dir/c1" \
    -serial "file:$dir/c2" -serial null -serial "file:$dir/c4" "${DEBUG_EXIT[@]}"
expect_status 1 "four -serial options"
[ "$(cat "$dir/c1" 2>/dev/null)" = "com1" ] || fail "COM1 got '$(cat "$dir/c1" 2>/dev/null)'"
[ "$(cat "$dir/c2" 2>/dev/null)" = "com2" ] || fail "COM2 got '$(cat "$dir/c2" 2>/dev/null)'"
[ "$(cat "$dir/c4" 2>/dev/null)" = "com4" ] || fail "COM4 got '$(cat "$dir/c4" 2>/dev/null)'"
run_turtles 30 "$dir/log" -bios "$comports" -m 64M -nographic "${DEBUG_EXIT[@]}"
expect_status 1 "COM2-COM4 without backends"
grep -q "com2" "$dir/log" && fail "COM2 output reached stdout without a -serial for it"
run_turtles 30 "$dir/log" -bios "$comports" -serial null -serial null -serial null \
    -serial null -serial null
expect_status 2 "a fifth -serial"

rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
