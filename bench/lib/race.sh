# Shared by the benchmarks that race turtles and QEMU TCG to lines of the
# serial output (cd_firmware_time.sh, grub_iso_nested.sh): the settings
# both take from the environment (TURTLES_CACHE, QEMU, TURTLES, LOG_DIR),
# the check of their inputs, the timed run and the median.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}   # QEMU_MODULE_DIR is passed on (an unpacked .deb needs it)
turtles=${TURTLES:-$repo/build/turtles}
log_dir=${LOG_DIR:-$cache/logs}
mkdir -p "$log_dir"
. "$repo/tests/images/timed-run.sh"   # now_us, seconds_between

# need_race_inputs NAME ISO: the ISO, QEMU and turtles are there, or a
# line naming what is missing and exit status 1.
need_race_inputs() {
    [ -f "$2" ] || { echo "$1: $2 missing (tests/images/build-isos.sh)" >&2; exit 1; }
    command -v "$qemu" >/dev/null || { echo "$1: $qemu missing (make bench-deps)" >&2; exit 1; }
    [ -x "$turtles" ] || { echo "$1: $turtles missing (make build)" >&2; exit 1; }
}

# time_to_markers LOG LIMIT POLL COMMAND...: runs COMMAND (output into LOG)
# and prints the seconds from its start to the first line matching each of
# the patterns in the array `markers`, in order, '-' for one never seen; or
# "fail" when the last is not seen within LIMIT seconds. The emulator is
# stopped (SIGTERM, then SIGKILL) at the last marker. LOG is polled every
# POLL seconds.
time_to_markers() {
    local log=$1 limit=$2 poll=$3 start pid i last=$((${#markers[@]} - 1))
    local -a at=()
    shift 3
    : > "$log"
    start=$(now_us)
    "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        for ((i = 0; i < last; i++)); do
            [ -z "${at[i]:-}" ] && grep -aq "${markers[i]}" "$log" && at[i]=$(seconds_between "$start" "$(now_us)")
        done
        if grep -aq "${markers[last]}" "$log"; then
            at[last]=$(seconds_between "$start" "$(now_us)")
            break
        fi
        [ $(( ($(now_us) - start) / 1000000 )) -ge "$limit" ] && break
        sleep "$poll"
    done
    [ -z "${at[last]:-}" ] && grep -aq "${markers[last]}" "$log" && at[last]=$(seconds_between "$start" "$(now_us)")
    kill -TERM "$pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -z "${at[last]:-}" ]; then
        echo fail
        return
    fi
    local out=()
    for ((i = 0; i <= last; i++)); do out+=("${at[i]:--}"); done
    echo "${out[*]}"
}

# median: of the numbers on stdin, one a line.
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
