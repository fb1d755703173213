#!/bin/bash
# A GRUB BIOS ISO (grub-mkrescue) as the nested L1: SeaBIOS boots the IDE
# CD-ROM, GRUB (serial terminal) loads Debian's kernel from the ISO, and its
# /init loads kvm_intel on turtles' VMX and runs the kvm-hello, kvm-exits and
# kvm-ipi L2 guests, then powers off: status 0.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
iso=$CACHE/grub-kvm.iso
[ -f "$iso" ] || { echo "SKIP: $iso missing (tests/images/build-isos.sh)"; exit 77; }
log=$(mktemp /tmp/turtles-cd.XXXXXX)
boot_media "$turtles" 900 "$log" -m 1G -smp 2 -cdrom "$iso"
status=$?
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "SeaBIOS \(version" || rc=1
expect_line "$log" "Booting from DVD/CD" || rc=1
expect_line "$log" "Booting .turtles kvm." || rc=1
expect_line "$log" "TURTLES: kvm module kvm_intel" || rc=1
expect_line "$log" "L2: Hello from L2" || rc=1
expect_line "$log" "kvm-hello: ok" || rc=1
expect_line "$log" "kvm-exits: ok cpuid=20000" || rc=1
expect_line "$log" "kvm-ipi: ok sent=400 received=400" || rc=1
expect_line "$log" "TURTLES: kvm ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
rm -f "$log"
exit $rc
