#!/bin/bash
# A CI pipeline's ISO, booted the way a PC boots it: no -kernel, so Debian's
# SeaBIOS (the default firmware) boots the IDE CD-ROM by El Torito, ISOLINUX
# (with SERIAL on COM1) loads Debian's kernel and initramfs from the ISO 9660
# file system, userspace comes up and powers off: status 0.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
iso=$CACHE/isolinux-boot.iso
[ -f "$iso" ] || { echo "SKIP: $iso missing (tests/images/build-isos.sh)"; exit 77; }
log=$(mktemp /tmp/turtles-cd.XXXXXX)
boot_media "$turtles" 600 "$log" -m 512M -cdrom "$iso"
status=$?
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
expect_line "$log" "SeaBIOS \(version" || rc=1
expect_line "$log" "Booting from DVD/CD" || rc=1
expect_line "$log" "ISOLINUX [0-9.]+" || rc=1
expect_line "$log" "Loading /boot/vmlinuz" || rc=1
expect_line "$log" "Linux version [0-9.]+-[0-9]+-amd64" || rc=1
expect_line "$log" "TURTLES: userspace up" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
