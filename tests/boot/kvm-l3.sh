#!/bin/bash
# L3: L1 KVM (nested=1) starts L2 with -cpu host, so VMX is exposed to L2;
# L2 loads kvm_intel itself and runs kvm-hello, kvm-exits and kvm-ipi as L3.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
if [ ! -f "$CACHE/initramfs-l1host.cpio.gz" ]; then
    echo "SKIP: $CACHE/initramfs-l1host.cpio.gz missing (build-images.sh --with-qemu)"
    exit 77
fi
log=$(mktemp /tmp/turtles-l3.XXXXXX)
start=$(date +%s)
timeout --signal=TERM --kill-after=15 3000 "$turtles" -m 2G -smp 2 -nographic -no-reboot \
    -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs-l1host.cpio.gz" \
    -append "console=ttyS0 panic=-1 turtles.test=l2host turtles.l2test=kvm" \
    </dev/null >"$log" 2>&1
status=$?
echo "turtles exited with status $status after $(( $(date +%s) - start )) s"
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: kvm module kvm_intel" || rc=1
expect_line "$log" "L2: Hello from L2" || rc=1
expect_line "$log" "kvm-hello: ok" || rc=1
expect_line "$log" "TURTLES: kvm ok" || rc=1
expect_line "$log" "TURTLES: l2host ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: a guest reported a failure"; rc=1; }
rm -f "$log"
exit $rc
