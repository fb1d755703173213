#!/bin/bash
# The multiboot v1 test kernel (tests/guests/multiboot/) booted with -kernel
# and two modules checks its info struct, command line, modules and memory
# map, and exits through isa-debug-exit (status 1 when every check passed):
# once loaded directly, once through SeaBIOS and turtles' multiboot option
# ROM (roms/multiboot.S, -bios), where the memory map is the firmware's.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
kernel=$BUILD_DIR/guests/multiboot/mbtest.elf
bios=/usr/share/seabios/bios-256k.bin
dir=$(mktemp -d /tmp/turtles-mb.XXXXXX)
log=$dir/log
{ printf 'MODA'; head -c 5000 /dev/zero | tr '\0' 'a'; } >"$dir/a.bin"
{ printf 'MODB'; head -c 96 /dev/zero | tr '\0' 'b'; } >"$dir/b.bin"

run_turtles 60 "$log" -kernel "$kernel" -append "mbtest check=1" \
    -initrd "$dir/a.bin arg,$dir/b.bin" -m 128M -nographic "${DEBUG_EXIT[@]}" -no-reboot
cat "$log"
expect_status 1 "multiboot kernel checks (direct)"
expect_output "$log" "mbtest: all checks passed" "the kernel's verdict (direct)"

if [ -r "$bios" ]; then
    run_turtles 120 "$log" -bios "$bios" -kernel "$kernel" -append "mbtest check=1" \
        -initrd "$dir/a.bin arg,$dir/b.bin" -m 128M -nographic "${DEBUG_EXIT[@]}" -no-reboot
    cat "$log"
    expect_status 1 "multiboot kernel checks (through SeaBIOS)"
    expect_output "$log" "SeaBIOS" "the firmware ran"
    expect_output "$log" "mbtest: all checks passed" "the kernel's verdict (through SeaBIOS)"
    # The firmware's E820 map (with the BIOS ROM below 4 GiB reserved,
    # which direct boot's map has not) is the one that reached the kernel.
    expect_output "$log" "mbtest: mmap 0xfffc0000 len 0x00040000 type 0x00000002" \
        "the firmware's E820 map"

    # Neither a bzImage nor a multiboot kernel: one line, status 1, before
    # the guest starts.
    head -c 16384 /dev/zero >"$dir/junk"
    run_turtles 20 "$log" -bios "$bios" -kernel "$dir/junk" -nographic -no-reboot
    expect_status 1 "a -kernel that is no kernel, with -bios"
    expect_output "$log" "^turtles: -kernel '.*junk': neither a Linux bzImage nor a multiboot kernel$" \
        "the refusal"
    [ "$(wc -l <"$log")" -eq 1 ] || fail "the refusal is one line: $(cat "$log")"
else
    echo "SKIP (firmware part): $bios missing"
fi
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
