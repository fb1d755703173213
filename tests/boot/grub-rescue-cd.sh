#!/bin/bash
# Debian's own GRUB rescue CD (grub-rescue-pc's grub-rescue-cdrom.iso, from
# tests/images/fetch-grub-rescue.sh) boots to its first screen: SeaBIOS boots
# the IDE CD-ROM by El Torito, GRUB loads its modules from the ISO and draws
# its menu on the VGA text screen. Headless (-display none, no serial
# console: GRUB writes only to the screen); the run stops at an exact
# instruction count and -turtles-screen-text shows what was on screen.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
iso=$CACHE/grub-rescue-cdrom.iso
[ -f "$iso" ] || { echo "SKIP: $iso missing (tests/images/fetch-grub-rescue.sh)"; exit 77; }
[ -r /usr/share/seabios/bios-256k.bin ] || { echo "SKIP: seabios missing"; exit 77; }
dir=$(mktemp -d /tmp/turtles-grub-rescue.XXXXXX)
start=$(date +%s)
timeout --signal=TERM --kill-after=15 300 "$turtles" -m 256M -cdrom "$iso" -display none \
    -no-reboot -turtles-max-insns 400000000 -turtles-screen-text "$dir/screen.txt" \
    </dev/null >"$dir/out" 2>"$dir/err"
status=$?
echo "turtles exited with status $status after $(( $(date +%s) - start )) s; the screen:"
LC_ALL=C tr -c '\n -~' '?' < "$dir/screen.txt" | grep -v '^ *$'
rc=0
[ $status -eq 5 ] || { echo "FAIL: exit status $status (expected 5: -turtles-max-insns)"; rc=1; }
for want in "GNU GRUB  version 2\.[0-9]+" "Press enter to boot the selected OS" \
            "executed automatically in [0-9]+s" "\*GNU/Linux"; do
    if ! grep -a -Eq "$want" "$dir/screen.txt"; then
        echo "FAIL: '$want' not on the VGA text screen"
        rc=1
    fi
done
rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: Debian's GRUB rescue CD shows its menu on the VGA text screen"
exit $rc
