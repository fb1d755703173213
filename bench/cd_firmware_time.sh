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

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}   # QEMU_MODULE_DIR is passed on (an unpacked .deb needs it)
turtles=${TURTLES:-$repo/build/turtles}
runs=${1:-3}
iso=$cache/isolinux-boot.iso
marker="Linux version"
early_marker="Probing EDD"
limit=600
log_dir=${LOG_DIR:-$cache/logs}
mkdir -p "$log_dir"
. "$repo/tests/images/timed-run.sh"   # now_us, seconds_between

[ -f "$iso" ] || { echo "cd_firmware_time: $iso missing (tests/images/build-isos.sh)" >&2; exit 1; }
command -v "$qemu" >/dev/null || { echo "cd_firmware_time: $qemu missing (make bench-deps)" >&2; exit 1; }
[ -x "$turtles" ] || { echo "cd_firmware_time: $turtles missing (make build)" >&2; exit 1; }

# The machine both emulators get; turtles follows QEMU's option spelling.
machine_args=(-m 512M -cdrom "$iso" -nographic -no-reboot)

# time_to_marker LOG COMMAND... -> "EARLY MARKER": seconds from start to the first EARLY_MARKER
# and MARKER in LOG, or "fail". The emulator is stopped (SIGTERM, then SIGKILL) at MARKER.
time_to_marker() {
    local log=$1 start pid t="" te=""
    shift
    : > "$log"
    start=$(now_us)
    "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        [ -z "$te" ] && grep -aq "$early_marker" "$log" && te=$(seconds_between "$start" "$(now_us)")
        if grep -aq "$marker" "$log"; then
            t=$(seconds_between "$start" "$(now_us)")
            break
        fi
        if [ $(( ($(now_us) - start) / 1000000 )) -ge $limit ]; then
            break
        fi
        sleep 0.02
    done
    [ -z "$t" ] && grep -aq "$marker" "$log" && t=$(seconds_between "$start" "$(now_us)")
    kill -TERM "$pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -n "$t" ]; then echo "${te:-$t} $t"; else echo fail; fi
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure NAME COMMAND... -> the medians "EARLY MARKER", or "fail"
measure() {
    local name=$1 times="" early="" i t
    shift
    for i in $(seq 1 "$runs"); do
        t=$(time_to_marker "$log_dir/cd-firmware-$name-$i.log" "$@")
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
