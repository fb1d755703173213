#!/bin/bash
# docs/lesson-cpuid-exit.md still tells the truth: the monitor commands of
# its session (the `(turtles) ` lines of its ```text blocks) run as a
# -turtles-monitor-script on the lesson's machine (Debian's kernel as L1,
# kvm-hello as L2), and every line those blocks show comes out, in the
# lesson's order, with the vCPU number, kernel addresses, VMCS/EPT pointers
# and times masked (a rebuilt initramfs moves them). When the images hold
# another kernel than the lesson's, the lines of L1's kernel code are left
# out as well.
set -u
. "$(dirname "$0")/lib/boot-common.sh"
turtles=$1
need_images
lesson=$HERE/../../docs/lesson-cpuid-exit.md
tmp=$(mktemp -d /tmp/turtles-lesson.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The transcript: every line of the ```text blocks.
awk '/^```text$/ { on = 1; next } /^```/ { on = 0 } on' "$lesson" >"$tmp/expected"
sed -n 's/^(turtles) //p' "$tmp/expected" >"$tmp/script"
[ -s "$tmp/script" ] || { echo "FAIL: no monitor commands found in $lesson"; exit 1; }
echo "lesson commands: $(tr '\n' ';' <"$tmp/script")"

boot_guest "$turtles" 1200 "$tmp/out" -m 1G -smp 2 -turtles-monitor-script "$tmp/script" \
    -- quiet loglevel=3 turtles.test=demo
status=$?
tr -d '\r' <"$tmp/out" >"$tmp/actual"

lesson_kernel=$(sed -n 's/^=== L1: Linux \([^ ]*\) running.*/\1/p' "$tmp/expected")
image_kernel=$(sed -n 's/^=== L1: Linux \([^ ]*\) running.*/\1/p' "$tmp/actual")
# What a rebuilt initramfs or another scheduling may move, even with the
# lesson's kernel: which vCPU runs the L2 guest, where KVM's module is
# loaded, the VMCS and EPT pointers, and emulated times. The reasons, exit
# counts, VMCS fields and instructions stay compared.
mask() {
    sed -E 's/(vmcs|eptp)=0x[0-9a-f]+/\1=X/g; s/t=[0-9]+ ns/t=T ns/;
            s/\bcpu[0-9]+\b/cpuN/g; s/CPU #[0-9]+/CPU #N/;
            s/ffffffff[0-9a-f]{8}/KADDR/g;
            s/^(([A-Z_]+ \([0-9]+\)|total) +[0-9]+)( +[0-9]+)+$/\1 NS/'
}
if [ "$lesson_kernel" != "$image_kernel" ]; then
    echo "note: the lesson shows kernel $lesson_kernel, the images hold ${image_kernel:-?}:" \
        "comparing without L1's kernel code"
    grep -Ev 'ffffffff[0-9a-f]{8}|=== L1: Linux' "$tmp/expected" | mask >"$tmp/e"
else
    mask <"$tmp/expected" >"$tmp/e"
fi
mask <"$tmp/actual" >"$tmp/a"

# Each expected line as a whole line of the output, in the lesson's order;
# the guest's own lines (L1:, L2:, ===, kvm-hello) and the monitor's are
# ordered separately, because the guest's serial output drains on its own
# schedule around the monitor's stops.
rc=0
python3 - "$tmp/e" "$tmp/a" <<'EOF' || rc=1
import re, sys
guest = re.compile(r"^(L1: |L2: |=== |kvm-hello)")
expected = open(sys.argv[1]).read().splitlines()
actual = open(sys.argv[2], errors="replace").read().splitlines()
for kind in (True, False):
    want = [l for l in expected if bool(guest.match(l)) == kind]
    have = [l for l in actual if bool(guest.match(l)) == kind]
    pos = 0
    for line in want:
        try:
            pos = have.index(line, pos) + 1
        except ValueError:
            print("FAIL: the lesson shows a line turtles no longer prints (in this order):")
            print("    " + line)
            sys.exit(1)
print("all %d lines of the lesson's session found in order" % len(expected))
EOF
[ "$status" -eq 0 ] || { echo "FAIL: turtles exited with status $status (expected 0: poweroff)"; rc=1; }
if [ "$rc" -ne 0 ]; then
    echo "--- the session as turtles printed it:"
    grep -Ev '^\[ *[0-9]' "$tmp/actual" | tail -60
fi
exit "$rc"
