#!/bin/bash
# Runs the guest-image jobs under QEMU TCG, the reference turtles is measured against, checks
# their results and prints timings.
#
#   tests/images/run-qemu-reference.sh [JOB...]      JOB: boot kvm demo l2host (default: boot kvm)
#
# Environment: TURTLES_CACHE (image cache, as for build-images.sh), QEMU (the binary,
# default qemu-system-x86_64), LOG_DIR (serial logs, default $TURTLES_CACHE/logs).
# QEMU TCG has no VMX; `-cpu max` exposes AMD SVM instead, so the kvm job runs L2 guests
# through kvm_amd nested=1. Exits non-zero if any job fails.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
qemu=${QEMU:-qemu-system-x86_64}
log_dir=${LOG_DIR:-$cache/logs}
. "$here/timed-run.sh"

jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(boot kvm)

command -v "$qemu" >/dev/null || { echo "run-qemu-reference: $qemu not found (apt-get install -y qemu-system-x86)" >&2; exit 1; }
build_args=()
for j in "${jobs[@]}"; do
    [ "$j" = l2host ] && build_args=(--with-qemu)
done
"$here/build-images.sh" "${build_args[@]}" || exit 1
mkdir -p "$log_dir"

qemu_base=("$qemu" -accel tcg -cpu max -m 1G -smp 2 -nographic -no-reboot -kernel "$cache/vmlinuz")
failures=0
summary=()

fail() {
    echo "run-qemu-reference: $job: FAIL: $*" >&2
    failures=$((failures + 1))
    summary+=("$job: FAIL ($*)")
}

# The job's own verdict: its "ok" marker and no FAIL line.
check_markers() {
    local ok_marker=$1
    if grep -q '^TURTLES: FAIL' "$log"; then
        fail "$(grep -m1 '^TURTLES: FAIL' "$log" | cut -c10-)"
        return 1
    fi
    if ! grep -q "^TURTLES: $ok_marker\$" "$log"; then
        fail "no 'TURTLES: $ok_marker' line (status $RUN_STATUS), see $log"
        return 1
    fi
    return 0
}

for job in "${jobs[@]}"; do
    log="$log_dir/qemu-$job.log"
    echo "run-qemu-reference: $job (log: $log)"
    case "$job" in
    boot)
        timed_run "$log" "TURTLES: userspace up" 600 "${qemu_base[@]}" -initrd "$cache/initramfs.cpio.gz" \
            -append "console=ttyS0 panic=-1 turtles.test=boot turtles.cpus=2"
        check_markers "boot ok" || continue
        want=$(seq 1 600000 | sha256sum | cut -d' ' -f1)
        got=$(sed -n 's/^TURTLES: sha256 //p' "$log")
        [ "$got" = "$want" ] || { fail "guest sha256 '$got', expected $want"; continue; }
        summary+=("boot: ok; userspace up after ${TIME_TO_MARKER}s, powered off after ${TIME_TOTAL}s")
        ;;
    kvm)
        timed_run "$log" "TURTLES: userspace up" 1800 "${qemu_base[@]}" -initrd "$cache/initramfs.cpio.gz" \
            -append "console=ttyS0 panic=-1 turtles.test=kvm"
        check_markers "kvm ok" || continue
        summary+=("kvm: ok; whole job ${TIME_TOTAL}s")
        while IFS= read -r line; do
            summary+=("  $line")
        done < <(grep -E '^TURTLES: kvm module|^kvm-exits: |^kvm-ipi: [0-9]+ IPIs|^kvm-ipi: ok' "$log")
        ;;
    demo)
        timed_run "$log" "TURTLES: userspace up" 600 "${qemu_base[@]}" -initrd "$cache/initramfs.cpio.gz" \
            -append "console=ttyS0 panic=-1 quiet turtles.test=demo"
        check_markers "demo ok" || continue
        summary+=("demo: ok; ${TIME_TOTAL}s")
        ;;
    l2host)
        # L1 (QEMU TCG, kvm_amd) runs Debian's QEMU with -enable-kvm to boot the same kernel as L2.
        timed_run "$log" "TURTLES: l2host ok" 3600 "${qemu_base[@]}" -initrd "$cache/initramfs-l1host.cpio.gz" \
            -append "console=ttyS0 panic=-1 turtles.test=l2host"
        check_markers "l2host ok" || continue
        grep -q '^TURTLES: boot ok$' "$log" || { fail "L2 did not print 'TURTLES: boot ok'"; continue; }
        want=$(seq 1 600000 | sha256sum | cut -d' ' -f1)
        got=$(sed -n 's/^TURTLES: sha256 //p' "$log")
        [ "$got" = "$want" ] || { fail "L2 sha256 '$got', expected $want"; continue; }
        # L2's boot, from L1 starting QEMU to L2's userspace.
        l2_boot=$(awk '/ TURTLES: starting L2$/ { s = $1 } / TURTLES: userspace up$/ && s != "" { printf "%.3f", $1 - s; exit }' "$log.times")
        summary+=("l2host: ok; L2 userspace up ${l2_boot}s after L1 started QEMU; whole job ${TIME_TOTAL}s")
        ;;
    *)
        fail "unknown job"
        ;;
    esac
done

echo
echo "QEMU TCG reference ($("$qemu" --version | head -n 1), kernel $(sed -n 's/^package=//p' "$cache/kernel.version") $(sed -n 's/^version=//p' "$cache/kernel.version")):"
for line in "${summary[@]}"; do
    echo "  $line"
done
[ "$failures" -eq 0 ]
