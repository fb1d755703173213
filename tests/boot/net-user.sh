#!/bin/bash
# User-mode networking (libslirp) with both NICs, driven by the Linux test
# guest's net job (tests/images/init.sh):
#  1. -nic user,model=e1000 with two host forwards: the guest loads e1000,
#     gets 10.0.2.15 by DHCP, fetches a page from an HTTP server this script
#     runs on 127.0.0.1 (through 10.0.2.2) and prints its digest; then it
#     serves a page with busybox httpd, which this script fetches through
#     the forwarded host port, and waits for a line on the second forward.
#  2. -netdev user + -device virtio-net-pci + -object filter-dump: the same
#     fetch over virtio_net; the pcap holds the DHCP exchange and the HTTP
#     connection, with correct IPv4 and TCP checksums in both directions.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
. "$(dirname "$0")/lib/net-common.sh"
turtles=$1
need_images
need_python
dir=$(mktemp -d /tmp/turtles-net.XXXXXX)
mkdir "$dir/www"
seq 1 100000 > "$dir/www/page"
want=$(sha256sum "$dir/www/page" | cut -d' ' -f1)
bytes=$(wc -c < "$dir/www/page")
serve_want=$(seq 1 50000 | sha256sum | cut -d' ' -f1)
read -r http_port fwd_port bye_port <<< "$(free_ports 3)"
start_http_server "$dir/www" "$http_port" || exit 1
cleanup() { kill "$HTTP_PID" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
rc=0
url=http://10.0.2.2:$http_port/page

# --- 1. e1000, DHCP, fetch, host forwards -------------------------------------------------
log=$dir/e1000.log
boot_guest "$turtles" 600 "$log" -m 256M \
    -nic user,model=e1000,hostfwd=tcp:127.0.0.1:$fwd_port-:8080,hostfwd=tcp:127.0.0.1:$bye_port-:8081 \
    -- turtles.test=net turtles.nic=e1000 turtles.url=$url turtles.serve=8080 &
guest=$!
if wait_for_line "$log" "TURTLES: serving 8080" 600 "$guest"; then
    got=$(python3 -c "
import hashlib, urllib.request
print(hashlib.sha256(urllib.request.urlopen('http://127.0.0.1:$fwd_port/index.html', timeout=120).read()).hexdigest())" 2>&1)
    [ "$got" = "$serve_want" ] || { echo "FAIL: the page through host port $fwd_port: $got"; rc=1; }
    python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $bye_port), 60)
s.sendall(b'bye\n')
s.close()" || { echo "FAIL: cannot reach the guest's nc through host port $bye_port"; rc=1; }
else
    echo "FAIL: the guest never served on 8080"
    rc=1
fi
wait "$guest"
status=$?
grep -E "^TURTLES|^turtles" "$log"
[ $status -eq 0 ] || { echo "FAIL: e1000 run: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: nic eth0 52:54:00:12:34:56 e1000" || rc=1
expect_line "$log" "TURTLES: lease 10.0.2.15 router 10.0.2.2 dns 10.0.2.3" || rc=1
expect_line "$log" "TURTLES: page bytes $bytes sha256 $want" || rc=1
expect_line "$log" "TURTLES: serving 8080 sha256 $serve_want" || rc=1
expect_line "$log" "TURTLES: host said bye" || rc=1
expect_line "$log" "TURTLES: net ok" || rc=1
check_dmesg "$log" || rc=1

# --- 2. virtio-net, with a pcap capture ---------------------------------------------------
log=$dir/virtio.log
pcap=$dir/virtio.pcap
boot_guest "$turtles" 600 "$log" -m 256M -netdev user,id=n0 \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:ab:cd:ef \
    -object filter-dump,id=f0,netdev=n0,file="$pcap" \
    -- turtles.test=net turtles.nic=virtio turtles.url=$url
status=$?
grep -E "^TURTLES|^turtles" "$log"
[ $status -eq 0 ] || { echo "FAIL: virtio run: exit status $status"; rc=1; }
expect_line "$log" "TURTLES: nic eth0 52:54:00:ab:cd:ef virtio_net" || rc=1
expect_line "$log" "TURTLES: lease 10.0.2.15 router 10.0.2.2 dns 10.0.2.3" || rc=1
expect_line "$log" "TURTLES: page bytes $bytes sha256 $want" || rc=1
expect_line "$log" "TURTLES: net ok" || rc=1
check_dmesg "$log" || rc=1
python3 "$(dirname "$0")/lib/pcap_check.py" "$pcap" "$http_port" 52:54:00:ab:cd:ef || rc=1

[ $rc -eq 0 ] && echo "PASS: DHCP, HTTP fetch and host forwards over e1000; virtio-net with a clean pcap"
exit $rc
