#!/bin/bash
# CPU-bound guest loop (bench/guests/cpu_loop.S: ~260 M guest instructions of
# integer work in 32-bit protected mode), turtles and QEMU TCG side by side.
# Reports turtles' guest MIPS, wall times, the ratio, and peak RSS.
#   bench/cpu_loop.sh [TURTLES] [RUNS]
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
turtles=${1:-$repo/build/turtles}
runs=${2:-3}
rom=$(dirname "$turtles")/bench/cpu_loop.rom
qemu=${QEMU:-qemu-system-x86_64}
[ -f "$rom" ] || { echo "cpu_loop: $rom missing (build first)"; exit 1; }

best() { sort -n | head -1; }

t_times=() q_times=() stats=""
for i in $(seq 1 "$runs"); do
    s=$(date +%s.%N)
    stats=$("$turtles" -bios "$rom" -nographic -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -turtles-stats 2>&1 >/dev/null | grep turtles-stats)
    e=$(date +%s.%N)
    t_times+=("$(echo "$e - $s" | bc)")
    if command -v "$qemu" >/dev/null; then
        s=$(date +%s.%N)
        "$qemu" -accel tcg -bios "$rom" -display none -serial null \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot >/dev/null 2>&1
        e=$(date +%s.%N)
        q_times+=("$(echo "$e - $s" | bc)")
    fi
done
tb=$(printf '%s\n' "${t_times[@]}" | best)
echo "turtles: best of $runs: ${tb}s  ($stats)"
if [ ${#q_times[@]} -gt 0 ]; then
    qb=$(printf '%s\n' "${q_times[@]}" | best)
    echo "qemu-tcg: best of $runs: ${qb}s"
    echo "ratio turtles/qemu wall time: $(echo "scale=2; $tb / $qb" | bc)"
fi
