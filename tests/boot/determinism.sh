#!/bin/bash
# Deterministic by default (DESIGN.md): the same kernel, initramfs and
# command line give the same run. Two -smp 2 boots to poweroff must print
# byte-identical serial output (kernel timestamps, the guest's uptime and date
# readings included, since time comes from the instruction count).
# Then a boot from disk: SeaBIOS boots the ISOLINUX ISO from the IDE CD-ROM,
# ISOLINUX reads the kernel and initramfs through INT 13h (ATAPI PIO reads),
# and the run stops at an exact instruction count (6e8, ~5 s, just after the
# kernel's real-mode setup printed "Probing EDD"): two runs give the same
# serial output and the same VGA text screen, so disk I/O keeps runs
# deterministic.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
dir=$(mktemp -d /tmp/turtles-determinism.XXXXXX)
for run in 1 2; do
    timeout --signal=TERM --kill-after=15 600 "$turtles" -m 512M -smp 2 -nographic -no-reboot \
        -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" \
        -append "console=ttyS0 panic=-1 turtles.test=boot turtles.cpus=2" </dev/null >"$dir/run$run.txt" 2>/dev/null
    echo "run $run: exit status $? ($(wc -l < "$dir/run$run.txt") lines)"
done
rc=0
lines=$(wc -l < "$dir/run1.txt")
if ! grep -q "TURTLES: boot ok" "$dir/run1.txt"; then
    echo "FAIL: the first run did not reach 'TURTLES: boot ok'"
    rc=1
elif ! cmp -s "$dir/run1.txt" "$dir/run2.txt"; then
    echo "FAIL: the two runs differ:"
    diff "$dir/run1.txt" "$dir/run2.txt" | head -20
    rc=1
else
    echo "PASS: $lines identical lines, last: $(tail -1 "$dir/run1.txt")"
fi
iso=$CACHE/isolinux-boot.iso
if [ ! -f "$iso" ]; then
    echo "SKIP (disk part): $iso missing (tests/images/build-isos.sh)"
else
    for run in 1 2; do
        timeout --signal=TERM --kill-after=15 300 "$turtles" -m 512M -cdrom "$iso" -nographic \
            -no-reboot -turtles-max-insns 600000000 -turtles-screen-text "$dir/cd-screen$run.txt" \
            </dev/null >"$dir/cd$run.txt" 2>/dev/null
        status=$?
        echo "cd run $run: exit status $status ($(wc -c < "$dir/cd$run.txt") bytes)"
        [ $status -eq 5 ] || { echo "FAIL: cd run $run: status $status, expected 5 (-turtles-max-insns)"; rc=1; }
    done
    if ! grep -q "Loading /boot/initramfs.cpio.gz" "$dir/cd1.txt" ||
       ! grep -q "Probing EDD" "$dir/cd1.txt"; then
        echo "FAIL: the CD boot did not get through ISOLINUX loading the kernel and initramfs"
        rc=1
    elif ! cmp -s "$dir/cd1.txt" "$dir/cd2.txt"; then
        echo "FAIL: the two CD boots' serial output differs:"
        diff <(tr -d '\033' < "$dir/cd1.txt") <(tr -d '\033' < "$dir/cd2.txt") | head -20
        rc=1
    elif ! cmp -s "$dir/cd-screen1.txt" "$dir/cd-screen2.txt"; then
        echo "FAIL: the two CD boots' VGA text screens differ"
        rc=1
    else
        echo "PASS: two CD boots (SeaBIOS, ISOLINUX, kernel and initramfs read from the ISO) identical: $(wc -c < "$dir/cd1.txt") bytes of serial output and the VGA screen"
    fi
fi
rm -rf "$dir"
exit $rc
