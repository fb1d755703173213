#!/bin/bash
# L1 KVM on turtles' VMX: Debian's kernel loads kvm_intel (nested=1 ept=1
# vpid=1 unrestricted_guest=1), every feature parameter reads Y (so turtles
# really offers it), and the L2 programs kvm-hello, kvm-exits and kvm-ipi
# pass; no kvm line among the guest's dmesg warnings.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
log=$(mktemp /tmp/turtles-kvm.XXXXXX)
boot_guest "$turtles" 1200 "$log" -m 2G -smp 2 -- turtles.test=kvm
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "TURTLES: kvm module kvm_intel" || rc=1
for p in ept vpid unrestricted_guest enable_shadow_vmcs pml eptad vnmi flexpriority \
         enable_apicv preemption_timer nested; do
    expect_line "$log" "TURTLES: param $p=Y" || rc=1
done
expect_line "$log" "L2: Hello from L2" || rc=1
expect_line "$log" "kvm-hello: ok" || rc=1
expect_line "$log" "kvm-exits: ok cpuid=100000" || rc=1
expect_line "$log" "kvm-ipi: ok sent=2000 received=2000" || rc=1
expect_line "$log" "TURTLES: kvm ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
if sed -n '/TURTLES: dmesg-begin/,/TURTLES: dmesg-end/p' "$log" | grep -iq kvm; then
    echo "FAIL: kvm lines among the guest's dmesg warnings"
    rc=1
fi
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
