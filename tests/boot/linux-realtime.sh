#!/bin/bash
# Realtime mode: with -rtc base=utc,clock=host the machine clock follows host
# time and the RTC starts at the host's UTC time; the kernel still boots
# with 2 CPUs, a working clock and no unexpected warnings (about 66 s of
# user CPU time; opt-in, in tests/boot/LONG).
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
log=$(mktemp /tmp/turtles-boot.XXXXXX)
start=$(date -u +%s)
boot_guest "$turtles" 600 "$log" -m 1G -smp 2 -rtc base=utc,clock=host -- \
    turtles.test=boot turtles.cpus=2
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "TURTLES: cpus 2" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
guest_date=$(sed -n 's/.*TURTLES: time .*date \([0-9]*\) ->.*/\1/p' "$log")
[ -n "$guest_date" ] && [ "$guest_date" -ge "$start" ] ||
    { echo "FAIL: guest date ${guest_date:-?} is before the host's start time $start"; rc=1; }
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
