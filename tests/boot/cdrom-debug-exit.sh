#!/bin/bash
# How a CI pipeline reads a test ISO's verdict: an El Torito boot image
# (tests/guests/cdboot/cdboot.S) in an ISO made with xorriso, booted by
# the default firmware from the IDE CD-ROM, prints on COM1 and writes 0x10
# to isa-debug-exit: turtles exits with status (0x10 << 1) | 1 = 33.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
command -v xorriso >/dev/null || { echo "SKIP: xorriso missing (apt-get install xorriso)"; exit 77; }
[ -r /usr/share/seabios/bios-256k.bin ] || { echo "SKIP: seabios missing"; exit 77; }
img=$BUILD_DIR/guests/cdboot/cdboot.bin
dir=$(mktemp -d /tmp/turtles-cdboot.XXXXXX)
mkdir "$dir/iso"
cp "$img" "$dir/iso/boot.bin"
xorriso -as mkisofs -quiet -o "$dir/cd.iso" -b boot.bin -no-emul-boot -boot-load-size 4 \
    "$dir/iso" >/dev/null 2>&1 || { echo "FAIL: xorriso"; exit 1; }
run_turtles 60 "$dir/out" -cdrom "$dir/cd.iso" -nographic "${DEBUG_EXIT[@]}"
expect_status 33 "the CD's isa-debug-exit verdict"
expect_output "$dir/out" "Booting from DVD/CD" "SeaBIOS boots the CD-ROM"
expect_output "$dir/out" "cdboot: El Torito image running" "the boot image's line on COM1"
expect_output "$dir/out" "^turtles: the guest wrote 16 to isa-debug-exit" "the stop line"
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: ISO verdict through isa-debug-exit (status 33)"
exit $rc
