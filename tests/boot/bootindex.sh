#!/bin/bash
# bootindex= picks the boot device over -boot order, through the firmware's
# "bootorder" fw_cfg file (SeaBIOS matches its OpenFirmware paths). Two
# boot images tell the media apart: cdboot.bin exits with status 33,
# cdboot_second.bin with 35 (tests/guests/cdboot/).
#   1. two IDE CD-ROMs, -boot order=d: the first (secondary master) boots;
#   2. the same with bootindex=1 on the second (-device ide-cd): it boots;
#   3. an IDE disk and a virtio-blk disk, -boot order=c: the IDE disk is
#      the BIOS's drive 80h and boots; with bootindex=0 on the virtio disk
#      (-device virtio-blk-pci) that one does;
#      (with a virtio disk present and no bootindex, -boot order=d still
#      boots the CD: the CMOS boot order stays readable)
#   4. an IDE slave disk with bootindex (-drive ...,bootindex=) over the CD
#      that -boot order=d puts first;
#   5. bad input: one bootindex on two drives, a bootindex that is no
#      number, an unknown bus: one line and a non-zero status.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
command -v xorriso >/dev/null || { echo "SKIP: xorriso missing (apt-get install xorriso)"; exit 77; }
[ -r /usr/share/seabios/bios-256k.bin ] || { echo "SKIP: seabios missing"; exit 77; }
first=$BUILD_DIR/guests/cdboot/cdboot.bin
second=$BUILD_DIR/guests/cdboot/cdboot_second.bin
dir=$(mktemp -d /tmp/turtles-bootindex.XXXXXX)
for n in first second; do
    mkdir "$dir/$n"
    cp "${!n}" "$dir/$n/boot.bin"
    xorriso -as mkisofs -quiet -o "$dir/$n.iso" -b boot.bin -no-emul-boot -boot-load-size 4 \
        "$dir/$n" >/dev/null 2>&1 || { echo "FAIL: xorriso"; exit 1; }
done
# 1 MiB raw disks whose boot sectors are the images.
for n in first second; do
    head -c 1048576 /dev/zero >"$dir/$n.img"
    dd if="${!n}" of="$dir/$n.img" conv=notrunc status=none
    printf '\x55\xaa' | dd of="$dir/$n.img" bs=1 seek=510 conv=notrunc status=none
done

# boot WANT WHAT args...
boot() {
    local want=$1 what=$2
    shift 2
    run_turtles 60 "$dir/out" "$@" -nographic "${DEBUG_EXIT[@]}"
    expect_status "$want" "$what"
}
cd1="file=$dir/first.iso,media=cdrom,index=2"
boot 33 "two CD-ROMs, -boot order=d: the first" -drive "$cd1" \
    -drive "file=$dir/second.iso,media=cdrom,index=3" -boot order=d
boot 35 "two CD-ROMs, bootindex=1 on the second" -drive "$cd1" \
    -drive "if=none,id=cd2,file=$dir/second.iso,media=cdrom" \
    -device ide-cd,drive=cd2,bus=ide.1,unit=1,bootindex=1 -boot order=d
expect_output "$dir/out" "cdboot: second image running" "the second CD's line"
boot 33 "IDE and virtio disks, -boot order=c: the IDE disk" -hda "$dir/first.img" \
    -drive "if=none,id=v,file=$dir/second.img,format=raw" -device virtio-blk-pci,drive=v \
    -boot order=c
boot 35 "IDE and virtio disks, bootindex=0 on the virtio disk" -hda "$dir/first.img" \
    -drive "if=none,id=v,file=$dir/second.img,format=raw" \
    -device virtio-blk-pci,drive=v,bootindex=0 -boot order=c
expect_output "$dir/out" "Booting from Hard Disk" "the firmware boots a disk"
boot 33 "CD-ROM and virtio disk, -boot order=d: the CD" -cdrom "$dir/first.iso" \
    -drive "if=none,id=v,file=$dir/second.img,format=raw" -device virtio-blk-pci,drive=v \
    -boot order=d
boot 35 "IDE slave disk with -drive bootindex=3 over the CD" -cdrom "$dir/first.iso" \
    -drive "file=$dir/second.img,format=raw,index=1,bootindex=3" -boot order=d

run_turtles 20 "$dir/out" -drive "$cd1,bootindex=2" \
    -drive "file=$dir/second.img,format=raw,bootindex=2" -nographic
expect_status 1 "one bootindex on two drives"
expect_output "$dir/out" "^turtles: bootindex=2 is given to two drives$" "its message"
run_turtles 20 "$dir/out" -drive "$cd1,bootindex=first" -nographic
expect_status 2 "a bootindex that is no number"
expect_output "$dir/out" "^turtles: -drive bootindex takes 0..9999: 'first'$" "its message"
run_turtles 20 "$dir/out" -drive "if=none,id=d,file=$dir/second.img,format=raw" \
    -device ide-hd,drive=d,bus=ide.2 -nographic
expect_status 2 "an IDE bus that does not exist"
expect_output "$dir/out" "^turtles: -device ide-hd: bus takes ide.0 or ide.1: 'ide.2'$" \
    "its message"
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
