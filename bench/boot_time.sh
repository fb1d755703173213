#!/bin/bash
# Boot time to userspace: QEMU TCG and turtles side by side, on the same Debian kernel and test
# initramfs (tests/images/build-images.sh), with the same command line.
#
#   bench/boot_time.sh [RUNS]      (default 3 runs per emulator; the median is reported)
#
# Measures from the emulator's start to the serial line "TURTLES: userspace up" printed by the
# initramfs' /init. turtles is measured when build/turtles exists and its help mentions -kernel.
# Environment: TURTLES_CACHE, QEMU (default qemu-system-x86_64), TURTLES (default build/turtles).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}
turtles=${TURTLES:-$repo/build/turtles}
runs=${1:-3}
log_dir=${LOG_DIR:-$cache/logs}
. "$repo/tests/images/timed-run.sh"

"$repo/tests/images/build-images.sh" || exit 1
mkdir -p "$log_dir"

# The machine both emulators get; turtles follows QEMU's option spelling.
machine_args=(-m 1G -smp 2 -nographic -no-reboot -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz"
    -append "console=ttyS0 panic=-1 turtles.test=boot turtles.cpus=2")

# median of the numbers on stdin, one a line
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure NAME COMMAND... -> prints the median time to userspace, or "fail"
measure() {
    local name=$1 times="" i
    shift
    for i in $(seq 1 "$runs"); do
        timed_run "$log_dir/boot-time-$name-$i.log" "TURTLES: userspace up" 900 "$@"
        if [ -z "$TIME_TO_MARKER" ]; then
            echo "boot_time: $name run $i: no 'TURTLES: userspace up' (status $RUN_STATUS), see $log_dir/boot-time-$name-$i.log" >&2
            echo fail
            return
        fi
        echo "boot_time: $name run $i: userspace up after ${TIME_TO_MARKER}s" >&2
        times="$times$TIME_TO_MARKER"$'\n'
    done
    printf '%s' "$times" | median
}

qemu_s=$(measure qemu-tcg "$qemu" -accel tcg -cpu max "${machine_args[@]}")
turtles_s=""
if [ -x "$turtles" ] && "$turtles" -help 2>&1 | grep -q -- '-kernel'; then
    turtles_s=$(measure turtles "$turtles" "${machine_args[@]}")
else
    echo "boot_time: $turtles missing or without -kernel support: measuring QEMU only" >&2
fi

echo
echo "boot to userspace (median of $runs), kernel $(sed -n 's/^version=//p' "$cache/kernel.version"):"
show() { if [ "$2" = fail ]; then printf '  %-10s failed\n' "$1"; else printf '  %-10s %s s\n' "$1" "$2"; fi; }
show qemu-tcg "$qemu_s"
if [ -n "$turtles_s" ]; then
    show turtles "$turtles_s"
    if [ "$qemu_s" != fail ] && [ "$turtles_s" != fail ]; then
        awk -v t="$turtles_s" -v q="$qemu_s" 'BEGIN { printf "  ratio      turtles/qemu-tcg = %.2f\n", t / q }'
    fi
fi
[ "$qemu_s" != fail ] && [ "$turtles_s" != fail ]
