#!/bin/bash
# Bad disk images on the command line: each gives one line on stderr naming
# the image and exit status 1 before the guest starts, and nothing is
# written to the image: a missing file, a directory, a FIFO, an unknown
# format, a truncated qcow2, a qcow2 with a corrupt header, an L1 table past
# the end of the file, an image another turtles holds open for writing.
# Bad -drive syntax is status 2 (bad-cmdline.sh).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
command -v qemu-img >/dev/null || { echo "SKIP: qemu-img missing (apt-get install qemu-utils)"; exit 77; }
dir=$(mktemp -d /tmp/turtles-drv.XXXXXX)
rom=$BUILD_DIR/guests/hello.rom
mkdir "$dir/adir"
mkfifo "$dir/fifo"
head -c 1048576 /dev/urandom > "$dir/random.img"
printf 'QFI\373' > "$dir/short.qcow2"          # the magic alone: truncated header
qemu-img create -q -f qcow2 "$dir/good.qcow2" 16M
cp "$dir/good.qcow2" "$dir/badver.qcow2"
printf '\000\000\000\011' | dd of="$dir/badver.qcow2" bs=1 seek=4 conv=notrunc 2>/dev/null  # version 9
cp "$dir/good.qcow2" "$dir/badl1.qcow2"
printf '\000\000\000\000\177\000\000\000' | dd of="$dir/badl1.qcow2" bs=1 seek=40 conv=notrunc 2>/dev/null  # l1_table_offset far past EOF
check() { # what, args...
    local what=$1
    shift
    local sums
    sums=$(md5sum "$dir"/*.qcow2 "$dir"/*.img 2>/dev/null)
    run_turtles 20 "$dir/out" -bios "$rom" -display none -serial null "$@"
    expect_status 1 "$what"
    [ "$(wc -l < "$dir/out")" -eq 1 ] || { fail "$what: not one line on stderr"; cat "$dir/out"; }
    grep -q "^turtles: " "$dir/out" || fail "$what: the line does not start with 'turtles: '"
    [ "$(md5sum "$dir"/*.qcow2 "$dir"/*.img 2>/dev/null)" = "$sums" ] || fail "$what: an image changed"
}
check "missing file" -hda "$dir/nonexistent.img"
check "directory" -hda "$dir/adir"
check "FIFO" -hda "$dir/fifo"
check "truncated qcow2" -drive file="$dir/short.qcow2",format=qcow2
check "qcow2 version 9" -hda "$dir/badver.qcow2"
check "L1 table past the end" -hda "$dir/badl1.qcow2"
check "empty CD-ROM image" -cdrom /dev/null
# Another turtles holds the image open for writing (QEMU-compatible OFD locks).
port=$((20000 + RANDOM % 20000))
"$turtles" -bios "$rom" -display none -serial null -hda "$dir/good.qcow2" -S -gdb tcp::$port \
    </dev/null >"$dir/first.out" 2>&1 &
first=$!
for _ in $(seq 1 50); do
    grep -q . "$dir/first.out" 2>/dev/null && break
    kill -0 $first 2>/dev/null || break
    sleep 0.1
done
sleep 0.5
check "image locked by another turtles" -hda "$dir/good.qcow2"
grep -q "in use" "$dir/out" || fail "the locked-image line does not say so: $(cat "$dir/out")"
kill -TERM $first 2>/dev/null
wait $first 2>/dev/null
# A readable qcow2 still works afterwards (the guest runs and exits).
run_turtles 20 "$dir/out" -bios "$rom" -display none -serial null -hda "$dir/good.qcow2" "${DEBUG_EXIT[@]}"
expect_status 1 "hello.rom with a good qcow2 disk"
qemu-img check -q "$dir/good.qcow2" || fail "qemu-img check of the good image"
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: bad images refused with one line and status 1, images untouched"
exit $rc
