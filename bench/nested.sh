#!/bin/bash
# Nested virtualization, side by side: the same Debian L1 kernel and initramfs run the `kvm` job
# (tests/images/init.sh: L1's KVM runs the L2 programs kvm-hello and kvm-exits; the run ends
# there, before kvm-ipi) under
#   turtles   (kvm_intel on turtles' software VMX)
#   QEMU TCG  (-cpu max: kvm_amd nested=1 on QEMU's SVM model; QEMU TCG has no VMX)
#   Bochs 2.7 (kvm_intel on Bochs' VMX model; slow, skip it with NESTED_SKIP_BOCHS=1)
# one emulator at a time, and reports in HOST wall-clock seconds, taken from when each serial
# line reached this script:
#   - start -> "L2: Hello from L2" (boot, loading kvm, first L2 entry)
#   - kvm-exits' CPUID phase (100,000 L2 CPUID exits, each handled by L1's KVM) and the exits
#     per host second that follow from it
#   - kvm-exits' 64 MiB L2 memory loop: fill (first touch: EPT/NPT faults) and checksum phases
# between the "kvm-exits: mark ..." lines that tests/guests/kvm-exits.c prints at the phase
# boundaries. Next to the wall-clock figures: the emulator process' CPU time (user + system,
# all threads) over the same intervals, read from /proc when the line arrived; on a shared,
# loaded machine it is the steadier figure. The rates the guest prints itself are in each
# emulator's virtual time (Bochs runs with clock: sync=none, turtles' clock counts instructions
# by default) and are shown only as a secondary table.
#
#   bench/nested.sh [RUNS]       (default 1 run per emulator; with more, the median is reported)
#
# Environment: TURTLES (default build/turtles), QEMU (default qemu-system-x86_64),
# TURTLES_CACHE, LOG_DIR (serial logs, default $TURTLES_CACHE/logs), NESTED_SKIP_BOCHS=1,
# NESTED_SKIP_QEMU=1, NESTED_SKIP_TURTLES=1, NESTED_FULL_JOB=1 (run on through kvm-ipi),
# NESTED_TIMEOUT (seconds per run, default 1800; Bochs gets twice that), BOCHS_CPUS (default 1,
# as tests/images/run-bochs-reference.sh).
# Exits non-zero only if an emulator that was run failed the job.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}
turtles=${TURTLES:-$repo/build/turtles}
runs=${1:-1}
log_dir=${LOG_DIR:-$cache/logs}
limit=${NESTED_TIMEOUT:-1800}
bochs_cpus=${BOCHS_CPUS:-1}
. "$repo/tests/images/timed-run.sh" # now_us, seconds_between
. "$repo/tests/images/bochs-guest.sh" # bochs_guest_prepare

"$repo/tests/images/build-images.sh" >/dev/null || { echo "nested: building the guest images failed" >&2; exit 1; }
mkdir -p "$log_dir"
grep -q 'cpuid-begin' "$repo/tests/guests/kvm-exits.c" ||
    { echo "nested: tests/guests/kvm-exits.c prints no phase marks" >&2; exit 1; }

append="console=ttyS0 panic=-1 turtles.test=kvm"

clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# cpu_seconds PID -> user + system CPU seconds of process PID (all its threads), "" if gone
cpu_seconds() {
    local st
    read -r -a st < "/proc/$1/stat" 2>/dev/null || return
    # fields 14 and 15 (utime, stime); the command name (field 2) has no blanks here
    awk -v u="${st[13]}" -v s="${st[14]}" -v hz="$clk_tck" 'BEGIN { printf "%.2f", (u + s) / hz }'
}

# The run ends once kvm-exits is done: the rest of the job (kvm-ipi) measures nothing reported
# here, and under QEMU TCG it sometimes does not finish. NESTED_FULL_JOB=1 runs the whole job.
if [ "${NESTED_FULL_JOB:-0}" = 1 ]; then
    stop_marker="TURTLES: kvm ok"
else
    stop_marker="TURTLES: end kvm-exits"
fi

