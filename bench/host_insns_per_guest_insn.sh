#!/bin/bash
# Host instructions per guest instruction of the interpreter, counted with
# cachegrind (exact and stable on a loaded machine; these VMs have no
# hardware counters) over a fixed window of the Linux boot: two runs stop
# with -turtles-max-insns at START and at START+LEN, and the difference of
# their host instruction counts is divided by LEN, so that process start-up
# and image loading cancel out.
#   bench/host_insns_per_guest_insn.sh [TURTLES] [START] [LEN]
# Defaults: build/turtles, 100 M, 300 M (the window then lies in the
# kernel's decompressor and early start-up; about 2 minutes on this machine).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
turtles=${1:-$repo/build/turtles}
start=${2:-100000000}
len=${3:-300000000}
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
[ -x "$turtles" ] || { echo "host_insns_per_guest_insn: $turtles missing (build first)"; exit 1; }
[ -f "$cache/vmlinuz" ] && [ -f "$cache/initramfs.cpio.gz" ] ||
    { echo "host_insns_per_guest_insn: guest images missing in $cache (tests/images/build-images.sh)"; exit 1; }
command -v valgrind >/dev/null || { echo "host_insns_per_guest_insn: valgrind missing"; exit 1; }

# host_insns N: host instructions of a boot that stops after N guest instructions.
host_insns() {
    local out
    out=$(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
          "$turtles" -m 1G -nographic -no-reboot \
          -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" \
          -append "console=ttyS0 panic=-1 turtles.test=boot" -turtles-max-insns "$1" \
          </dev/null 2>&1 >/dev/null | grep 'I *refs:')
    echo "$out" | sed 's/.*refs: *//; s/,//g'
}

s=$(date +%s)
a=$(host_insns "$start")
b=$(host_insns $((start + len)))
[ -n "$a" ] && [ -n "$b" ] || { echo "host_insns_per_guest_insn: cachegrind gave no count"; exit 1; }
echo "window: guest instructions $start..$((start + len))"
echo "host instructions: $a at the start, $b at the end"
echo "host instructions per guest instruction: $(echo "scale=2; ($b - $a) / $len" | bc)"
echo "(took $(( $(date +%s) - s )) s, load average $(cut -d' ' -f1-3 /proc/loadavg))"
