#!/bin/bash
# -bios with -kernel boots as on QEMU: Debian's SeaBIOS runs its POST, runs
# turtles' own linuxboot option ROM (roms/linuxboot.S), which reads the
# kernel, initrd and command line from fw_cfg by DMA; Linux finds the
# e820 map SeaBIOS built from etc/e820 and the ACPI tables it installed
# from etc/table-loader (turtles' OEM ID), reaches userspace, powers off.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
bios=/usr/share/seabios/bios-256k.bin
[ -r "$bios" ] || { echo "SKIP: $bios missing (apt-get install seabios)"; exit 77; }
log=$(mktemp /tmp/turtles-boot.XXXXXX)
boot_guest "$turtles" 600 "$log" -bios "$bios" -m 512M -smp 1 \
    -smbios type=1,manufacturer=Acme,product=Turtle9000,serial=S123 \
    -uuid 12345678-9abc-def0-1234-56789abcdef0 -- turtles.test=boot turtles.cpus=1
status=$?
cat "$log"
rc=0
[ $status -eq 0 ] || { echo "FAIL: exit status $status (expected 0 from poweroff)"; rc=1; }
grep -q "loading the kernel directly" "$log" && { echo "FAIL: the firmware did not load the kernel"; rc=1; }
expect_line "$log" "Booting from ROM" || rc=1
expect_line "$log" "ACPI: RSDP 0x00000000000F[0-9A-F]+ 000024 \(v02 TURTLE\)" || rc=1
expect_line "$log" "ACPI: FACP .*TURTLE" || rc=1
expect_line "$log" "BIOS-e820: \[mem 0x0000000000100000-0x000000001f[0-9a-f]+\] usable" || rc=1
expect_line "$log" "SMBIOS 2.8 present" || rc=1
expect_line "$log" "DMI: Acme Turtle9000, BIOS turtles 01/01/2026" || rc=1
expect_line "$log" "TURTLES: boot ok" || rc=1
grep -q "TURTLES: FAIL" "$log" && { echo "FAIL: the guest reported a failure"; rc=1; }
check_dmesg "$log" || rc=1
rm -f "$log"
exit $rc
