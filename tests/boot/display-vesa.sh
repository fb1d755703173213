#!/bin/bash
# A graphics mode, headless (-display none): SeaBIOS loads Linux through turtles' linuxboot
# ROM with vga=0x318 on the command line, so the kernel's real-mode setup sets VESA mode
# 0x118 (1024x768, 24 bpp) through the VGA BIOS's VBE; vesafb and the framebuffer console
# take it. The monitor reports the VBE mode, and the screendump PNG decodes as 1024x768 RGB
# with many bands of text rows drawn by fbcon. Ends as soon as the console is drawn.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
. "$(dirname "$0")/lib/display-common.sh"
turtles=$1
need_images
bios=/usr/share/seabios/bios-256k.bin
[ -r "$bios" ] || { echo "SKIP: $bios missing (apt-get install seabios)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
display_test_dir vesa

"$turtles" -display none -m 256 -bios "$bios" -kernel "$CACHE/vmlinuz" \
    -initrd "$CACHE/initramfs.cpio.gz" -no-reboot \
    -append "vga=0x318 console=ttyS0 console=tty0 panic=-1 turtles.test=boot" \
    -serial "file:$dir/serial.log" -monitor "unix:$dir/mon.sock,server,nowait" \
    </dev/null >"$dir/turtles.log" 2>&1 &
pid=$!
start=$SECONDS
until grep -q "fb0: VESA VGA frame buffer device" "$dir/serial.log" 2>/dev/null; do
    if [ $((SECONDS - start)) -ge 600 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: no VESA framebuffer after $((SECONDS - start)) s"
        tail -20 "$dir/serial.log"
        cat "$dir/turtles.log"
        exit 1
    fi
    sleep 1
done
echo "framebuffer after $((SECONDS - start)) s:"
grep "vesafb: mode\|switching to colour frame buffer" "$dir/serial.log"
# fbcon draws the boot messages from here on; poll until a screenful of text is there.
info=
for _ in $(seq 120); do
    mon "screendump -f png $dir/fb.png" >/dev/null || { fail "screendump failed"; break; }
    info=$(python3 "$LIB/screen_check.py" info "$dir/fb.png")
    bands=${info#* bands=}
    bands=${bands%% *}
    [ "$bands" -ge 20 ] && break
    sleep 2
done
echo "screendump: $info"
mon "info screen" | tee "$dir/screen.txt"
grep -q "graphics 1024x768 24 bpp (VBE)" "$dir/screen.txt" || fail "not the VBE mode 1024x768x24"
[[ $info == 1024x768\ mode=rgb8* ]] || fail "screendump is not 1024x768 RGB"
# Text rows: fbcon's 16-line font gives a band of pixel rows per line of text.
[ "${bands:-0}" -ge 20 ] || fail "only ${bands:-0} text bands on the framebuffer console"
mon quit >/dev/null 2>&1
wait "$pid" 2>/dev/null
pid=
[ $rc -eq 0 ] && echo "PASS"
exit $rc
