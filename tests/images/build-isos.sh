#!/bin/sh
# Bootable CD images for the firmware tests, from the kernel and initramfs that
# build-images.sh made (run it first), with Debian's bootloaders:
#
#   grub-kvm.iso      GRUB BIOS ISO (grub-mkrescue, packages grub-pc-bin grub-common
#                     xorriso mtools): the kvm job (kvm_intel + the L2 guests)
#   isolinux-boot.iso ISOLINUX ISO (packages isolinux syslinux-common xorriso): the boot job
#   grub-vga.iso      GRUB BIOS ISO with its menu on the VGA text screen, waiting for a key:
#                     the shell job on the VGA console (tests/boot/display-*.sh)
#
# Both give their bootloader and the kernel a serial console on COM1. Output goes to
# ${TURTLES_CACHE:-$HOME/.cache/turtles}; a build is skipped while its inputs are unchanged.
set -eu
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
log() { echo "build-isos: $*" >&2; }
die() { echo "build-isos: error: $*" >&2; exit 1; }
for t in grub-mkrescue xorriso mformat; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found (apt-get install grub-pc-bin grub-common xorriso mtools)"
done
[ -f /usr/lib/ISOLINUX/isolinux.bin ] || die "no /usr/lib/ISOLINUX/isolinux.bin (apt-get install isolinux)"
[ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || die "no ldlinux.c32 (apt-get install syslinux-common)"
[ -f "$cache/vmlinuz" ] && [ -f "$cache/initramfs.cpio.gz" ] || die "run tests/images/build-images.sh first"

exec 9> "$cache/.iso-lock"
flock 9
here=$(cd "$(dirname "$0")" && pwd)
stamp_in=$(cat "$cache/kernel.version" "$0" /usr/lib/ISOLINUX/isolinux.bin 2>/dev/null |
    cat - "$cache/initramfs.cpio.gz" | sha256sum | cut -d' ' -f1)
if [ -f "$cache/isos.stamp" ] && [ "$(cat "$cache/isos.stamp")" = "$stamp_in" ] &&
   [ -f "$cache/grub-kvm.iso" ] && [ -f "$cache/isolinux-boot.iso" ] && [ -f "$cache/grub-vga.iso" ]; then
    log "up to date"
    exit 0
fi
work=$(mktemp -d "$cache/iso-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
common="console=ttyS0 panic=-1"

# GRUB: serial terminal, no menu wait.
mkdir -p "$work/grub/boot/grub"
cp "$cache/vmlinuz" "$cache/initramfs.cpio.gz" "$work/grub/boot/"
cat > "$work/grub/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry "turtles kvm" {
  linux /boot/vmlinuz $common turtles.test=kvm turtles.cpuid=20000 turtles.mib=16 turtles.ipis=200
  initrd /boot/initramfs.cpio.gz
}
CFG
grub-mkrescue -o "$work/grub-kvm.iso" "$work/grub" >/dev/null 2>&1 || die "grub-mkrescue failed"

# GRUB on the VGA screen: the menu waits for Enter (timeout=-1); Linux's last console=
# (tty0) gets /dev/console, so the shell runs on the VGA console and keyboard.
mkdir -p "$work/grubvga/boot/grub"
cp "$cache/vmlinuz" "$cache/initramfs.cpio.gz" "$work/grubvga/boot/"
cat > "$work/grubvga/boot/grub/grub.cfg" <<CFG
set timeout=-1
menuentry "turtles shell on the VGA console" {
  linux /boot/vmlinuz console=ttyS0 console=tty0 panic=-1 turtles.test=shell
  initrd /boot/initramfs.cpio.gz
}
menuentry "turtles boot test (serial console)" {
  linux /boot/vmlinuz $common turtles.test=boot
  initrd /boot/initramfs.cpio.gz
}
CFG
grub-mkrescue -o "$work/grub-vga.iso" "$work/grubvga" >/dev/null 2>&1 || die "grub-mkrescue failed"

# ISOLINUX: El Torito no-emulation boot of isolinux.bin, SERIAL on COM1.
mkdir -p "$work/isolinux/isolinux" "$work/isolinux/boot"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$work/isolinux/isolinux/"
cp "$cache/vmlinuz" "$cache/initramfs.cpio.gz" "$work/isolinux/boot/"
cat > "$work/isolinux/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT turtles
LABEL turtles
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/initramfs.cpio.gz $common turtles.test=boot turtles.cpus=1
CFG
xorriso -as mkisofs -quiet -o "$work/isolinux-boot.iso" -b isolinux/isolinux.bin \
    -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    "$work/isolinux" >/dev/null 2>&1 || die "xorriso failed"

mv "$work/grub-kvm.iso" "$cache/grub-kvm.iso"
mv "$work/isolinux-boot.iso" "$cache/isolinux-boot.iso"
mv "$work/grub-vga.iso" "$cache/grub-vga.iso"
echo "$stamp_in" > "$cache/isos.stamp"
log "built $cache/grub-kvm.iso, $cache/isolinux-boot.iso and $cache/grub-vga.iso"
: "$here"
