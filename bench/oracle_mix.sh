#!/bin/bash
# Instruction-mix guest (bench/guests/oracle_mix.S: 64-bit long mode, a loop of integer, x87 and
# SSE/SSE2 instructions like the host-oracle tests' templates, ~146 M guest instructions),
# turtles and QEMU TCG side by side. Reports turtles' instruction count, MIPS per wall-clock
# and per CPU second, peak RSS, QEMU's times on the same guest (whose instruction count is the
# same: the program is deterministic) and the ratio. The guest prints a digest of its final
# state on COM1; turtles' must equal QEMU's, or the run counts as failed.
#   bench/oracle_mix.sh [TURTLES] [RUNS]      (default build/turtles, 3 runs, best reported)
# Environment: QEMU (default qemu-system-x86_64), ORACLE_MIX_TIMEOUT (seconds per run, 300).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
turtles=${1:-$repo/build/turtles}
runs=${2:-3}
rom=$(dirname "$turtles")/bench/oracle_mix.rom
qemu=${QEMU:-qemu-system-x86_64}
limit=${ORACLE_MIX_TIMEOUT:-300}
[ -x "$turtles" ] || { echo "oracle_mix: $turtles missing (build first)" >&2; exit 1; }
[ -f "$rom" ] || { echo "oracle_mix: $rom missing (build first: cmake --build build --target bench_guests)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/oracle_mix.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# timed OUT COMMAND...: runs COMMAND with a time limit, its stdout in OUT.out and stderr in
# OUT.err; sets WALL and
# CPU (user + system seconds of COMMAND) and STATUS.
timed() {
    local out=$1 t
    shift
    t=$( { TIMEFORMAT='%R %U %S'; time timeout -k 5 "$limit" "$@" < /dev/null > "$out.out" 2> "$out.err"; echo "status $?" > "$out.status"; } 2>&1 )
    WALL=$(awk '{ print $1 }' <<< "$t")
    CPU=$(awk '{ printf "%.3f", $2 + $3 }' <<< "$t")
    STATUS=$(awk '{ print $2 }' "$out.status")
}

# Best (lowest) of "WALL CPU" lines on stdin, by CPU time: the machine is shared, and CPU time
# is what the emulator itself spent.
best() { sort -k2 -n | head -1; }

t_res="" q_res="" insns="" rss="" failed=0
for i in $(seq 1 "$runs"); do
    timed "$tmp/t$i" "$turtles" -bios "$rom" -nographic -device isa-debug-exit,iobase=0xf4,iosize=0x04 -turtles-stats
    # isa-debug-exit: the guest writes 0 on completion -> status 1
    if [ "$STATUS" != 1 ]; then
        echo "oracle_mix: turtles run $i ended with status $STATUS (expected 1): $(head -c 300 "$tmp/t$i.err")" >&2
        failed=1
        continue
    fi
    t_digest=$(sed -n 's/^oracle_mix: digest \([0-9a-f]*\).*/\1/p' "$tmp/t$i.out" | tr -d '\r' | head -1)
    insns=$(sed -n 's/^turtles-stats: instructions=\([0-9]*\) .*/\1/p' "$tmp/t$i.err" | head -1)
    rss=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$tmp/t$i.err" | head -1)
    t_res="$t_res$WALL $CPU"$'\n'
    echo "oracle_mix: turtles run $i: ${WALL}s wall, ${CPU}s CPU, $insns instructions (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    if command -v "$qemu" >/dev/null; then
        timed "$tmp/q$i" "$qemu" -accel tcg -bios "$rom" -display none -serial stdio \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
        q_digest=$(sed -n 's/^oracle_mix: digest \([0-9a-f]*\).*/\1/p' "$tmp/q$i.out" | tr -d '\r' | head -1)
        if [ "$STATUS" != 1 ]; then
            echo "oracle_mix: qemu run $i ended with status $STATUS (expected 1)" >&2
        elif [ -z "$t_digest" ] || [ "$t_digest" != "$q_digest" ]; then
            echo "oracle_mix: run $i: turtles' final-state digest '$t_digest' differs from QEMU's '$q_digest': turtles computed something else" >&2
            failed=1
        else
            q_res="$q_res$WALL $CPU"$'\n'
            echo "oracle_mix: qemu-tcg run $i: ${WALL}s wall, ${CPU}s CPU" >&2
        fi
    fi
done
command -v "$qemu" >/dev/null || echo "oracle_mix: $qemu not found (apt-get install -y qemu-system-x86): QEMU skipped" >&2
[ -n "$t_res" ] || { echo "oracle_mix: no successful turtles run" >&2; exit 1; }

read -r tw tc <<< "$(printf '%s' "$t_res" | best)"
mips() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s / 1e6; else print "-" }'; }
echo
echo "instruction mix (bench/guests/oracle_mix.S), best of $runs by CPU time, load average now $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  turtles:  ${tw}s wall, ${tc}s CPU, $insns instructions, $(mips "$insns" "$tw") MIPS wall, $(mips "$insns" "$tc") MIPS per CPU-second, peak RSS $((rss / 1024)) MiB"
if [ -n "$q_res" ]; then
    read -r qw qc <<< "$(printf '%s' "$q_res" | best)"
    echo "  qemu-tcg: ${qw}s wall, ${qc}s CPU (whole process, start-up included), $(mips "$insns" "$qw") MIPS wall, $(mips "$insns" "$qc") MIPS per CPU-second"
    awk -v a="$tw" -v b="$qw" -v c="$tc" -v d="$qc" 'BEGIN { printf "  ratio turtles/qemu-tcg: wall %.2f, CPU %.2f\n", a / b, c / d }'
fi
exit $failed
