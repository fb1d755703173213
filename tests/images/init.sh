#!/bin/sh
# /init of the turtles test initramfs (busybox sh). The kernel command line chooses the job:
#   turtles.test=boot|kvm|demo|shell|l2host   (default: boot)
#   turtles.cpus=N                             (boot: expected number of online CPUs)
#   turtles.cpuid=N turtles.mib=M turtles.ipis=K   (kvm: sizes of kvm-exits and kvm-ipi runs;
#                                               defaults 100000, 64, 1000)
#   turtles.l2test=JOB                         (l2host: the job of the L2 guest, default boot)
#   turtles.test=net turtles.nic=e1000|virtio turtles.url=URL [turtles.serve=PORT]
#                                              (net: DHCP from the user network, fetch URL and
#                                               print its digest; serve: then run httpd on PORT
#                                               until the host sends a line to PORT+1)
#   turtles.test=disk turtles.disk=write|read turtles.diskif=ide|virtio
#                                              (disk: an ext4 file system on the first disk:
#                                               write a file and sync, or read it back)
# Every line meant for a test harness starts with "TURTLES: "; a failed job prints
# "TURTLES: FAIL <reason>" and the machine powers off either way, so that an emulator run with
# -no-reboot always ends.

/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null || /bin/busybox mount -t tmpfs tmpfs /dev
# The image normally carries the applet links; recreate them if the build machine could not.
[ -x /bin/ls ] || /bin/busybox --install -s
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root

say() { echo "TURTLES: $*"; }

finish() {
    # Let the console drain before the machine goes away.
    sync
    sleep 0.2 2>/dev/null
    poweroff -f
    # poweroff -f only returns if the platform cannot power off; ending init panics the kernel,
    # which panic=-1 turns into a reset that -no-reboot turns into an exit.
    exit 1
}

fail() {
    say "FAIL $*"
    finish
}

cmdline_value() {
    for word in $(cat /proc/cmdline); do
        case "$word" in
        "$1"=*) echo "${word#*=}"; return 0 ;;
        esac
    done
    return 1
}

KREL=$(uname -r)
MODDEP=/lib/modules/$KREL/turtles.dep

