#!/bin/bash
# The SDL window under Xvfb, end to end. turtles -display sdl boots the GRUB ISO whose menu
# is on the VGA text screen (tests/images/build-isos.sh: grub-vga.iso):
#  1. the menu: the VGA text read through the monitor (info screen) shows GRUB's entries; the
#     screendump PNG decodes as 720x400 RGB with text rows; the X root window captured with
#     `import`, cut at the window's place, matches the screendump (a blank or misplaced
#     window fails: the mismatch must stay under a tenth of the text pixels);
#  2. Enter typed into the window (xdotool) boots Linux with its console on tty0: the text
#     screen shows the kernel's messages and /init's shell, and the window still matches;
#  3. a command typed into the shell through the window writes 6*7 to the serial port, and
#     the serial log shows the computed 42;
#  4. closing the window ends turtles at once with status 0.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
LIB=$(cd "$(dirname "$0")/lib" && pwd)
need_images
iso=$CACHE/grub-vga.iso
[ -f "$iso" ] || { echo "SKIP: $iso missing (tests/images/build-isos.sh)"; exit 77; }
for t in xvfb-run xdotool import convert python3; do
    command -v $t >/dev/null || { echo "SKIP: $t missing (make deps)"; exit 77; }
done
if [ -z "${TURTLES_DISPLAY_TEST_INNER:-}" ]; then
    export TURTLES_DISPLAY_TEST_INNER=1
    exec xvfb-run -a -s "-screen 0 1024x768x24" "$0" "$@"
fi

dir=$(mktemp -d /tmp/turtles-display.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }
mon() { python3 "$LIB/monitor.py" "$dir/mon.sock" "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds, or fail and stop.
wait_for() {
    local limit=$1 what=$2 start=$SECONDS
    shift 2
    until "$@" >/dev/null 2>&1; do
        if [ $((SECONDS - start)) -ge "$limit" ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "FAIL: no $what after $((SECONDS - start)) s"
            echo "--- screen:"; mon "info screen" 2>/dev/null | head -30
            echo "--- serial:"; tail -20 "$dir/serial.log"
            exit 1
        fi
        sleep 1
    done
    echo "$what after $((SECONDS - start)) s"
}
screen_has() { mon "info screen" | grep -q -- "$1"; }

# capture NAME: the screendump (PNG) and the window cut from the root window, compared.
capture() {
    local name=$1
    mon "screendump -f png $dir/$name.png" || { fail "screendump failed"; return; }
    import -window root "$dir/$name-root.png"
    eval "$(xdotool getwindowgeometry --shell "$wid")"
    convert "$dir/$name-root.png" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -depth 8 \
        "ppm:$dir/$name-window.ppm"
    local info
    info=$(python3 "$LIB/screen_check.py" info "$dir/$name.png")
    echo "$name: screendump $info; window ${WIDTH}x${HEIGHT}+${X}+${Y}"
    [[ $info == 720x400\ mode=rgb8* ]] || fail "$name: screendump is not 720x400 RGB: $info"
    local rows=${info#* rows=}
    rows=${rows%% *}
    [ "$rows" -ge "$2" ] || fail "$name: only $rows pixel rows with text (expected >= $2)"
    python3 "$LIB/screen_check.py" compare "$dir/$name.png" "$dir/$name-window.ppm" ||
        fail "$name: the window does not show what the screendump shows"
}

"$turtles" -display sdl -name display-test -m 256 -cdrom "$iso" -no-reboot \
    -serial "file:$dir/serial.log" -monitor "unix:$dir/mon.sock,server,nowait" \
    </dev/null >"$dir/turtles.log" 2>&1 &
pid=$!
wid=$(timeout 30 xdotool search --sync --name "turtles: display-test" | head -1)
[ -n "$wid" ] || { echo "FAIL: no window titled 'turtles: display-test'"; cat "$dir/turtles.log"; exit 1; }
title=$(xdotool getwindowname "$wid")
echo "window $wid: $title"
[[ $title == *running*root*Ctrl-Alt-G* || $title == *running*root*click* ]] ||
    fail "title lacks state, level or grab hint: $title"

# 1. GRUB's menu.
wait_for 240 "GRUB menu" screen_has "turtles shell on the VGA console"
sleep 1 # a few display frames: the window has drawn the menu
capture menu 100

# 2. Enter into the window: Linux on the VGA console.
xdotool mousemove --window "$wid" 100 100
xdotool windowfocus --sync "$wid" 2>/dev/null
xdotool key --delay 100 Return
wait_for 600 "shell on the VGA console" screen_has "TURTLES: shell"
sleep 2
capture console 150
mon "info screen" | grep -q "Linux version\|Run /init\|TURTLES: shell" || fail "no kernel text on the console"

# 3. Keyboard: the shell's answer on the serial port.
xdotool type --delay 60 'echo kbd-$((6*7)) >/dev/ttyS0'
xdotool key Return
wait_for 120 "typed command's output on the serial console" grep -q "^kbd-42" "$dir/serial.log"

# 4. Closing the window quits at once.
xdotool windowclose "$wid" 2>/dev/null || xdotool windowkill "$wid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    fail "turtles still runs 5 s after its window was closed"
else
    wait "$pid"
    status=$?
    pid=
    grep -q "display window closed" "$dir/turtles.log" || fail "no 'display window closed' stop line"
    [ $status -eq 0 ] || fail "exit status $status after closing the window (expected 0)"
fi
cat "$dir/turtles.log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
