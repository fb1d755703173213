#!/bin/bash
# virtio-blk with a raw image: an ext4 file system (mke2fs -d) as
# -drive if=none + -device virtio-blk-pci (modern virtio 1.x, negotiated by
# Linux's virtio_pci); the kernel writes a file, syncs (virtio-blk FLUSH),
# unmounts and powers off. On the host, e2fsck -fn finds the file system
# clean and debugfs reads the guest's file with the right digest.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
for tool in mke2fs e2fsck debugfs; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing (apt-get install e2fsprogs)"; exit 77; }
done
dir=$(mktemp -d /tmp/turtles-vdisk.XXXXXX)
mkdir "$dir/root"
echo "hello from the host" > "$dir/root/hello.txt"
mke2fs -q -t ext4 -d "$dir/root" -L turtles "$dir/disk.raw" 64M || { echo "FAIL: mke2fs"; exit 1; }
want=$(seq 1 200000 | sha256sum | cut -d' ' -f1)
rc=0
log=$dir/write.log
boot_guest "$turtles" 600 "$log" -m 512M -drive file="$dir/disk.raw",format=raw,if=none,id=d0 \
    -device virtio-blk-pci,drive=d0,serial=turtles-vd0 -- turtles.test=disk turtles.disk=write \
    turtles.diskif=virtio
status=$?
grep -E "TURTLES|virtio" "$log"
[ $status -eq 0 ] || { echo "FAIL: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: disk /dev/vda 131072 sectors" || rc=1
expect_line "$log" "TURTLES: hello hello from the host" || rc=1
expect_line "$log" "TURTLES: wrote sha256 $want" || rc=1
expect_line "$log" "TURTLES: disk ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
e2fsck -fn "$dir/disk.raw" >"$dir/fsck.log" 2>&1 || { echo "FAIL: e2fsck -fn"; cat "$dir/fsck.log"; rc=1; }
debugfs -R "cat /turtles/data.txt" "$dir/disk.raw" 2>/dev/null | sha256sum | grep -q "$want" ||
    { echo "FAIL: the host does not see the guest's data.txt"; rc=1; }
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: virtio-blk raw disk written and flushed; e2fsck clean, data on the host"
exit $rc
