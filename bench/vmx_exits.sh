#!/bin/bash
# VM exit/entry round trips (bench/guests/vmx_exits.S: L2 runs 100,000
# CPUIDs, each handled by L1 and resumed) in host instructions, counted by
# cachegrind (steady on a loaded machine), without and with an idle
# monitor attached (a script whose only command is `c`): the cost of the
# exit statistics and the `vmcs diff` copy (frontend/monitor_views*.c).
#   bench/vmx_exits.sh [TURTLES] [BASELINE_TURTLES]
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
turtles=${1:-$repo/build/turtles}
base=${2:-}
rom=$(dirname "$turtles")/bench/vmx_exits.rom
[ -f "$rom" ] || { echo "vmx_exits: $rom missing (build first)"; exit 1; }
command -v valgrind >/dev/null || { echo "vmx_exits: needs valgrind"; exit 1; }
tmp=$(mktemp -d /tmp/turtles-vmx-exits.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo c >"$tmp/script"

irefs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" -bios "$rom" \
        -m 64M -nographic -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot 2>&1 |
        sed -n 's/.*I *refs: *//p' | tr -d ,
}
n=$(irefs "$turtles")
a=$(irefs "$turtles" -turtles-monitor-script "$tmp/script")
echo "turtles:                 $n host instructions ($((n / 100000)) per round trip)"
echo "turtles, monitor idle:   $a (+$(((a - n) / 100000)) per round trip)"
if [ -n "$base" ]; then
    b=$(irefs "$base")
    echo "baseline $base: $b (turtles adds $(((n - b) / 100000)) per round trip)"
fi
