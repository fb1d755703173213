#!/bin/bash
# Debian's stock kernel boots with -m 1G -smp 2: two CPUs online, time
# advances, SHA-256 of a generated file is right, no unexpected dmesg
# warnings, poweroff exits with status 0.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
log=$(mktemp /tmp/turtles-boot.XXXXXX)
boot_guest "$turtles" 600 "$log" -m 1G -smp 2 -- turtles.test=boot turtles.cpus=2
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "TURTLES: userspace up" || rc=1
expect_line "$log" "TURTLES: cpus 2" || rc=1
expect_line "$log" "TURTLES: sha256 [0-9a-f]{64}" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
