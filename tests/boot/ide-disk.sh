#!/bin/bash
# Disk writes that the guest flushed reach the image: an ext4 file system
# made by mke2fs -d (no root needed), converted to qcow2 by qemu-img, on the
# IDE primary master; the kernel (ata_piix, sd_mod, ext4) writes a file,
# syncs, unmounts and powers off. A second boot with -snapshot reads the file
# back with the same digest, and the image is byte-identical afterwards
# (mounting alone would have written its superblock). On the host,
# qemu-img check finds no errors and e2fsck -fn finds the file system clean.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
for tool in mke2fs e2fsck debugfs qemu-img; do
    command -v $tool >/dev/null ||
        { echo "SKIP: $tool missing (apt-get install e2fsprogs qemu-utils)"; exit 77; }
done
dir=$(mktemp -d /tmp/turtles-disk.XXXXXX)
mkdir "$dir/root"
echo "hello from the host" > "$dir/root/hello.txt"
mke2fs -q -t ext4 -d "$dir/root" -L turtles "$dir/disk.raw" 64M || { echo "FAIL: mke2fs"; exit 1; }
qemu-img convert -f raw -O qcow2 "$dir/disk.raw" "$dir/disk.qcow2" || { echo "FAIL: qemu-img convert"; exit 1; }
want=$(seq 1 200000 | sha256sum | cut -d' ' -f1)
rc=0
for mode in write read; do
    log=$dir/$mode.log
    extra=()
    [ $mode = read ] && { extra=(-snapshot); before=$(md5sum < "$dir/disk.qcow2"); }
    boot_guest "$turtles" 600 "$log" -m 512M -drive file="$dir/disk.qcow2",format=qcow2 \
        "${extra[@]}" -- turtles.test=disk turtles.disk=$mode
    status=$?
    grep "TURTLES" "$log"
    [ $status -eq 0 ] || { echo "FAIL: $mode boot: exit status $status"; rc=1; }
    expect_line "$log" "TURTLES: disk /dev/sda 131072 sectors" || rc=1
    expect_line "$log" "TURTLES: hello hello from the host" || rc=1
    verb=read
    [ $mode = write ] && verb=wrote
    expect_line "$log" "TURTLES: $verb sha256 $want" || rc=1
    expect_line "$log" "TURTLES: disk ok" || rc=1
    grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
    if [ $mode = read ] && [ "$(md5sum < "$dir/disk.qcow2")" != "$before" ]; then
        echo "FAIL: -snapshot: the image changed"
        rc=1
    fi
done
qemu-img check "$dir/disk.qcow2" >"$dir/check.log" 2>&1 ||
    { echo "FAIL: qemu-img check"; cat "$dir/check.log"; rc=1; }
qemu-img convert -f qcow2 -O raw "$dir/disk.qcow2" "$dir/after.raw"
e2fsck -fn "$dir/after.raw" >"$dir/fsck.log" 2>&1 || { echo "FAIL: e2fsck -fn"; cat "$dir/fsck.log"; rc=1; }
# The host sees the guest's file.
debugfs -R "cat /turtles/data.txt" "$dir/after.raw" 2>/dev/null | sha256sum | grep -q "$want" ||
    { echo "FAIL: the host does not see the guest's data.txt"; rc=1; }
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: qcow2 on IDE written, flushed, read back under -snapshot; qemu-img check and e2fsck clean"
exit $rc
