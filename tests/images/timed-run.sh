# Sourced by bash scripts (run-qemu-reference.sh, bench/boot_time.sh): runs an emulator with a
# time limit, keeps its serial log and measures when a marker line appeared.

# Microseconds since the epoch, without forking (bash 5).
now_us() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "$t"
}

# seconds_between START_US END_US -> "12.345"
seconds_between() {
    local d=$(($2 - $1))
    printf '%d.%03d' $((d / 1000000)) $(((d % 1000000) / 1000))
}

# timed_run LOG MARKER TIMEOUT_S COMMAND...
# Runs COMMAND (stdin from /dev/null, stdout and stderr to LOG, carriage returns removed) and
# sets TIME_TO_MARKER (seconds until the first line containing MARKER, empty if none),
# TIME_TOTAL (seconds until COMMAND ended) and RUN_STATUS (COMMAND's exit status; 124 when the
# time limit killed it). LOG.times gets "SECONDS LINE" for every "TURTLES: " line.
timed_run() {
    local log=$1 marker=$2 limit=$3 start line
    shift 3
    : > "$log"
    : > "$log.times"
    TIME_TO_MARKER=""
    RUN_STATUS=""
    start=$(now_us)
    while IFS= read -r line; do
        line=${line//$'\r'/}
        case "$line" in
        __timed_run_status=*)
            RUN_STATUS=${line#__timed_run_status=}
            continue
            ;;
        esac
        if [ -z "$TIME_TO_MARKER" ] && [[ "$line" == *"$marker"* ]]; then
            TIME_TO_MARKER=$(seconds_between "$start" "$(now_us)")
        fi
        case "$line" in
        TURTLES:*) echo "$(seconds_between "$start" "$(now_us)") $line" >> "$log.times" ;;
        esac
        printf '%s\n' "$line" >> "$log"
    done < <(timeout --foreground -k 5 "$limit" "$@" < /dev/null 2>&1; rc=$?; echo; echo "__timed_run_status=$rc")
    TIME_TOTAL=$(seconds_between "$start" "$(now_us)")
}
