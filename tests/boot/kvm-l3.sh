#!/bin/bash
# L3: L1 KVM (nested=1) starts L2 with -cpu host, so VMX is exposed to L2;
# L2 loads kvm_intel itself and runs kvm-hello, kvm-exits and kvm-ipi as L3.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
need_images
log=$(mktemp /tmp/turtles-l3.XXXXXX)
run_l1host "$1" 3000 "$log" kvm
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: kvm module kvm_intel" || rc=1
expect_line "$log" "L2: Hello from L2" || rc=1
expect_line "$log" "kvm-hello: ok" || rc=1
expect_line "$log" "kvm-exits: ok cpuid=100000" || rc=1
expect_line "$log" "kvm-ipi: ok sent=2000 received=2000" || rc=1
expect_line "$log" "TURTLES: kvm ok" || rc=1
expect_line "$log" "TURTLES: l2host ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: a guest reported a failure"; rc=1; }
rm -f "$log"
exit $rc
