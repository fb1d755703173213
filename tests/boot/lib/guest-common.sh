# Shared by the platform tests that run the ROMs of tests/guests/platform/
# and the multiboot test kernel: where the build put them, and a runner that
# records turtles' exit status and output. Every run has a host-time limit.

turtles=$1
BUILD_DIR=$(cd "$(dirname "$turtles")" && pwd)
PLATFORM_ROMS=$BUILD_DIR/guests/platform
DEBUG_EXIT=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
rc=0

# run_turtles SECONDS LOGFILE args...: sets $status (124/137: timed out).
run_turtles() {
    local limit=$1 log=$2
    shift 2
    timeout --signal=KILL "$limit" "$turtles" "$@" </dev/null >"$log" 2>&1
    status=$?
}

fail() {
    echo "FAIL: $*"
    rc=1
}

# expect_status WANT WHAT
expect_status() {
    [ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1"
}

# expect_output LOGFILE REGEX WHAT
expect_output() {
    grep -Eq -- "$2" "$1" || { fail "$3: no line matching '$2'"; sed 's/^/    | /' "$1" | head -40; }
}

# expect_one_error WANT_STATUS REGEX ARGS...: turtles ARGS ends with status
# WANT_STATUS and exactly one line on stderr, "turtles: " then REGEX
# (extended; '.*' takes any message). The caller sets $out and $err, the
# files that receive turtles' stdout and stderr.
expect_one_error() {
    local want=$1 re=$2
    shift 2
    timeout --signal=KILL 20 "$turtles" "$@" </dev/null >"$out" 2>"$err"
    local status=$? lines
    lines=$(wc -l <"$err")
    if [ $status -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -Eq -- "^turtles: $re\$" "$err"; then
        fail "turtles $*: status $status (want $want), want one line 'turtles: $re', stderr:"
        sed 's/^/    | /' "$err" | head -5
    fi
}
