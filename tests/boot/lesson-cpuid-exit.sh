#!/bin/bash
# docs/lesson-cpuid-exit.md still tells the truth: the monitor commands of
# its session (the `(turtles) ` lines of its ```text blocks) run as a
# -turtles-monitor-script on the lesson's machine (Debian's kernel as L1,
# kvm-hello as L2), and every line those blocks show comes out, in the
# lesson's order. When the images hold another kernel than the lesson's,
# L1's kernel addresses and the instructions at them differ: those lines
# are left out and the VMCS, EPTP and time figures of the rest are masked.
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
mask() { sed -E 's/(vmcs|eptp)=0x[0-9a-f]+/\1=X/g; s/t=[0-9]+ ns/t=T ns/'; }
if [ "$lesson_kernel" != "$image_kernel" ]; then
    echo "note: the lesson shows kernel $lesson_kernel, the images hold ${image_kernel:-?}:" \
        "comparing without L1's kernel addresses"
    grep -Ev 'ffffffff[0-9a-f]{8}|=== L1: Linux' "$tmp/expected" | mask >"$tmp/e"
    mask <"$tmp/actual" >"$tmp/a"
else
    cp "$tmp/expected" "$tmp/e"
    cp "$tmp/actual" "$tmp/a"
fi

# Each expected line, in order, as a whole line of the output.
rc=0
python3 - "$tmp/e" "$tmp/a" <<'EOF' || rc=1
import sys
expected = open(sys.argv[1]).read().splitlines()
actual = open(sys.argv[2], errors="replace").read().splitlines()
pos = 0
for line in expected:
    try:
        pos = actual.index(line, pos) + 1
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
