# Shared by the Linux boot tests: run turtles on the cached Debian kernel and
# initramfs (tests/images/build-images.sh), check the serial markers and the
# guest's dmesg warnings against tests/boot/dmesg-allowlist.txt.
# A test exits 0 on pass, 1 on failure, 77 (ctest: skipped) when the images
# are missing.

CACHE=${TURTLES_CACHE:-$HOME/.cache/turtles}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ALLOWLIST=$HERE/dmesg-allowlist.txt

need_images() {
    if [ ! -f "$CACHE/vmlinuz" ] || [ ! -f "$CACHE/initramfs.cpio.gz" ]; then
        echo "SKIP: guest images missing in $CACHE (run tests/images/build-images.sh)"
        exit 77
    fi
}

# boot_guest TURTLES TIMEOUT_SECONDS LOGFILE turtles-args... -- cmdline-extra
boot_guest() {
    local turtles=$1 limit=$2 log=$3
    shift 3
    local args=() extra=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    extra="$*"
    local start end status
    start=$(date +%s.%N)
    timeout --signal=TERM --kill-after=15 "$limit" "$turtles" "${args[@]}" -nographic -no-reboot \
        -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" \
        -append "console=ttyS0 panic=-1 $extra" </dev/null >"$log" 2>&1
    status=$?
    end=$(date +%s.%N)
    echo "turtles exited with status $status after $(echo "$end - $start" | bc 2>/dev/null || echo '?') s"
    return $status
}

# boot_media TURTLES TIMEOUT_SECONDS LOGFILE turtles-args...: a boot through
# the firmware from the media the args name (-cdrom ISO, -hda ...), headless;
# prints the exit status, the time and the log without the kernel's lines.
# Returns turtles' exit status.
boot_media() {
    local turtles=$1 limit=$2 log=$3 start status
    shift 3
    start=$(date +%s)
    timeout --signal=TERM --kill-after=15 "$limit" "$turtles" "$@" -nographic -no-reboot \
        </dev/null >"$log" 2>&1
    status=$?
    echo "turtles exited with status $status after $(( $(date +%s) - start )) s"
    tr -d '\033' < "$log" | grep -v '^\[ ' | head -60
    return $status
}

# check_dmesg LOGFILE: every warning line between the dmesg markers must
# match an allowlist pattern.
check_dmesg() {
    local log=$1 bad=0
    local lines
    lines=$(sed -n '/TURTLES: dmesg-begin/,/TURTLES: dmesg-end/p' "$log" | sed '1d;$d' | tr -d '\r')
    if ! grep -q "TURTLES: dmesg-end" "$log"; then
        echo "FAIL: no dmesg section in the serial log"
        return 1
    fi
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        local ok=0 pat
        while IFS= read -r pat; do
            pat=${pat%%	#*}
            [ -z "$pat" ] && continue
            case "$pat" in \#*) continue ;; esac
            if echo "$line" | grep -Eq -- "$pat"; then ok=1; break; fi
        done < "$ALLOWLIST"
        if [ $ok = 0 ]; then
            echo "FAIL: unexpected dmesg line: $line"
            bad=1
        fi
    done <<< "$lines"
    return $bad
}

expect_line() {
    local log=$1 pattern=$2
    if ! grep -Eq -- "$pattern" "$log"; then
        echo "FAIL: missing '$pattern' in the serial log"
        return 1
    fi
}

# run_l1host TURTLES TIMEOUT LOGFILE L2JOB: L1 boots the QEMU image
# (build-images.sh --with-qemu) and its /init starts Debian's QEMU with KVM,
# which boots the same kernel as L2 with turtles.test=L2JOB. Skips (77) when
# the image is missing. Sets `status` to turtles' exit status.
run_l1host() {
    local turtles=$1 limit=$2 log=$3 job=$4 start
    if [ ! -f "$CACHE/initramfs-l1host.cpio.gz" ]; then
        echo "SKIP: $CACHE/initramfs-l1host.cpio.gz missing (build-images.sh --with-qemu)"
        exit 77
    fi
    start=$(date +%s)
    timeout --signal=TERM --kill-after=15 "$limit" "$turtles" -m 2G -smp 2 -nographic -no-reboot \
        -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs-l1host.cpio.gz" \
        -append "console=ttyS0 panic=-1 turtles.test=l2host turtles.l2test=$job" \
        </dev/null >"$log" 2>&1
    status=$?
    echo "turtles exited with status $status after $(( $(date +%s) - start )) s"
    cat "$log"
}
