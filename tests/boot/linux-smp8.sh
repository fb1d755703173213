#!/bin/bash
# The largest -smp: Debian's kernel brings up 8 vCPUs through INIT/SIPI and
# sees a stable TSC on all of them (about 63 s of user CPU time; opt-in, in
# tests/boot/LONG).
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
log=$(mktemp /tmp/turtles-boot.XXXXXX)
boot_guest "$turtles" 600 "$log" -m 2G -smp 8 -- turtles.test=boot turtles.cpus=8
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "TURTLES: cpus 8" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
