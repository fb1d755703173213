#!/bin/bash
# Disk writes that the guest flushed reach the image: an ext4 image made by
# mke2fs -d (no root needed) on the IDE primary master (-hda); the kernel
# (ata_piix, sd_mod, ext4) writes a file, syncs and unmounts, and powers off;
# a second boot reads the file back with the same digest; e2fsck -fn finds the
# file system clean on the host afterwards.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
command -v mke2fs >/dev/null && command -v e2fsck >/dev/null ||
    { echo "SKIP: mke2fs/e2fsck missing (apt-get install e2fsprogs)"; exit 77; }
dir=$(mktemp -d /tmp/turtles-disk.XXXXXX)
mkdir "$dir/root"
echo "hello from the host" > "$dir/root/hello.txt"
mke2fs -q -t ext4 -d "$dir/root" -L turtles "$dir/disk.img" 64M || { echo "FAIL: mke2fs"; exit 1; }
want=$(seq 1 200000 | sha256sum | cut -d' ' -f1)
rc=0
for mode in write read; do
    log=$dir/$mode.log
    boot_guest "$turtles" 600 "$log" -m 512M -hda "$dir/disk.img" -- turtles.test=disk turtles.disk=$mode
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
done
e2fsck -fn "$dir/disk.img" >"$dir/fsck.log" 2>&1 || { echo "FAIL: e2fsck -fn"; cat "$dir/fsck.log"; rc=1; }
# The host sees the guest's file.
debugfs -R "cat /turtles/data.txt" "$dir/disk.img" 2>/dev/null | sha256sum | grep -q "$want" ||
    { echo "FAIL: the host does not see the guest's data.txt"; rc=1; }
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: IDE disk written, flushed, read back; e2fsck clean"
exit $rc
