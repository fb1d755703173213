#!/bin/bash
# What an attached, idle monitor costs the nested payload (issue 10: at most
# 1% more host instructions with no breakpoint, watchpoint or step pending).
# Payload: bench/guests/vmx_exits.S (L2 runs CPUIDs, each a VM exit that L1
# handles and resumes), cut to a fixed window of guest instructions by
# -turtles-max-insns so that every run does exactly the same guest work.
# Host instructions (I refs) are counted by cachegrind: steady on a loaded
# machine, unlike time. Runs:
#   none    no monitor
#   socket  -monitor unix:PATH,server,nowait with nobody connected
#   script  -turtles-monitor-script whose only command is `c`
#   client  the socket with a client connected that sends nothing
#   bench/monitor_cost.sh [TURTLES] [WINDOW_INSNS]   (default build/turtles, 600000)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
turtles=${1:-$repo/build/turtles}
window=${2:-600000}
rom=$(dirname "$turtles")/bench/vmx_exits.rom
[ -f "$rom" ] || { echo "monitor_cost: $rom missing (cmake --build build --target bench_guests)"; exit 1; }
command -v valgrind >/dev/null || { echo "monitor_cost: needs valgrind"; exit 1; }
tmp=$(mktemp -d /tmp/turtles-moncost.XXXXXX)
trap 'kill "$client" 2>/dev/null; rm -rf "$tmp"' EXIT
client=
echo c >"$tmp/script"

# irefs ARGS...: host instructions of one run over the window.
irefs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$turtles" \
        -bios "$rom" -m 64M -display none -serial null -no-reboot \
        -turtles-max-insns "$window" "$@" </dev/null 2>&1 |
        sed -n 's/.*I *refs: *//p' | tr -d ,
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f%%", (a - b) * 100 / b }'; }

none=$(irefs)
socket=$(irefs -monitor "unix:$tmp/a.sock,server,nowait")
script=$(irefs -turtles-monitor-script "$tmp/script")
# A client that connects and then only listens.
(python3 - "$tmp/b.sock" <<'EOF'
import socket, sys, time
for _ in range(600):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.05)
while s.recv(4096):
    pass
EOF
) &
client=$!
with_client=$(irefs -monitor "unix:$tmp/b.sock,server")
echo "payload: vmx_exits.rom, window of $window guest instructions (-turtles-max-insns)"
printf '%-32s %14s host instructions\n' "no monitor" "$none"
printf '%-32s %14s %s\n' "monitor socket, nobody connected" "$socket" "$(pct "$socket" "$none")"
printf '%-32s %14s %s\n' "monitor script (c)" "$script" "$(pct "$script" "$none")"
printf '%-32s %14s %s\n' "monitor socket, idle client" "$with_client" "$(pct "$with_client" "$none")"
