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

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}
turtles=${TURTLES:-$repo/build/turtles}
runs=${1:-1}
iso=$cache/grub-kvm.iso
grub_marker="Booting .turtles kvm."
early_marker="Linux version"
marker="L2: Hello from L2"
limit=1800
log_dir=${LOG_DIR:-$cache/logs}
mkdir -p "$log_dir"
. "$repo/tests/images/timed-run.sh"   # now_us, seconds_between

[ -f "$iso" ] || { echo "grub_iso_nested: $iso missing (tests/images/build-isos.sh)" >&2; exit 1; }
command -v "$qemu" >/dev/null || { echo "grub_iso_nested: $qemu missing (make bench-deps)" >&2; exit 1; }
[ -x "$turtles" ] || { echo "grub_iso_nested: $turtles missing (make build)" >&2; exit 1; }

# The machine both emulators get (that of tests/boot/cdrom-grub-kvm.sh); turtles follows
# QEMU's option spelling. QEMU gets -nic none: turtles' machine has no NIC and no PXE ROM.
machine_args=(-m 1G -smp 2 -cdrom "$iso" -nographic -no-reboot)

# time_to_markers LOG COMMAND... -> "GRUB EARLY END": seconds from start to the first line
# matching each marker in LOG, or "fail". The emulator is stopped (SIGTERM, then SIGKILL) at END.
time_to_markers() {
    local log=$1 start pid t="" te="" tg=""
    shift
    : > "$log"
    start=$(now_us)
    "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        [ -z "$tg" ] && grep -aq "$grub_marker" "$log" && tg=$(seconds_between "$start" "$(now_us)")
        [ -z "$te" ] && grep -aq "$early_marker" "$log" && te=$(seconds_between "$start" "$(now_us)")
        if grep -aq "$marker" "$log"; then
            t=$(seconds_between "$start" "$(now_us)")
            break
        fi
        [ $(( ($(now_us) - start) / 1000000 )) -ge $limit ] && break
        sleep 0.05
    done
    [ -z "$t" ] && grep -aq "$marker" "$log" && t=$(seconds_between "$start" "$(now_us)")
    kill -TERM "$pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -n "$t" ] && [ -n "$te" ] && [ -n "$tg" ]; then echo "$tg $te $t"; else echo fail; fi
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure NAME COMMAND... -> the medians "GRUB EARLY END", or "fail"
measure() {
    local name=$1 g="" e="" x="" i t log
    shift
    for i in $(seq 1 "$runs"); do
        log=$log_dir/grub-nested-$name-$i.log
        t=$(time_to_markers "$log" "$@")
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
