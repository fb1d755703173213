# Shared by the networking tests: free host ports, a host HTTP server on
# 127.0.0.1, a pcap reader. Tests use IP addresses only (slirp's DNS
# forwarder would send queries off this machine).

need_python() {
    command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
}

# free_ports N: N TCP ports on 127.0.0.1 that nothing listens on right now.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start_http_server DIR PORT: python3 -m http.server on 127.0.0.1:PORT serving
# DIR; sets HTTP_PID and waits until it answers.
start_http_server() {
    python3 -m http.server --bind 127.0.0.1 --directory "$1" "$2" >/dev/null 2>&1 &
    HTTP_PID=$!
    for _ in $(seq 1 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 1)" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "FAIL: the host HTTP server did not start"
    return 1
}

# wait_for_line LOGFILE REGEX SECONDS PID: until the serial log has the line,
# the process PID ends, or time runs out.
wait_for_line() {
    local i
    for i in $(seq 1 $(( $3 * 10 ))); do
        grep -Eq -- "$2" "$1" && return 0
        kill -0 "$4" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
