#!/bin/bash
# The default VGA (PCI 1234:1111 with Bochs VBE) runs SeaBIOS's VGA BIOS
# (vgabios-stdvga.bin): SeaBIOS's banner and its boot attempts appear on the
# VGA text screen, read back with -turtles-screen-text when turtles stops.
# -boot reboot-timeout=0 -no-reboot turns "No bootable device" into an exit
# (status 0, the guest's reset under -no-reboot) instead of a wait forever,
# the way a CI run ends on a boot failure. -vga none and -nodefaults leave
# the screen empty; bad -vga/-boot values are command-line errors.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
bios=/usr/share/seabios/bios-256k.bin
vgabios=/usr/share/seabios/vgabios-stdvga.bin
for f in "$bios" "$vgabios"; do
    [ -r "$f" ] || { echo "SKIP: $f missing (apt-get install seabios)"; exit 77; }
done
dir=$(mktemp -d /tmp/turtles-vga.XXXXXX)

run_turtles 60 "$dir/out" -bios "$bios" -display none -serial null -no-reboot \
    -boot order=dc,reboot-timeout=0 -turtles-screen-text "$dir/screen"
expect_status 0 "SeaBIOS with no bootable device and reboot-timeout=0"
expect_output "$dir/out" "^turtles: guest requested a reset \(-no-reboot\)" "the stop line"
expect_output "$dir/screen" "^SeaBIOS \(version [0-9.]+" "SeaBIOS banner on the VGA text screen"
expect_output "$dir/screen" "^No bootable device\.  Retrying in 0 seconds\." "boot failure on the VGA text screen"
[ "$(wc -l < "$dir/screen")" -eq 25 ] || fail "the text screen has $(wc -l < "$dir/screen") rows, expected 25"

for opt in "-vga none" "-nodefaults"; do
    # shellcheck disable=SC2086
    run_turtles 60 "$dir/out" -bios "$bios" -display none -serial null -no-reboot \
        -boot reboot-timeout=0 $opt -turtles-screen-text "$dir/screen"
    expect_status 0 "$opt"
    [ -s "$dir/screen" ] && fail "$opt: the screen is not empty"
done

# -nographic tells the firmware (FW_CFG_NOGRAPHIC) to mirror its screen on
# COM1; -display none does not, unless -fw_cfg gives etc/sercon-port.
run_turtles 60 "$dir/out" -bios "$bios" -nographic -no-reboot -boot reboot-timeout=0
expect_output "$dir/out" "SeaBIOS \(version" "-nographic: the banner on COM1"
run_turtles 60 "$dir/out" -bios "$bios" -display none -no-reboot -boot reboot-timeout=0
grep -q "SeaBIOS (version" "$dir/out" && fail "-display none: the banner reached COM1"
printf '\370\003' > "$dir/port"
run_turtles 60 "$dir/out" -display none -no-reboot -boot reboot-timeout=0 \
    -fw_cfg name=etc/sercon-port,file="$dir/port"
expect_output "$dir/out" "SeaBIOS \(version" "-fw_cfg etc/sercon-port: the banner on COM1"
run_turtles 10 "$dir/out" -fw_cfg name=opt/x,file=/nonexistent/file
expect_status 1 "-fw_cfg with a missing file"

for bad in "-fw_cfg opt/x" "-fw_cfg name=opt/x,string=a,file=b" "-vga cirrus" "-boot order=xyz" "-boot menu=maybe" "-boot reboot-timeout=70000" "-boot foo=1"; do
    # shellcheck disable=SC2086
    run_turtles 10 "$dir/out" $bad
    expect_status 2 "$bad"
    [ "$(wc -l < "$dir/out")" -eq 1 ] || fail "$bad: not one line on stderr"
done

rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: VGA text screen under SeaBIOS, -boot reboot-timeout, -vga none"
exit $rc
