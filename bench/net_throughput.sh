#!/bin/bash
# Network throughput, host to guest through user-mode networking (libslirp in both):
# the Linux test guest (tests/images/init.sh, job net) gets a DHCP lease, then fetches a 64 MiB
# file with busybox wget from a python3 http.server on 127.0.0.1 (through 10.0.2.2), on an e1000
# (or virtio-net: NIC=virtio). turtles and QEMU TCG boot the same kernel and initramfs with the
# same command line; the figure is the host time from the "lease" line to the "page" line, and
# the ratio turtles / QEMU.
#
#   bench/net_throughput.sh            Environment: NIC=e1000|virtio, MIB (default 64),
#                                      TURTLES_CACHE, QEMU, TURTLES
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}
turtles=${TURTLES:-$repo/build/turtles}
nic=${NIC:-e1000}
mib=${MIB:-64}
. "$repo/tests/images/timed-run.sh"
. "$repo/tests/boot/lib/net-common.sh"
need_python
"$repo/tests/images/build-images.sh" || exit 1
dir=$(mktemp -d /tmp/turtles-netbench.XXXXXX)
mkdir "$dir/www"
head -c $((mib << 20)) /dev/urandom > "$dir/www/blob"
want=$(sha256sum "$dir/www/blob" | cut -d' ' -f1)
read -r port <<< "$(free_ports 1)"
start_http_server "$dir/www" "$port" || exit 1
trap 'kill $HTTP_PID 2>/dev/null; rm -rf "$dir"' EXIT
model=e1000
[ "$nic" = virtio ] && model=virtio-net-pci

# seconds between the lease and the page lines of LOG.times
transfer_time() {
    awk '/TURTLES: lease/ { a = $1 } /TURTLES: page bytes/ { b = $1 } END { if (a == "" || b == "") exit 1; printf "%.3f\n", b - a }' "$1.times"
}

declare -A secs
for emu in turtles qemu; do
    if [ $emu = turtles ]; then cmd=("$turtles"); else cmd=("$qemu" -accel tcg -nodefaults -serial stdio); fi
    log=$dir/$emu.log
    timed_run "$log" "TURTLES: net ok" 1800 "${cmd[@]}" -m 512M -nographic -no-reboot \
        -nic user,model=$model -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" \
        -append "console=ttyS0 panic=-1 turtles.test=net turtles.nic=$nic turtles.url=http://10.0.2.2:$port/blob"
    if ! grep -q "TURTLES: page bytes $((mib << 20)) sha256 $want" "$log"; then
        echo "$emu: the transfer failed (status $RUN_STATUS)"; grep TURTLES "$log"; exit 1
    fi
    secs[$emu]=$(transfer_time "$log")
    echo "$emu: $mib MiB in ${secs[$emu]} s ($(awk -v m="$mib" -v s="${secs[$emu]}" 'BEGIN { printf "%.2f", m / s }') MiB/s)"
done
echo "ratio turtles/QEMU TCG (time): $(awk -v a="${secs[turtles]}" -v b="${secs[qemu]}" 'BEGIN { printf "%.2f", a / b }')"
