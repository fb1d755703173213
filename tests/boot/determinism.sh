#!/bin/bash
# Deterministic by default (DESIGN.md): the same kernel, initramfs and
# command line give the same run. Two -smp 2 boots to poweroff must print
# byte-identical serial output (kernel timestamps, the guest's uptime and date
# readings included, since time comes from the instruction count).
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
rm -rf "$dir"
exit $rc
