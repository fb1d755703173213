#!/bin/bash
# The same kernel with -smp 1 -m 6G: RAM above 4 GiB is in the e820 map and usable.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
log=$(mktemp /tmp/turtles-boot.XXXXXX)
boot_guest "$turtles" 600 "$log" -m 6G -smp 1 -- turtles.test=boot turtles.cpus=1
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "TURTLES: boot ok" || rc=1
expect_line "$log" "BIOS-e820: \[mem 0x0000000100000000-" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
