#!/bin/bash
# The monitor's `eject [-f] DEVICE` and `change DEVICE FILE [FORMAT]`
# (frontend/monitor_media.c) on an IDE CD-ROM, from
# -turtles-monitor-script: `info block` shows the disc go and the new one
# come, in QEMU's device names; a hard disk, an unknown drive, a missing
# image and a bad format each give one error line and the monitor carries
# on; the guest then runs to its normal exit status. What the guest sees
# (media-change unit attention, NOT READY, a locked tray, eject -f) is
# pinned in tests/unit/test_ide.c.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
GUESTS=$BUILD_DIR/guests
tmp=$(mktemp -d /tmp/turtles-monmedia.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
head -c 8192 /dev/zero >"$tmp/first.iso"
head -c 16384 /dev/zero >"$tmp/second.iso"
head -c 65536 /dev/zero >"$tmp/disk.img"

cat >"$tmp/script.txt" <<SCRIPT
info block
eject ide1-cd0
info block
change ide1-cd0 $tmp/second.iso
info block
change ide0-hd0 $tmp/second.iso
eject nosuch
change ide1-cd0 $tmp/missing.iso
change ide1-cd0 $tmp/second.iso vmdk
eject
eject -f ide1-cd0
info block
c
SCRIPT
run_turtles 60 "$tmp/out.log" -bios "$GUESTS/vmx_basic.rom" -m 16M -nographic \
    "${DEBUG_EXIT[@]}" -hda "$tmp/disk.img" -cdrom "$tmp/first.iso" \
    -turtles-monitor-script "$tmp/script.txt"
o=$tmp/out.log
expect_output "$o" "^ide0-hd0 \(primary master\): disk disk.img, 65536 bytes$" "info block names the disk"
expect_output "$o" "^ide1-cd0 \(secondary master\): cdrom first.iso, 8192 bytes, read-only$" \
    "info block names the CD-ROM and its disc"
[ "$(grep -c '^ide1-cd0 (secondary master): cdrom, no medium$' "$o")" -eq 2 ] ||
    fail "eject and eject -f leave the drive empty (two 'no medium' lines)"
expect_output "$o" "^ide1-cd0 \(secondary master\): cdrom second.iso, 16384 bytes, read-only$" \
    "change puts the new disc in"
expect_output "$o" "^error: ide0-hd0 is not removable" "a hard disk refuses change"
expect_output "$o" "^error: no drive named 'nosuch'" "an unknown drive"
expect_output "$o" "missing.iso" "a missing image is named"
expect_output "$o" "^error: change: unknown format 'vmdk'" "an unknown format"
expect_output "$o" "^error: usage: eject \[-f\] DEVICE" "eject without a device"
[ "$(grep -c '^error: ' "$o")" -eq 5 ] || fail "five bad commands, five error lines"
expect_output "$o" "^vmx-basic-ok$" "the guest ran on"
expect_status 1 "vmx_basic after the media session (isa-debug-exit pass)"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
