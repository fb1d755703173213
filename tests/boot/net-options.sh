#!/bin/bash
# The networking options' bad input: a malformed -netdev/-nic/hostfwd, an
# unknown model or a dangling netdev= end with one line and status 2; a
# host-forward port that is already in use ends with one line and status 1
# before the guest runs (no serial output); a good command line with a NIC
# and a pcap capture runs a guest to its isa-debug-exit as before and the
# capture is a valid, empty pcap file.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
. "$(dirname "$0")/lib/net-common.sh"
need_python
rom=$BUILD_DIR/guests/hello.rom
dir=$(mktemp -d /tmp/turtles-netopt.XXXXXX)
out=$dir/out err=$dir/err

bad=(
    "-netdev user" "-netdev tap,id=t0" "-netdev user,id=" "-netdev user,id=a,bogus=1"
    "-netdev user,id=a,net=10.0.2.0/33" "-netdev user,id=a,net=300.0.2.0/24"
    "-netdev user,id=a,host=10.0.3.2" "-netdev user,id=a,dns=10.0.2.255"
    "-netdev user,id=a,dhcpstart=10.0.2.2" "-netdev user,id=a,restrict=maybe"
    "-netdev user,id=a -netdev user,id=a"
    "-netdev user,id=a,hostfwd=tcp:127.0.0.1:x-:22" "-netdev user,id=a,hostfwd=tcp::70000-:22"
    "-netdev user,id=a,hostfwd=sctp::2222-:22" "-netdev user,id=a,hostfwd=tcp::2222"
    "-netdev user,id=a,hostfwd=tcp::2222-:0" "-netdev user,id=a,hostfwd=tcp::2222-10.0.3.1:22"
    "-nic tap" "-nic user,model=rtl8139" "-nic user,model=" "-nic user,mac=01:00:00:00:00:01"
    "-nic user,mac=52:54:00:12:34" "-nic user,hostfwd=tcp::1-:"
    "-device e1000" "-device e1000,netdev=nosuch" "-device virtio-net-pci,netdev=n0"
    "-netdev user,id=n0 -device e1000,netdev=n0,bogus=1"
    "-netdev user,id=n0 -device e1000,netdev=n0 -device virtio-net-pci,netdev=n0"
    "-netdev user,id=n0 -device e1000,netdev=n0,mac=zz:54:00:12:34:56"
    "-object filter-dump,id=f,netdev=n0,file=x" "-object memory-backend-ram,id=m"
    "-netdev user,id=n0 -object filter-dump,id=f,netdev=n0"
)
for args in "${bad[@]}"; do
    # shellcheck disable=SC2086 # word splitting is the point
    expect_one_error 2 '.*' -bios "$rom" -nographic $args
done

# A host port in use: status 1, one line, nothing started.
read -r port <<< "$(free_ports 1)"
python3 -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', $port)); s.listen(1)
sys.stdout.write('ready\n'); sys.stdout.flush(); time.sleep(60)" > "$dir/listener" &
listener=$!
for _ in $(seq 1 50); do grep -q ready "$dir/listener" && break; sleep 0.1; done
expect_one_error 1 '.*' -bios "$rom" -nographic "${DEBUG_EXIT[@]}" -nic user,hostfwd=tcp:127.0.0.1:$port-:22
grep -q "$port" "$err" || fail "the port-in-use line does not name port $port: $(cat "$err")"
[ -s "$out" ] && fail "the guest ran although the host port was in use"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null

# Good command lines: the bare-metal guest runs to its exit with NICs and a capture.
run_turtles 30 "$dir/good.log" -bios "$rom" -nographic "${DEBUG_EXIT[@]}" \
    -netdev user,id=n0,net=192.168.76.0/24,hostfwd=tcp:127.0.0.1:$port-:22 \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01 \
    -nic user,model=e1000 -nic none -object filter-dump,id=f0,netdev=n0,file="$dir/cap.pcap"
expect_status 1 "hello.rom with two NICs and a capture"
python3 -c "
import struct, sys
d = open('$dir/cap.pcap', 'rb').read()
sys.exit(0 if len(d) == 24 and struct.unpack('<IHHiIII', d) == (0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) else 1)" ||
    fail "the capture of a guest that sent nothing is not an empty pcap file"

rm -rf "$dir"
[ $rc -eq 0 ] && echo "PASS: bad networking options refused (status 2), a busy host port refused (status 1)"
exit $rc
