#!/bin/bash
# Debian's memtest86+ ISO (VGA only, no serial output) boots headless (-display none). Its
# test screen is read two ways: the VGA text through the monitor (info screen) names
# memtest86+ and its memory sizes, and the screendump PNG decodes as 720x400 RGB with the
# text rows of that screen drawn; tesseract (when installed) reads "Memtest86" back from
# the picture, which shows the glyphs are the font's and in the right places. Then the
# monitor's sendkey presses F1 and memtest86+ opens its settings menu.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
. "$(dirname "$0")/lib/display-common.sh"
turtles=$1
iso=
for f in /usr/lib/memtest86+/memtest86+x64.iso /boot/memtest86+x64.iso; do
    [ -f "$f" ] && { iso=$f; break; }
done
[ -n "$iso" ] || { echo "SKIP: memtest86+x64.iso missing (apt-get install memtest86+)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
display_test_dir memtest

"$turtles" -display none -m 256 -cdrom "$iso" -serial null \
    -monitor "unix:$dir/mon.sock,server,nowait" </dev/null >"$dir/turtles.log" 2>&1 &
pid=$!
start=$SECONDS
until mon "info screen" >"$dir/screen.txt" 2>/dev/null && grep -q "Press <F1>" "$dir/screen.txt"; do
    if [ $((SECONDS - start)) -ge 400 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: no memtest86+ screen after $((SECONDS - start)) s"
        cat "$dir/screen.txt" "$dir/turtles.log"
        exit 1
    fi
    sleep 2
done
echo "memtest86+ screen after $((SECONDS - start)) s:"
head -8 "$dir/screen.txt"
grep -q "Memtest86+ v" "$dir/screen.txt" || fail "no 'Memtest86+ v' on the text screen"
grep -q "Memory  : *256MB" "$dir/screen.txt" || fail "memtest86+ does not show the 256MB of RAM"
mon "screendump -f png $dir/memtest.png" || fail "screendump failed"
info=$(python3 "$LIB/screen_check.py" info "$dir/memtest.png")
echo "screendump: $info"
[[ $info == 720x400\ mode=rgb8* ]] || fail "screendump is not 720x400 RGB"
bands=${info#* bands=}
bands=${bands%% *}
# memtest86+'s screen: a block of ten header lines (its frame's vertical lines join them
# into one band of about 160 pixel rows), the key help lines further down.
[ "$bands" -ge 2 ] || fail "only $bands text bands drawn"
rows=${info#* rows=}
rows=${rows%% *}
[ "$rows" -ge 150 ] || fail "only $rows pixel rows drawn"
if command -v tesseract >/dev/null && command -v convert >/dev/null; then
    convert "$dir/memtest.png" -crop 720x24+0+0 +repage -resize 300% -colorspace Gray -negate \
        "$dir/top.png"
    ocr=$(tesseract "$dir/top.png" - 2>/dev/null)
    echo "tesseract: $ocr"
    echo "$ocr" | grep -qi "memtest86" || fail "tesseract does not read 'Memtest86' in the top line"
fi
# The monitor's sendkey reaches memtest86+ through the i8042: F1 opens its settings.
mon "sendkey f1" || fail "sendkey f1 failed"
start=$SECONDS
until mon "info screen" 2>/dev/null | grep -q "Settings:"; do
    [ $((SECONDS - start)) -ge 120 ] && { fail "no settings menu after sendkey f1"; break; }
    sleep 1
done
mon quit >/dev/null 2>&1
wait "$pid" 2>/dev/null
pid=
[ $rc -eq 0 ] && echo "PASS"
exit $rc
