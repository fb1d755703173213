#!/bin/bash
# The GRUB ISO as a CI pipeline would hand it over, turtles and QEMU TCG side by side in one
# run: both boot ~/.cache/turtles/grub-kvm.iso (tests/images/build-isos.sh) through SeaBIOS from
# the IDE CD-ROM, GRUB loads Debian's kernel, and its /init loads KVM (kvm_intel on turtles'
# VMX; kvm_amd nested=1 on QEMU's SVM model, since QEMU TCG has no VMX) and enters the first
# nested L2 guest. Three times per run, from the emulator's start:
#   - to GRUB's "Booting `turtles kvm'": SeaBIOS POST, El Torito, GRUB loading its modules and
#     starting the menu entry (firmware and disk reads only);
#   - to the kernel's first serial line ("Linux version"): the firmware + bootloader phase as
#     issue 9 defines it (the above, GRUB reading the kernel and initramfs through INT 13h, and
#     the kernel's decompressor, which is pure instruction speed);
#   - to "L2: Hello from L2": end to end (kernel boot, KVM load, the first L2 entry).
# The emulator is stopped at the second line.
#
#   bench/grub_iso_nested.sh [RUNS]      (default 1 run per emulator; the median is reported)
#
# Environment: TURTLES_CACHE, QEMU (default qemu-system-x86_64), TURTLES (default
# build/turtles), QEMU_ARGS (extra QEMU options), LOG_DIR. Not part of make test.
set -u
. "$(dirname "$0")/lib/race.sh"
runs=${1:-1}
iso=$cache/grub-kvm.iso
grub_marker="Booting .turtles kvm."
early_marker="Linux version"
marker="L2: Hello from L2"
markers=("$grub_marker" "$early_marker" "$marker")
limit=1800
need_race_inputs grub_iso_nested "$iso"

# The machine both emulators get (that of tests/boot/cdrom-grub-kvm.sh); turtles follows
# QEMU's option spelling. QEMU gets -nic none: turtles' machine has no NIC and no PXE ROM.
machine_args=(-m 1G -smp 2 -cdrom "$iso" -nographic -no-reboot)

# measure NAME COMMAND... -> the medians "GRUB EARLY END", or "fail"
measure() {
    local name=$1 g="" e="" x="" i t log
    shift
    for i in $(seq 1 "$runs"); do
        log=$log_dir/grub-nested-$name-$i.log
        t=$(time_to_markers "$log" "$limit" 0.05 "$@")
        [[ $t == *-* ]] && t=fail    # all three markers or none
        if [ "$t" = fail ]; then
            echo "grub_iso_nested: $name run $i: a marker is missing, see $log" >&2
            echo fail
            return
        fi
        read -r tg te tx <<< "$t"
        echo "grub_iso_nested: $name run $i: GRUB entry ${tg}s, '$early_marker' ${te}s, '$marker' ${tx}s (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        g="$g$tg"$'\n'
        e="$e$te"$'\n'
        x="$x$tx"$'\n'
    done
    echo "$(printf '%s' "$g" | median) $(printf '%s' "$e" | median) $(printf '%s' "$x" | median)"
}

read -r -a qemu_extra <<< "${QEMU_ARGS:-}"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
qemu_s=$(measure qemu-tcg "$qemu" -accel tcg -cpu max -nic none "${qemu_extra[@]}" "${machine_args[@]}")
turtles_s=$(measure turtles "$turtles" "${machine_args[@]}")

echo
echo "grub-kvm.iso, -m 1G -smp 2, median of $runs; load average $load_before at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end:"
echo "  power-on to GRUB's menu entry / to '$early_marker' (firmware + bootloader) / to '$marker' (end to end)"
show() { if [ "$2" = fail ]; then printf '  %-10s failed\n' "$1"; else read -r a b c <<< "$2"; printf '  %-10s %s s / %s s / %s s\n' "$1" "$a" "$b" "$c"; fi; }
show qemu-tcg "$qemu_s"
show turtles "$turtles_s"
[ "$qemu_s" != fail ] && [ "$turtles_s" != fail ] || exit 1
awk -v t="$turtles_s" -v q="$qemu_s" 'BEGIN { split(t, a, " "); split(q, b, " ")
    printf "  ratio      turtles/qemu-tcg = %.2f (GRUB entry) / %.2f (firmware + bootloader) / %.2f (end to end)\n", a[1] / b[1], a[2] / b[2], a[3] / b[3] }'
