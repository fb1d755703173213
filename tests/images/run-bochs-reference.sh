#!/bin/bash
# Runs a guest-image job under Bochs with its VMX model: the Intel reference, where the guest's
# kvm_intel (not kvm_amd as under QEMU TCG) runs the L2 test programs.
#
#   tests/images/run-bochs-reference.sh [JOB]      JOB: kvm (default), boot, demo
#
# Bochs has no -kernel: the kernel and initramfs go on a GRUB rescue ISO with a serial console.
# Needs: bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools.
# Environment: TURTLES_CACHE, LOG_DIR (default $TURTLES_CACHE/logs), BOCHS_CPUS (default 1).
# Times printed by the guest under Bochs are in Bochs' virtual time (clock: sync=none), not
# wall-clock time. Exits non-zero if the job fails.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
log_dir=${LOG_DIR:-$cache/logs}
job=${1:-kvm}
cpus=${BOCHS_CPUS:-1}
. "$here/timed-run.sh"
. "$here/bochs-guest.sh"

for tool in bochs grub-mkrescue xorriso mformat; do
    command -v "$tool" >/dev/null ||
        { echo "run-bochs-reference: $tool not found (apt-get install -y bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools)" >&2; exit 1; }
done
"$here/build-images.sh" || exit 1
mkdir -p "$log_dir"

case "$job" in
boot) ok_marker="boot ok" args="turtles.test=boot turtles.cpus=$cpus" ;;
kvm) ok_marker="kvm ok" args="turtles.test=kvm" ;;
demo) ok_marker="demo ok" args="turtles.test=demo" ;;
*) echo "run-bochs-reference: unknown job '$job'" >&2; exit 2 ;;
esac

dir=$(mktemp -d /tmp/turtles-bochs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
bochs_guest_prepare "$dir" "$cache" "console=ttyS0,115200 panic=-1 $args" "$cpus" || exit 1

log="$log_dir/bochs-$job.log"
echo "run-bochs-reference: $job (log: $log)"
# A guest poweroff ends Bochs with "ACPI control: soft power off" and status 1: the normal end.
timed_run "$dir/bochs-stdout.log" "ACPI control: soft power off" 3600 \
    bochs -q -f "$dir/bochsrc" -rc "$dir/debugger.rc"
tr -d '\r' < "$dir/serial.txt" > "$log" 2>/dev/null

rc=0
if grep -q '^TURTLES: FAIL' "$log"; then
    echo "run-bochs-reference: $job: FAIL: $(grep -m1 '^TURTLES: FAIL' "$log" | cut -c10-)" >&2
    rc=1
elif ! grep -q "^TURTLES: $ok_marker\$" "$log"; then
    echo "run-bochs-reference: $job: FAIL: no 'TURTLES: $ok_marker' (Bochs status $RUN_STATUS), see $log" >&2
    rc=1
fi
echo
echo "Bochs reference ($(dpkg-query -W -f '${Version}' bochs 2>/dev/null), corei7_skylake_x x$cpus):"
echo "  $job: $([ $rc = 0 ] && echo ok || echo FAIL); whole run ${TIME_TOTAL}s wall clock"
grep -E '^TURTLES: kvm module|^TURTLES: param (nested|ept|vpid|unrestricted_guest|enable_shadow_vmcs|enable_apicv|preemption_timer)=|^kvm-[a-z]+: ok|^L2: ' "$log" | sed 's/^/    /'
exit $rc
