#!/bin/bash
# Debian's SeaBIOS (package seabios) runs its power-on self test on turtles
# as on QEMU: it finds fw_cfg, sizes RAM from etc/e820, enumerates PCI,
# installs turtles' ACPI tables through etc/table-loader and ends at "No
# bootable device" (no disk controller yet). Its log comes from the QEMU
# debug console at port 0x402. With the default boot-fail-wait (-1) it
# then idles, so the run ends on the time limit and the log is checked.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
bios=/usr/share/seabios/bios-256k.bin
if [ ! -r "$bios" ]; then
    echo "SKIP: $bios missing (apt-get install seabios)"
    exit 77
fi
dir=$(mktemp -d /tmp/turtles-seabios.XXXXXX)
log=$dir/debugcon.log

# Stop as soon as SeaBIOS reaches its end of POST, or after the limit.
"$turtles" -bios "$bios" -m 256M -smp 2 -nographic -serial null \
    -debugcon "file:$log" -device isa-debugcon,iobase=0x402 </dev/null >"$dir/out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    grep -q "No bootable device" "$log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null

expect_output "$log" "^Found QEMU fw_cfg" "fw_cfg detected"
expect_output "$log" "QEMU fw_cfg DMA interface supported" "fw_cfg DMA"
expect_output "$log" "qemu/e820: addr 0x0000000000100000 len 0x000000000ff00000 \[RAM\]" \
    "RAM sized from etc/e820"
expect_output "$log" "^Found [0-9]+ PCI devices" "PCI enumeration"
expect_output "$log" "^Found 2 cpu\(s\)" "both vCPUs found"
expect_output "$log" "ACPI: parse DSDT" "ACPI tables installed from etc/table-loader"
expect_output "$log" "^table\(50434146\)=0x[0-9a-f]+ \(via xsdt\)" "FADT found through the RSDP and XSDT"
expect_output "$log" "No bootable device" "end of POST"
[ $rc -ne 0 ] && { echo "--- turtles output"; cat "$dir/out"; }
rm -rf "$dir"
exit $rc
