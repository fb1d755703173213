#!/bin/bash
# `make demo`: the built-in nested demo, headless. turtles (L0) emulates a PC
# whose CPU implements VMX in software; Debian's stock kernel boots on it as
# L1, loads kvm_intel and runs a small L2 guest through /dev/kvm. Each level
# prefixes its own lines: L0 (this script and turtles), L1 (the guest's
# /init), L2 (the nested guest's output relayed by L1). The monitor's lines
# have no prefix: after "Hello from L2" a monitor script (-turtles-monitor-
# script) stops turtles at L2's CPUID exit, prints the exit from the VMCS,
# steps KVM's exit handler in L1 and resumes L2 (README, "make demo").
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
turtles=${1:-$repo/build/turtles}
cache=${TURTLES_CACHE:-$HOME/.cache/turtles}
for f in vmlinuz initramfs.cpio.gz; do
    [ -f "$cache/$f" ] || { echo "demo: $cache/$f missing: run tests/images/build-images.sh"; exit 1; }
done
echo "L0: turtles $("$turtles" -version | cut -d' ' -f2) on $(uname -m): a software x86-64 PC with VMX"
kernel=$(sed -n 's/^package=//p' "$cache/kernel.version" 2>/dev/null)
echo "L0: booting Debian's ${kernel:-kernel} as L1 (-m 1G -smp 2, headless)"
script=$(mktemp /tmp/turtles-demo.XXXXXX)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'EOF'
# The first VM exit from non-root for CPUID is L2's (kvm-hello), after its message.
until exit cpuid
vmcs VM_EXIT_REASON
vmcs EXIT_QUALIFICATION
vmcs GUEST_RIP
vmcs VM_EXIT_INSTRUCTION_LEN
s 6
until vmentry
c
EOF
start=$(date +%s)
timeout --signal=TERM --kill-after=15 1200 "$turtles" -m 1G -smp 2 -nographic -no-reboot \
    -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3 turtles.test=demo" \
    -turtles-monitor-script "$script" </dev/null |
    sed -u 's/\r//g' |
    grep --line-buffered -E "^(L1|L2|===|TURTLES: (demo ok|FAIL)|\(turtles\) [a-z]|stopped: |  cpu[0-9]|[A-Z_]+ +[0-9a-f]{4} = )" |
    sed -u 's/^TURTLES: demo ok/L1: demo finished, powering off/; s/^TURTLES: FAIL/L1: FAILED:/'
status=${PIPESTATUS[0]}
echo "L0: the L1 guest powered off; turtles exited with status $status after $(( $(date +%s) - start )) s"
exit $status
