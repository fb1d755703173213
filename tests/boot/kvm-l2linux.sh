#!/bin/bash
# L2 Linux: inside turtles, L1 (Debian's kernel with kvm_intel) runs Debian's
# qemu-system-x86_64 -enable-kvm -cpu host -m 256 -smp 2, which boots the same
# stock kernel as L2 to its userspace marker and powers off.
# Needs tests/images/build-images.sh --with-qemu (make test-long does it).
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
if [ ! -f "$CACHE/initramfs-l1host.cpio.gz" ]; then
    echo "SKIP: $CACHE/initramfs-l1host.cpio.gz missing (build-images.sh --with-qemu)"
    exit 77
fi
log=$(mktemp /tmp/turtles-l2.XXXXXX)
start=$(date +%s)
timeout --signal=TERM --kill-after=15 1800 "$turtles" -m 2G -smp 2 -nographic -no-reboot \
    -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs-l1host.cpio.gz" \
    -append "console=ttyS0 panic=-1 turtles.test=l2host ${L2TEST:+turtles.l2test=$L2TEST}" \
    </dev/null >"$log" 2>&1
status=$?
echo "turtles exited with status $status after $(( $(date +%s) - start )) s"
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: starting L2" || rc=1
expect_line "$log" "TURTLES: userspace up" || rc=1
expect_line "$log" "TURTLES: l2host ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: a guest reported a failure"; rc=1; }
rm -f "$log"
exit $rc
