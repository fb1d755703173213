#!/bin/bash
# All benchmarks, one after the other (never two at once: the machines have 2 cores):
# cpu_loop.sh, oracle_mix.sh, boot_time.sh, nested.sh, grub_iso_nested.sh,
# host_insns_per_guest_insn.sh. `make bench` calls it.
#   bench/run-all.sh [TURTLES]      (default build/turtles)
# Environment: passed through to the scripts (QEMU, TURTLES_CACHE, LOG_DIR, NESTED_SKIP_BOCHS,
# ...); BENCH_RUNS sets the runs of each (default: each script's own default).
# A failing benchmark is reported and the others still run; the exit status is non-zero if any
# failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
turtles=${1:-$here/../build/turtles}
turtles=$(cd "$(dirname "$turtles")" && pwd)/$(basename "$turtles")
runs=${BENCH_RUNS:-}
failed=()

section() {
    local name=$1
    shift
    echo
    echo "==== $name ($(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)) ===="
    "$@" || failed+=("$name")
}

section cpu_loop "$here/cpu_loop.sh" "$turtles" ${runs:+"$runs"}
section oracle_mix "$here/oracle_mix.sh" "$turtles" ${runs:+"$runs"}
section boot_time env TURTLES="$turtles" "$here/boot_time.sh" ${runs:+"$runs"}
section nested env TURTLES="$turtles" "$here/nested.sh" ${runs:+"$runs"}
section grub_iso_nested env TURTLES="$turtles" "$here/grub_iso_nested.sh" ${runs:+"$runs"}
section host_insns_per_guest_insn "$here/host_insns_per_guest_insn.sh" "$turtles"

echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "run-all: failed: ${failed[*]}"
    exit 1
fi
echo "run-all: all benchmarks ran"