# load_module NAME [PARAM=VALUE...]: insmod NAME after its dependencies, as listed in the
# image's turtles.dep ("name path dep..."), which the image builder wrote.
load_module() {
    local name line path deps dep
    name=$(echo "$1" | tr - _)
    shift
    [ -e "/sys/module/$name/initstate" ] && return 0
    line=$(grep "^$name " "$MODDEP") || {
        # Built-in modules have no file (and a /sys/module entry only if they have parameters).
        sed 's,.*/,,; s,\.ko$,,' "/lib/modules/$KREL/modules.builtin" 2>/dev/null | tr - _ |
            grep -qx "$name" && return 0
        say "FAIL module $name is not in the image"
        return 1
    }
    set -- $line "$@"
    path=$2
    shift 2
    deps=""
    while [ $# -gt 0 ] && [ "${1#*=}" = "$1" ]; do
        deps="$deps $1"
        shift
    done
    for dep in $deps; do
        load_module "$dep" || return 1
    done
    insmod "/lib/modules/$KREL/$path" "$@" || {
        say "FAIL insmod $name $*"
        return 1
    }
}

# Messages at warning level or worse, as "<level>text" (busybox dmesg has no -l).
dmesg_warnings() {
    dmesg -r | awk -v from="${1:-0}" '
        NR > from {
            if (match($0, /^<[0-9]+>/)) {
                level = substr($0, 2, RLENGTH - 2) % 8
                if (level <= 4) print
            }
        }'
}

print_warnings() {
    say "dmesg-begin"
    dmesg_warnings "${1:-0}"
    say "dmesg-end"
}

# Loads kvm and the vendor module for this CPU, with nesting on. Sets KVM_VENDOR_MODULE.
load_kvm() {
    load_module irqbypass || return 1
    load_module kvm || return 1
    if grep -qw vmx /proc/cpuinfo; then
        KVM_VENDOR_MODULE=kvm_intel
        load_module kvm_intel nested=1 ept=1 vpid=1 unrestricted_guest=1 || return 1
    elif grep -qw svm /proc/cpuinfo; then
        KVM_VENDOR_MODULE=kvm_amd
        load_module kvm_amd nested=1 || return 1
    else
        say "FAIL the CPU has neither vmx nor svm"
        return 1
    fi
    [ -c /dev/kvm ] || { say "FAIL /dev/kvm missing after loading $KVM_VENDOR_MODULE"; return 1; }
}

# run_program NAME [ARGS]: runs NAME between begin/end markers; fails the job if it fails.
run_program() {
    local prog rc
    prog=$1
    say "begin $prog"
    "$@"
    rc=$?
    say "end $prog rc=$rc"
    [ $rc -eq 0 ] || fail "$prog exited with status $rc"
}

job_boot() {
    say "userspace up"
    say "kernel $KREL"
    local want have t0 t1 u0 u1 digest
    have=$(grep -c '^processor' /proc/cpuinfo)
    want=$(cmdline_value turtles.cpus) || want=""
    say "cpus $have"
    if [ -n "$want" ] && [ "$have" != "$want" ]; then
        fail "cpus: $have online, turtles.cpus=$want"
    fi

    # Time must advance by about one second over `sleep 1`, on both clocks the guest has.
    t0=$(date +%s)
    u0=$(cut -d' ' -f1 /proc/uptime)
    sleep 1
    t1=$(date +%s)
    u1=$(cut -d' ' -f1 /proc/uptime)
    say "time uptime $u0 -> $u1, date $t0 -> $t1"
    awk -v a="$u0" -v b="$u1" 'BEGIN { d = b - a; exit !(d >= 0.9 && d < 30) }' ||
        fail "uptime advanced by $u0 -> $u1 over sleep 1"
    [ "$t1" -gt "$t0" ] || fail "date +%s did not advance over sleep 1 ($t0 -> $t1)"

    # A deterministic ~4 MB pattern; the host computes the same with `seq 1 600000 | sha256sum`.
    digest=$(seq 1 600000 | sha256sum | cut -d' ' -f1)
    say "sha256 $digest"

    print_warnings 0
    say "boot ok"
    finish
}

job_kvm() {
    local before p
    before=$(dmesg -r | wc -l)
    load_kvm || fail "loading kvm"
    say "kvm module $KVM_VENDOR_MODULE"
    for p in /sys/module/$KVM_VENDOR_MODULE/parameters/*; do
        say "param $(basename "$p")=$(cat "$p" 2>/dev/null)"
    done
    run_program kvm-hello
    run_program kvm-exits "$(cmdline_value turtles.cpuid || echo 100000)" "$(cmdline_value turtles.mib || echo 64)"
    run_program kvm-ipi "$(cmdline_value turtles.ipis || echo 1000)"
    print_warnings "$before"
    say "kvm ok"
    finish
}

job_demo() {
    echo
    echo "=== L1: Linux $KREL running inside the emulator ==="
    echo "L1: CPU: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "L1: $(grep -c '^processor' /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
    load_kvm || fail "loading kvm"
    echo "L1: $KVM_VENDOR_MODULE loaded (nested=$(cat /sys/module/$KVM_VENDOR_MODULE/parameters/nested))"
    echo "L1: starting an L2 guest through /dev/kvm"
    kvm-hello || fail "kvm-hello failed"
    echo "=== demo done ==="
    say "demo ok"
    finish
}

job_shell() {
    say "shell (exit to power off)"
    setsid cttyhack sh -l
    finish
}

# The first disk's device node, once its driver has found it (up to 20 s).
wait_disk() {
    local dev=$1 i=0
    while [ ! -b "$dev" ] && [ $i -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -b "$dev" ]
}

# disk job: the host made an ext4 image with mke2fs -d holding /hello.txt; this job checks it,
# writes /turtles/data.txt (a known pattern), syncs and unmounts (write), or reads the file back
# (read). The host checks the digests and runs e2fsck -fn on the image afterwards.
job_disk() {
    local mode iface dev digest
    mode=$(cmdline_value turtles.disk) || mode=write
    iface=$(cmdline_value turtles.diskif) || iface=ide
    load_module crc32c_generic || fail "loading crc32c_generic"
    load_module ext4 || fail "loading ext4"
    case "$iface" in
    ide) load_module ata_piix && load_module sd_mod || fail "loading ata_piix/sd_mod"; dev=/dev/sda ;;
    virtio) load_module virtio_pci && load_module virtio_blk || fail "loading virtio_blk"; dev=/dev/vda ;;
    *) fail "unknown turtles.diskif=$iface" ;;
    esac
    wait_disk "$dev" || fail "no $dev"
    say "disk $dev $(cat /sys/block/${dev#/dev/}/size) sectors"
    mkdir -p /mnt
    mount -t ext4 "$dev" /mnt || fail "mount $dev"
    say "hello $(cat /mnt/hello.txt)"
    case "$mode" in
    write)
        mkdir -p /mnt/turtles
        seq 1 200000 > /mnt/turtles/data.txt || fail "writing data.txt"
        sync
        digest=$(sha256sum /mnt/turtles/data.txt | cut -d' ' -f1)
        say "wrote sha256 $digest"
        ;;
    read)
        [ -f /mnt/turtles/data.txt ] || fail "no data.txt on the disk"
        digest=$(sha256sum /mnt/turtles/data.txt | cut -d' ' -f1)
        say "read sha256 $digest"
        ;;
    *) fail "unknown turtles.disk=$mode" ;;
    esac
    umount /mnt || fail "umount"
    say "disk ok"
    finish
}

# net job: the NIC's driver, a DHCP lease (busybox udhcpc), then an HTTP fetch from the host side
# (the test gives the URL, an IP address: no DNS) whose digest the host checks. With
# turtles.serve=PORT the guest then serves /www on PORT (busybox httpd) for the host's forwarded
# port, until the host connects to PORT+1 and sends a line.
job_net() {
    local nic url serve i page
    nic=$(cmdline_value turtles.nic) || nic=e1000
    case "$nic" in
    e1000) load_module e1000 || fail "loading e1000" ;;
    virtio) { load_module virtio_pci && load_module virtio_net; } || fail "loading virtio_net" ;;
    *) fail "unknown turtles.nic=$nic" ;;
    esac
    i=0
    while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -e /sys/class/net/eth0 ] || fail "no eth0"
    say "nic eth0 $(cat /sys/class/net/eth0/address) $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
    ifconfig lo 127.0.0.1 up
    ifconfig eth0 up || fail "eth0 up"
    cat > /tmp/udhcpc.sh <<'SCRIPT'
#!/bin/sh
case "$1" in
deconfig) ifconfig "$interface" 0.0.0.0 ;;
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}"
    for r in $router; do route add default gw "$r" dev "$interface"; break; done
    echo "TURTLES: lease $ip router $router dns $dns"
    ;;
esac
exit 0
SCRIPT
    chmod 755 /tmp/udhcpc.sh
    udhcpc -i eth0 -s /tmp/udhcpc.sh -f -q -n -t 10 -T 2 2>/dev/null || fail "udhcpc: no lease"
    url=$(cmdline_value turtles.url) || fail "turtles.url= missing"
    # (This busybox's wget crashes with -q or -T: progress output goes to /dev/null instead.)
    wget -O /tmp/page "$url" 2>/dev/null || fail "wget $url"
    say "page bytes $(wc -c < /tmp/page) sha256 $(sha256sum /tmp/page | cut -d' ' -f1)"
    if serve=$(cmdline_value turtles.serve); then
        mkdir -p /www
        seq 1 50000 > /www/index.html
        httpd -p "$serve" -h /www || fail "httpd"
        say "serving $serve sha256 $(sha256sum /www/index.html | cut -d' ' -f1)"
        nc -l -p $((serve + 1)) > /tmp/bye || fail "nc -l"
        say "host said $(cat /tmp/bye)"
    fi
    print_warnings 0
    say "net ok"
    finish
}

# L1 host job of initramfs-l1host.cpio.gz: runs Debian's QEMU with KVM to boot the same kernel
# as an L2 guest, whose initramfs is the plain test image.
job_l2host() {
    local q rc
    load_kvm || fail "loading kvm"
    say "kvm module $KVM_VENDOR_MODULE"
    q=/opt/qemu
    [ -x $q/bin/qemu-system-x86_64 ] || fail "no QEMU in this image (build it with --with-qemu)"
    say "starting L2"
    $q/lib/ld-linux-x86-64.so.2 --library-path $q/lib $q/bin/qemu-system-x86_64 -L $q/share \
        -enable-kvm -cpu host -m 256 -smp 2 -nodefaults -nographic -serial stdio -no-reboot \
        -kernel /guest/vmlinuz -initrd /guest/initramfs.cpio.gz \
        -append "console=ttyS0 panic=-1 turtles.test=$L2_TEST turtles.cpus=2"
    rc=$?
    say "L2 exited rc=$rc"
    [ $rc -eq 0 ] || fail "qemu-system-x86_64 (L2) exited with status $rc"
    say "l2host ok"
    finish
}

L2_TEST=$(cmdline_value turtles.l2test) || L2_TEST=boot
test_name=$(cmdline_value turtles.test) || test_name=boot
say "init: job $test_name"
case "$test_name" in
boot) job_boot ;;
kvm) job_kvm ;;
demo) job_demo ;;
shell) job_shell ;;
l2host) job_l2host ;;
disk) job_disk ;;
net) job_net ;;
*) fail "unknown turtles.test=$test_name" ;;
esac
fail "job $test_name returned"
