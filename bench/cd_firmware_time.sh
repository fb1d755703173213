#!/bin/bash
# The firmware + bootloader phase of a CD boot, turtles and QEMU TCG side by side in one run:
# both boot the ISOLINUX ISO (tests/images/build-isos.sh) through SeaBIOS from the IDE CD-ROM,
# and the time from the emulator's start to the kernel's first serial line ("Linux version")
# is measured; the emulator is then stopped. This phase is mostly INT 13h disk reads (ISOLINUX
# loading the kernel and initramfs) and device emulation, not instruction speed. The same run
# also gives the time to "Probing EDD", the first line of the kernel's real-mode setup code: the
# end of the bootloader phase, before the kernel's decompressor (pure instruction speed) runs.
#
#   bench/cd_firmware_time.sh [RUNS]      (default 3 runs per emulator; the median is reported)
#
# Environment: TURTLES_CACHE, QEMU (default qemu-system-x86_64), TURTLES (default build/turtles),
# QEMU_ARGS (extra QEMU options, e.g. "-L DIR" for a QEMU unpacked from its .deb).
# QEMU gets -nic none: no PXE option ROM to load and run (turtles' machine has none either).
# Not part of make test.
set -u
. "$(dirname "$0")/lib/race.sh"
runs=${1:-3}
iso=$cache/isolinux-boot.iso
marker="Linux version"
early_marker="Probing EDD"
markers=("$early_marker" "$marker")
limit=600
need_race_inputs cd_firmware_time "$iso"

# The machine both emulators get; turtles follows QEMU's option spelling.
machine_args=(-m 512M -cdrom "$iso" -nographic -no-reboot)

# measure NAME COMMAND... -> the medians "EARLY MARKER", or "fail"
measure() {
    local name=$1 times="" early="" i t
    shift
    for i in $(seq 1 "$runs"); do
        t=$(time_to_markers "$log_dir/cd-firmware-$name-$i.log" "$limit" 0.02 "$@")
        [ "${t% *}" = - ] && t="${t#* } ${t#* }"    # no early marker: count it at the end
        if [ "$t" = fail ]; then
            echo "cd_firmware_time: $name run $i: no '$marker', see $log_dir/cd-firmware-$name-$i.log" >&2
            echo fail
            return
        fi
        echo "cd_firmware_time: $name run $i: '$early_marker' after ${t% *}s, '$marker' after ${t#* }s" >&2
        early="$early${t% *}"$'\n'
        times="$times${t#* }"$'\n'
    done
    echo "$(printf '%s' "$early" | median) $(printf '%s' "$times" | median)"
}

read -r -a qemu_extra <<< "${QEMU_ARGS:-}"
qemu_s=$(measure qemu-tcg "$qemu" -accel tcg -cpu max -nic none "${qemu_extra[@]}" "${machine_args[@]}")
turtles_s=$(measure turtles "$turtles" "${machine_args[@]}")

echo
echo "power-on to '$early_marker' / '$marker' from the ISOLINUX ISO (median of $runs), load average $(cut -d' ' -f1-3 /proc/loadavg):"
show() { if [ "$2" = fail ]; then printf '  %-10s failed\n' "$1"; else printf '  %-10s %s s / %s s\n' "$1" "${2% *}" "${2#* }"; fi; }
show qemu-tcg "$qemu_s"
show turtles "$turtles_s"
[ "$qemu_s" != fail ] && [ "$turtles_s" != fail ] || exit 1
awk -v t="$turtles_s" -v q="$qemu_s" 'BEGIN { split(t, a, " "); split(q, b, " ")
    printf "  ratio      turtles/qemu-tcg = %.2f / %.2f\n", a[1] / b[1], a[2] / b[2] }'
