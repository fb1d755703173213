#!/bin/bash
# The multiboot v1 test kernel (tests/guests/multiboot/) booted with -kernel
# and two modules checks its info struct, command line, modules and memory
# map, and exits through isa-debug-exit (status 1 when every check passed).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
kernel=$BUILD_DIR/guests/multiboot/mbtest.elf
dir=$(mktemp -d /tmp/turtles-mb.XXXXXX)
log=$dir/log
{ printf 'MODA'; head -c 5000 /dev/zero | tr '\0' 'a'; } >"$dir/a.bin"
{ printf 'MODB'; head -c 96 /dev/zero | tr '\0' 'b'; } >"$dir/b.bin"

run_turtles 60 "$log" -kernel "$kernel" -append "mbtest check=1" \
    -initrd "$dir/a.bin arg,$dir/b.bin" -m 128M -nographic "${DEBUG_EXIT[@]}" -no-reboot
cat "$log"
expect_status 1 "multiboot kernel checks"
expect_output "$log" "mbtest: all checks passed" "the kernel's verdict"
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