# stamp_lines START_US LOG TIMEOUT_PID: copies stdin to LOG (carriage returns removed) and
# writes "SECONDS CPU LINE" for every line to LOG.times: SECONDS counted from START_US, CPU the
# CPU seconds of the emulator (the child of `timeout` TIMEOUT_PID) so far, "-" if unknown.
stamp_lines() {
    local start=$1 log=$2 tpid=$3 line epid="" cpu
    : > "$log"
    : > "$log.times"
    while IFS= read -r line; do
        line=${line//$'\r'/}
        [ -n "$epid" ] || epid=$(pgrep -P "$tpid" | head -n 1)
        cpu=""
        [ -n "$epid" ] && cpu=$(cpu_seconds "$epid")
        printf '%s %s %s\n' "$(seconds_between "$start" "$(now_us)")" "${cpu:--}" "$line" >> "$log.times"
        printf '%s\n' "$line" >> "$log"
        # This script started the emulator (the only child of its `timeout`): end it.
        [[ "$line" == *"$stop_marker"* ]] && [ -n "$epid" ] && kill "$epid" 2>/dev/null
    done
}

# run_console LOG LIMIT COMMAND...: an emulator with its serial port on stdout.
run_console() {
    local log=$1 lim=$2 start pid fifo
    shift 2
    fifo=$(mktemp -u /tmp/turtles-nested-fifo.XXXXXX)
    mkfifo "$fifo"
    start=$(now_us)
    timeout -k 5 "$lim" "$@" < /dev/null > "$fifo" 2>&1 &
    pid=$!
    stamp_lines "$start" "$log" "$pid" < "$fifo"
    wait "$pid"
    RUN_STATUS=$?
    rm -f "$fifo"
}

# run_bochs LOG LIMIT: Bochs writes its serial port to a file (flushed per character), which is
# followed while Bochs runs. Bochs has no -kernel: GRUB on a rescue ISO boots the same kernel.
run_bochs() {
    local log=$1 lim=$2 dir start pid
    dir=$(mktemp -d /tmp/turtles-nested-bochs.XXXXXX)
    if ! bochs_guest_prepare "$dir" "$cache" "${append/console=ttyS0/console=ttyS0,115200}" \
        "$bochs_cpus"; then
        rm -rf "$dir"
        RUN_STATUS=1
        : > "$log"; : > "$log.times"
        return
    fi
    start=$(now_us)
    timeout -k 5 "$lim" bochs -q -f "$dir/bochsrc" -rc "$dir/debugger.rc" < /dev/null > "$dir/stdout.log" 2>&1 &
    pid=$!
    tail -n +1 -F --pid="$pid" "$dir/serial.txt" 2>/dev/null | stamp_lines "$start" "$log" "$pid"
    wait "$pid"
    RUN_STATUS=$?
    # A guest poweroff ends Bochs with "ACPI control: soft power off" and status 1.
    grep -q 'ACPI control: soft power off' "$dir/stdout.log" && RUN_STATUS=0
    rm -rf "$dir"
}

# at LOG PATTERN [FIELD] -> host seconds (FIELD 1, the default) or emulator CPU seconds
# (FIELD 2) at the first line matching the extended regexp PATTERN
at() {
    awk -v p="$2" -v f="${3:-1}" '{ t = $f; sub(/^[^ ]* [^ ]* /, "") } $0 ~ p && t != "-" { print t; exit }' "$1.times"
}
diff_s() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

declare -A res    # res[EMU,METRIC,RUN]
metrics=(hello cpuid exits_per_s fill sum mem job g_rate g_fill g_sum c_hello c_cpuid c_exits_per_s c_mem c_job)
emus=()
failed=0

# measure_run EMU RUN LOG: fills res[] from one run's serial log.
measure_run() {
    local emu=$1 i=$2 log=$3 b e f s ok n
    if grep -q '^TURTLES: FAIL' "$log" || ! grep -q "^$stop_marker" "$log" || ! grep -q '^kvm-exits: ok' "$log"; then
        echo "nested: $emu run $i: the kvm job failed (status $RUN_STATUS): $(grep -m1 '^TURTLES: FAIL' "$log" || echo "no \"$stop_marker\" or \"kvm-exits: ok\""), see $log" >&2
        failed=1
    fi
    res[$emu,hello,$i]=$(at "$log" 'L2: Hello from L2')
    b=$(at "$log" '^kvm-exits: mark cpuid-begin')
    e=$(at "$log" '^kvm-exits: mark cpuid-end')
    f=$(at "$log" '^kvm-exits: mark fill-end')
    s=$(at "$log" '^kvm-exits: mark sum-end')
    res[$emu,cpuid,$i]=$(diff_s "$b" "$e")
    res[$emu,fill,$i]=$(diff_s "$e" "$f")
    res[$emu,sum,$i]=$(diff_s "$f" "$s")
    res[$emu,mem,$i]=$(diff_s "$e" "$s")
    res[$emu,job,$i]=$(at "$log" "^$stop_marker")
    ok=$(grep -m1 '^kvm-exits: ok ' "$log")
    n=$(sed -n 's/.* cpuid=\([0-9]*\) .*/\1/p' <<< "$ok")
    res[$emu,exits_per_s,$i]=""
    if [ -n "$n" ] && [ -n "${res[$emu,cpuid,$i]}" ]; then
        res[$emu,exits_per_s,$i]=$(awk -v n="$n" -v s="${res[$emu,cpuid,$i]}" 'BEGIN { if (s > 0) printf "%.0f", n / s }')
    fi
    res[$emu,c_hello,$i]=$(at "$log" 'L2: Hello from L2' 2)
    res[$emu,c_cpuid,$i]=$(diff_s "$(at "$log" '^kvm-exits: mark cpuid-begin' 2)" "$(at "$log" '^kvm-exits: mark cpuid-end' 2)")
    res[$emu,c_mem,$i]=$(diff_s "$(at "$log" '^kvm-exits: mark cpuid-end' 2)" "$(at "$log" '^kvm-exits: mark sum-end' 2)")
    res[$emu,c_job,$i]=$(at "$log" "^$stop_marker" 2)
    res[$emu,c_exits_per_s,$i]=""
    if [ -n "$n" ] && [ -n "${res[$emu,c_cpuid,$i]}" ]; then
        res[$emu,c_exits_per_s,$i]=$(awk -v n="$n" -v s="${res[$emu,c_cpuid,$i]}" 'BEGIN { if (s > 0) printf "%.0f", n / s }')
    fi
    res[$emu,g_rate,$i]=$(sed -n 's/.* cpuid_rate=\([0-9]*\)\/s.*/\1/p' <<< "$ok")
    res[$emu,g_fill,$i]=$(sed -n 's/.* fill_s=\([0-9.]*\) .*/\1/p' <<< "$ok")
    res[$emu,g_sum,$i]=$(sed -n 's/.* sum_s=\([0-9.]*\) .*/\1/p' <<< "$ok")
    echo "nested: $emu run $i: L2 hello ${res[$emu,hello,$i]:-?}s, cpuid phase ${res[$emu,cpuid,$i]:-?}s, fill ${res[$emu,fill,$i]:-?}s, checksum ${res[$emu,sum,$i]:-?}s, end at ${res[$emu,job,$i]:-?}s (log $log)" >&2
}

