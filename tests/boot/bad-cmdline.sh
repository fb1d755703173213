#!/bin/bash
# Bad command lines: every bad option value ends with one line on stderr and
# exit status 2; unreadable, empty, corrupt or truncated -kernel, -initrd and
# -bios files end with one clear line and status 1, never with a crash or a
# hang. Also: -m 8G starts without touching the guest RAM (reserved with mmap).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
rom=$BUILD_DIR/guests/hello.rom
mbk=$BUILD_DIR/guests/multiboot/mbtest.elf
dir=$(mktemp -d /tmp/turtles-badcl.XXXXXX)
out=$dir/out err=$dir/err

bad_options=(
    "-m" "-m 0" "-m 12Q" "-m 8M" "-m 100T" "-m size=" "-smp 0" "-smp 9" "-smp x" "-smp"
    "-cpu nosuch" "-cpu max,foo=1" "-cpu ,vmx=on" "-cpu max,vmx=onx" "-serial bogus" "-serial" "-display gtk" "-display sdl,bogus=on"
    "-display none,window-close=off" "-name" "-name guest="
    "-device e1000" "-device isa-debug-exit,iobase=0x10000" "-device isa-debug-exit,iosize=9"
    "-device isa-debug-exit,bogus" "-device pc-testdev,iobase=1"
    "-icount" "-icount shift=11" "-icount shift=x" "-icount sleep=maybe" "-icount ,"
    "-rtc base=2026-13-01" "-rtc base=2026-02-30" "-rtc base=yesterday" "-rtc base="
    "-rtc clock=wall" "-rtc base=2026-01-01T25:00:00" "-rtc ,"
    "-icount 3 -rtc clock=host"
    "-d nosuch" "-d int,bogus" "-turtles-max-insns x" "-turtles-trace-from -1"
    "-bogus" "-enable-kvm" "-initrd x" "-append x"
    "-vga cirrus" "-boot order=q" "-drive" "-drive if=scsi,file=x" "-drive media=tape,file=x"
    "-drive file=x,index=4" "-drive file=x,format=vmdk" "-drive file=x,readonly=maybe"
    "-drive foo=bar" "-drive index=1"
)
for args in "${bad_options[@]}"; do
    # shellcheck disable=SC2086 # word splitting is the point
    expect_one_error 2 '.*' -bios "$rom" -nographic $args
done
# (No -kernel and no -bios boots Debian's SeaBIOS, QEMU's default firmware:
# tests/boot/seabios-vga.sh.)

# Files.
: >"$dir/empty"
head -c 5000 /dev/urandom >"$dir/random"
mkdir "$dir/adir"
size=$(stat -c %s "$mbk")
head -c $((size / 2)) "$mbk" >"$dir/mb-half"
head -c 300 "$mbk" >"$dir/mb-head"
# A bzImage header ("HdrS" at 0x202) that promises more setup sectors than
# the file holds.
python3 - "$dir/bz-trunc" <<'PY'
import sys
img = bytearray(4096)
img[0x1f1] = 30                      # setup_sects: 31 sectors of setup code
img[0x1fe:0x200] = b"\x55\xaa"
img[0x202:0x206] = b"HdrS"
img[0x206:0x208] = (0x020f).to_bytes(2, "little")
open(sys.argv[1], "wb").write(img)
PY
for k in /nonexistent "$dir/empty" "$dir/random" "$dir/adir" "$dir/mb-half" "$dir/mb-head" \
         "$dir/bz-trunc"; do
    expect_one_error 1 '.*' -kernel "$k" -m 128M -nographic
done
expect_one_error 1 '.*' -kernel "$mbk" -initrd /nonexistent -m 128M -nographic
expect_one_error 1 '.*' -kernel "$mbk" -initrd "$dir/random,$dir/adir" -m 128M -nographic
if [ -f "${TURTLES_CACHE:-$HOME/.cache/turtles}/vmlinuz" ]; then
    vmlinuz=${TURTLES_CACHE:-$HOME/.cache/turtles}/vmlinuz
    head -c 3000000 "$vmlinuz" >"$dir/vmlinuz-trunc"
    expect_one_error 1 '.*' -kernel "$dir/vmlinuz-trunc" -m 256M -nographic
    expect_one_error 1 '.*' -kernel "$vmlinuz" -initrd /nonexistent -m 256M -nographic
    expect_one_error 1 '.*' -kernel "$vmlinuz" -initrd "$dir/adir" -m 256M -nographic
fi
expect_one_error 1 '.*' -bios /nonexistent -nographic
expect_one_error 1 '.*' -bios "$dir/random" -nographic
# -display sdl with no display server to show it on: one line, status 1.
DISPLAY= WAYLAND_DISPLAY= SDL_VIDEODRIVER= expect_one_error 1 '.*' -display sdl -bios "$rom"
expect_one_error 1 '.*' -bios "$rom" -serial "file:$dir/nonexistent/x"

# -m 8G: guest RAM is allocated lazily, so a short run stays small.
timeout --signal=KILL 30 "$turtles" -bios "$rom" -m 8G -nographic "${DEBUG_EXIT[@]}" \
    -turtles-stats </dev/null >"$out" 2>"$err"
status=$?
rss=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$err")
[ $status -eq 1 ] || fail "-m 8G: status $status"
# (Under AddressSanitizer the RSS includes its shadow memory: no RSS check there.)
if ! ldd "$turtles" 2>/dev/null | grep -q libasan; then
    [ -n "$rss" ] && [ "$rss" -lt 262144 ] || fail "-m 8G: peak RSS ${rss:-?} KiB (RAM touched at start?)"
fi
echo "-m 8G run: peak RSS ${rss:-?} KiB"

rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
