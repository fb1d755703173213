#!/bin/bash
# L2 Linux: inside turtles, L1 (Debian's kernel with kvm_intel) runs Debian's
# qemu-system-x86_64 -enable-kvm -cpu host -m 256 -smp 2, which boots the same
# stock kernel as L2 to its userspace marker and powers off.
# Needs tests/images/build-images.sh --with-qemu (make test-long does it).
set -u
. "$(dirname "$0")/lib/boot-common.sh"
need_images
log=$(mktemp /tmp/turtles-l2.XXXXXX)
run_l1host "$1" 1800 "$log" boot
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: starting L2" || rc=1
expect_line "$log" "TURTLES: userspace up" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
expect_line "$log" "TURTLES: l2host ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: a guest reported a failure"; rc=1; }
rm -f "$log"
exit $rc