median() {
    sort -n | awk 'NF { v[++n] = $1 } END { if (n == 0) exit; if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

# value EMU METRIC -> median over the runs, empty if no run produced it
value() {
    local i
    for i in $(seq 1 "$runs"); do echo "${res[$1,$2,$i]:-}"; done | median
}

bench_emu() {
    local emu=$1 i log
    emus+=("$emu")
    for i in $(seq 1 "$runs"); do
        log="$log_dir/nested-$emu-$i.log"
        echo "nested: $emu run $i of $runs (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        case "$emu" in
        turtles)
            run_console "$log" "$limit" "$turtles" -m 2G -smp 2 -nographic -no-reboot \
                -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" -append "$append" ;;
        qemu-tcg)
            run_console "$log" "$limit" "$qemu" -accel tcg -cpu max -m 2G -smp 2 -nographic -no-reboot \
                -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" -append "$append" ;;
        bochs)
            run_bochs "$log" $((limit * 2)) ;;
        esac
        measure_run "$emu" "$i" "$log"
    done
}

if [ "${NESTED_SKIP_TURTLES:-0}" = 1 ]; then
    echo "nested: turtles skipped (NESTED_SKIP_TURTLES=1)" >&2
elif [ -x "$turtles" ]; then
    bench_emu turtles
