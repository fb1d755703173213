# Shared by the display tests (display-*.sh), after lib/boot-common.sh: a
# turtles run in the background with its monitor on a socket, checked
# step by step. `display_test_dir NAME` makes $dir (/tmp/turtles-NAME.*)
# and an exit trap that kills $pid (the background turtles, when the test
# set it) and removes $dir. `fail` records a failure in $rc and goes on;
# `mon CMD` sends a monitor command to $dir/mon.sock and prints the reply.
LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pid=
rc=0

display_cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$dir"
}

display_test_dir() {
    dir=$(mktemp -d "/tmp/turtles-$1.XXXXXX")
    trap display_cleanup EXIT
}

fail() { echo "FAIL: $*"; rc=1; }
mon() { python3 "$LIB/monitor.py" "$dir/mon.sock" "$@"; }
