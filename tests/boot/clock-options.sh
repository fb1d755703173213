#!/bin/bash
# -icount and -rtc do what QEMU's do (frontend/machine_time.h), checked with
# tests/guests/platform/rtctime.S, which prints the RTC at start, after
# 10,000,000 instructions and after ~1 s (19 PIT ticks) of HLT idle time.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-clock.XXXXXX)
rom=$PLATFORM_ROMS/rtctime.rom

# run_rtctime ARGS...: sets $status, $elapsed (host seconds), the log
run_rtctime() {
    local t0 t1
    t0=$(date +%s.%N)
    run_turtles 60 "$log" -bios "$rom" -m 64M -nographic "${DEBUG_EXIT[@]}" -no-reboot "$@"
    t1=$(date +%s.%N)
    elapsed=$(echo "$t1 - $t0" | bc)
    expect_status 1 "rtctime $*"
}
line() { grep "^rtctime: $1 " "$log" | sed "s/^rtctime: $1 //"; }

# Default: fixed start date, 1 instruction = 1 ns, idle time skipped.
run_rtctime
[ "$(line start)" = "2026-01-01 00:00:00" ] || fail "default RTC start: '$(line start)'"
[ "$(line busy)" = "2026-01-01 00:00:00" ] || fail "default: 10M instructions are 10 ms: '$(line busy)'"
[ "$(line idle)" = "2026-01-01 00:00:01" ] || fail "default: idle second: '$(line idle)'"
cp "$log" "$log.first"
run_rtctime
cmp -s "$log" "$log.first" || fail "default runs are not identical"

# shift=10: 10M instructions are 10.24 s of machine time.
run_rtctime -icount shift=10,sleep=off
[ "$(line busy)" = "2026-01-01 00:00:10" ] || fail "shift=10: '$(line busy)'"
[ "$(line idle)" = "2026-01-01 00:00:11" ] || fail "shift=10 idle: '$(line idle)'"

# sleep=on: the idle second passes in host time too.
run_rtctime -icount shift=0,sleep=on
[ "$(echo "$elapsed >= 0.95" | bc)" = 1 ] || fail "sleep=on: the run took only $elapsed s"
[ "$(line idle)" = "2026-01-01 00:00:01" ] || fail "sleep=on idle: '$(line idle)'"

# shift=auto runs, and machine time moves forward.
run_rtctime -icount shift=auto
[ "$(line idle)" \> "$(line start)" ] || fail "shift=auto: time did not advance"

# base=DATE (UTC), and base=utc with the realtime clock.
run_rtctime -rtc base=2010-05-06T07:08:09
[ "$(line start)" = "2010-05-06 07:08:09" ] || fail "base=DATE: '$(line start)'"
[ "$(line idle)" = "2010-05-06 07:08:10" ] || fail "base=DATE idle: '$(line idle)'"
run_rtctime -rtc base=2011-02-03
[ "$(line start)" = "2011-02-03 00:00:00" ] || fail "base=DAY: '$(line start)'"
host_before=$(date -u +%s)
run_rtctime -rtc base=utc,clock=host
host_after=$(date -u +%s)
guest=$(date -u -d "$(line start)" +%s 2>/dev/null || echo 0)
[ "$guest" -ge $((host_before - 1)) ] && [ "$guest" -le $((host_after + 1)) ] ||
    fail "base=utc: RTC start '$(line start)' is not the host's UTC time"
[ "$(echo "$elapsed >= 0.95" | bc)" = 1 ] || fail "clock=host: the idle second took $elapsed s"

echo "clock options: default, shift=10, sleep=on, shift=auto, base=DATE, base=utc,clock=host checked"
rm -f "$log" "$log.first"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