else
    echo "nested: $turtles missing (build first): turtles skipped" >&2
fi
if [ "${NESTED_SKIP_QEMU:-0}" = 1 ]; then
    echo "nested: QEMU skipped (NESTED_SKIP_QEMU=1)" >&2
elif command -v "$qemu" >/dev/null; then
    bench_emu qemu-tcg
else
    echo "nested: $qemu not found (apt-get install -y qemu-system-x86): QEMU skipped" >&2
fi
if [ "${NESTED_SKIP_BOCHS:-0}" = 1 ]; then
    echo "nested: Bochs skipped (NESTED_SKIP_BOCHS=1)" >&2
else
    missing=""
    for tool in bochs grub-mkrescue xorriso mformat; do
        command -v "$tool" >/dev/null || missing="$missing $tool"
    done
    if [ -n "$missing" ] || [ ! -f /usr/share/bochs/BIOS-bochs-latest ]; then
        echo "nested: Bochs skipped: missing${missing:- /usr/share/bochs/BIOS-bochs-latest} (apt-get install -y bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools)" >&2
    else
        bench_emu bochs
    fi
fi

[ ${#emus[@]} -gt 0 ] || { echo "nested: no emulator to run" >&2; exit 1; }

# row LABEL METRIC: one value per emulator, then turtles/QEMU and turtles/Bochs
row() {
    local label=$1 metric=$2 emu v t q b
    printf '  %-34s' "$label"
    for emu in turtles qemu-tcg bochs; do
        v=$(value "$emu" "$metric")
        printf ' %12s' "${v:--}"
    done
    t=$(value turtles "$metric")
    q=$(value qemu-tcg "$metric")
    b=$(value bochs "$metric")
    ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; }
    printf ' %10s %10s\n' "$(ratio "$t" "$q" || true)" "$(ratio "$t" "$b" || true)"
}

echo
echo "Nested KVM, kernel $(sed -n 's/^version=//p' "$cache/kernel.version"), turtles.test=kvm, median of $runs run(s), load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "turtles: kvm_intel, -m 2G -smp 2; qemu-tcg ($("$qemu" --version 2>/dev/null | head -n 1 | sed 's/.*version \([^ ]*\).*/\1/')): kvm_amd, -cpu max -m 2G -smp 2; bochs: kvm_intel, corei7_skylake_x x$bochs_cpus, 1 GiB"
echo
echo "HOST wall-clock (seconds unless noted):"
printf '  %-34s %12s %12s %12s %10s %10s\n' "" turtles qemu-tcg bochs "t/qemu" "t/bochs"
row "start -> L2: Hello from L2" hello
row "CPUID phase (100,000 L2 exits)" cpuid
row "L2 CPUID exits per host second *" exits_per_s
row "64 MiB fill" fill
row "64 MiB checksum" sum
row "64 MiB fill + checksum" mem
row "start -> $stop_marker" job
echo "  * a ratio below 1 there means turtles is slower"
echo
echo "HOST CPU seconds of the emulator process (all threads; 10 ms resolution):"
printf '  %-34s %12s %12s %12s %10s %10s\n' "" turtles qemu-tcg bochs "t/qemu" "t/bochs"
row "start -> L2: Hello from L2" c_hello
row "CPUID phase (100,000 L2 exits)" c_cpuid
row "L2 CPUID exits per CPU second *" c_exits_per_s
row "64 MiB fill + checksum" c_mem
row "start -> $stop_marker" c_job
echo
echo "guest-reported, each emulator's VIRTUAL time (not comparable across emulators):"
printf '  %-34s %12s %12s %12s\n' "" turtles qemu-tcg bochs
for m in g_rate:"CPUID exits per guest second" g_fill:"fill (guest s)" g_sum:"checksum (guest s)"; do
    printf '  %-34s' "${m#*:}"
    for emu in turtles qemu-tcg bochs; do
        v=$(value "$emu" "${m%%:*}")
        printf ' %12s' "${v:--}"
    done
    echo
done
exit $failed
