#!/bin/bash
# Debian's kernel boots with -turtles-undefined random (-m 512M -smp 2):
# every flag the SDM leaves undefined after an instruction gets a
# pseudo-random value, and the boot, the guest's checks and poweroff must
# still succeed (see undefined-random.sh for the bare-metal guests). In
# tests/boot/LONG: about 90 s on a shared 2-core machine.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
log=$(mktemp /tmp/turtles-boot.XXXXXX)
boot_guest "$turtles" 600 "$log" -turtles-undefined random -m 512M -smp 2 -- \
    turtles.test=boot turtles.cpus=2
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "TURTLES: userspace up" || rc=1
expect_line "$log" "TURTLES: cpus 2" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
rm -f "$log"
exit $rc
