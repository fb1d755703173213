# Sourced by tests/images/run-bochs-reference.sh and bench/nested.sh: the
# files a Bochs run of a guest image needs.
#
# bochs_guest_prepare DIR CACHE APPEND CPUS
#   DIR/guest.iso: a GRUB rescue ISO (Bochs has no -kernel) that boots
#   CACHE/vmlinuz with CACHE/initramfs.cpio.gz and the kernel command line
#   APPEND on a 115200-baud serial console; DIR/bochsrc for Bochs' VMX model
#   (corei7_skylake_x) with CPUS CPUs and 1 GiB, COM1 written to
#   DIR/serial.txt; DIR/debugger.rc that just continues. Returns non-zero
#   (with a message) if the ISO cannot be built.
bochs_guest_prepare() {
    local dir=$1 cache=$2 append=$3 cpus=$4
    mkdir -p "$dir/iso/boot/grub"
    cp "$cache/vmlinuz" "$cache/initramfs.cpio.gz" "$dir/iso/boot/" || return 1
    cat > "$dir/iso/boot/grub/grub.cfg" <<GRUB
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry turtles {
  linux /boot/vmlinuz $append
  initrd /boot/initramfs.cpio.gz
}
GRUB
    if ! grub-mkrescue -o "$dir/guest.iso" "$dir/iso" >/dev/null 2>&1; then
        echo "bochs: grub-mkrescue failed" >&2
        return 1
    fi
    # Debian's Bochs has no "nogui" display library, and its ALSA sound
    # backend aborts on machines without a sound card: rfb and dummy sound.
    cat > "$dir/bochsrc" <<RC
megs: 1024
cpu: model=corei7_skylake_x, count=$cpus, ips=400000000
clock: sync=none
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
speaker: enabled=0
sound: driver=dummy
ata0-master: type=cdrom, path=$dir/guest.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$dir/serial.txt
display_library: rfb, options="timeout=0"
log: $dir/bochs.log
RC
    echo c > "$dir/debugger.rc"
    : > "$dir/serial.txt"
}
