#!/bin/bash
# The monitor's state and VMX views on the nested test guest
# (tests/guests/vmx_basic.S: L1 runs a 64-bit L2 behind EPT), driven by
# -turtles-monitor-script (trace switched on and off at run time too):
# stopped in non-root before L2's CPUID, `regs`
# gives the RIP that `vmcs` then shows as GUEST_RIP with exit reason CPUID
# and length 2; `ept $rip` gives the host page the TLB holds for $rip;
# vmcs diff and lastexits tell the same exit; every bad argument is one
# error line and the session carries on to the guest's normal end. Then
# the same TLB/EPT agreement where EPT maps L2's page elsewhere
# (tests/guests/vmx_remap.S).
set -u
. "$(dirname "$0")/lib/guest-common.sh"
rom=$BUILD_DIR/guests/vmx_basic.rom
[ -f "$rom" ] || { echo "SKIP: $rom not built"; exit 77; }
tmp=$(mktemp -d /tmp/turtles-monitor-views.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/script" <<'SCRIPT'
until nonroot
s
regs
info tlb $rip
ept $rip
x/4q 0
pt
ept root:0x1000
vmcs NO_SUCH_FIELD
lastexits 0
until vmexit
vmcs
vmcs diff
lastexits 1
exits
trace io on TRACEFILE
trace exits on TRACEFILE
until exit io
trace io off
trace exits off
c
SCRIPT
sed -i "s|TRACEFILE|$tmp/trace|" "$tmp/script"
run_turtles 120 "$tmp/out" -bios "$rom" -m 64M -nographic "${DEBUG_EXIT[@]}" -no-reboot \
    -turtles-monitor-script "$tmp/script"
expect_status 1 "the guest finishes normally after the session"
expect_output "$tmp/out" '^vmx-basic-ok' "the guest's own pass line"

# The non-root RIP before the exit, and the VMCS after it.
l2_rip=$(grep -m1 -A5 '^(turtles) regs' "$tmp/out" | sed -n 's/^RIP=\([0-9a-f]*\) .*/\1/p')
guest_rip=$(sed -n 's/^  GUEST_RIP  *681e = 0x\([0-9a-f]*\)$/\1/p' "$tmp/out" | head -1)
[ -n "$l2_rip" ] && [ -n "$guest_rip" ] && [ $((16#$l2_rip)) -eq $((16#$guest_rip)) ] ||
    fail "regs RIP in non-root ($l2_rip) is not the VMCS GUEST_RIP after the exit ($guest_rip)"
expect_output "$tmp/out" '^  VM_EXIT_REASON +4402 = 0xa  CPUID \(10\)$' "vmcs: exit reason"
expect_output "$tmp/out" '^  VM_EXIT_INSTRUCTION_LEN +440c = 0x2$' "vmcs: CPUID's length"
expect_output "$tmp/out" '^  EXIT_QUALIFICATION +6400 = 0  none$' "vmcs: no qualification"
expect_output "$tmp/out" '^  SECONDARY_VM_EXEC_CONTROL +401e = 0x[0-9a-f]+  .*ENABLE_EPT' \
    "vmcs: control bits by name"
expect_output "$tmp/out" "^  GUEST_RIP +0x[0-9a-f]+ -> 0x$guest_rip\$" "vmcs diff: GUEST_RIP"
expect_output "$tmp/out" "^#[0-9]+ t=[0-9]+ ns CPUID \(10\) qual=0 guest-rip=0x$guest_rip " \
    "lastexits: the CPUID exit"
expect_output "$tmp/out" '^CPUID \(10\) +1 ' "exits: one CPUID exit"

# The TLB's host page for $rip (after one L2 instruction) is the one the
# EPT explanation ends on.
tlb_page=$(sed -n 's/^\([0-9a-f]\{16\}\) -> \([0-9a-f]\{16\}\) ..x .*/\2/p' "$tmp/out" | head -1)
ept_hpa=$(sed -n 's/^linear 0x[0-9a-f]* -> host-physical 0x\([0-9a-f]*\) .*/\1/p' "$tmp/out" | head -1)
[ -n "$tlb_page" ] && [ -n "$ept_hpa" ] && [ $((16#$tlb_page)) -eq $(((16#$ept_hpa) & ~0xfff)) ] ||
    fail "info tlb host page ($tlb_page) differs from ept's host-physical ($ept_hpa)"
expect_output "$tmp/out" '^    EPT PDE\[0\] at host 0x[0-9a-f]+: 0x[0-9a-f]+ R W X WB \(large page\)$' \
    "ept: EPT entries with rights and memory type"

# trace, switched on at run time: L1's serial output ("exit-cpuid"; L2's
# OUT 0x80 is a VM exit, no port access) and L2's I/O exit.
expect_output "$tmp/trace" '^io: cpu0 rip=[0-9a-f]+ out port 0x03f8 size 1 value 0x65 \(uart\)$' \
    "trace io: L1's serial output"
expect_output "$tmp/trace" '^vmx: cpu0 VM exit from non-root .* reason=IO_INSTRUCTION\(30\)' \
    "trace exits: the I/O exit"
[ "$(grep -c '^io: ' "$tmp/trace")" -le 20 ] || fail "trace io off did not stop the I/O trace"

# Five bad commands, five one-line errors, and the session went on.
errors=$(grep -c '^error: ' "$tmp/out")
[ "$errors" -eq 5 ] || fail "expected 5 error lines for 5 bad commands, got $errors"

# An EPT that translates (tests/guests/vmx_remap.S: L2's guest-physical
# page at 8 MiB is host 10 MiB): after L2's write there, the TLB's host page
# and ept's walk agree, and both differ from the guest-physical page.
remap=$BUILD_DIR/guests/vmx_remap.rom
printf 'until nonroot\ns\ninfo tlb 0x800040\nept 0x800040\nc\n' >"$tmp/script2"
run_turtles 120 "$tmp/out2" -bios "$remap" -m 64M -nographic "${DEBUG_EXIT[@]}" -no-reboot \
    -turtles-monitor-script "$tmp/script2"
expect_status 1 "vmx_remap under the monitor"
expect_output "$tmp/out2" '^vmx-remap-ok' "vmx_remap's own check of the write"
tlb_page=$(sed -n 's/^0000000000800000 -> \([0-9a-f]\{16\}\) .w. .*/\1/p' "$tmp/out2" | head -1)
ept_hpa=$(sed -n 's/^linear 0x800040 -> host-physical 0x\([0-9a-f]*\) .*/\1/p' "$tmp/out2" | head -1)
[ -n "$tlb_page" ] && [ -n "$ept_hpa" ] && [ $((16#$tlb_page)) -eq $(((16#$ept_hpa) & ~0xfff)) ] ||
    fail "remapped: info tlb host page ($tlb_page) differs from ept's host-physical ($ept_hpa)"
[ -n "$ept_hpa" ] && [ $((16#$ept_hpa)) -eq $((0xa00040)) ] ||
    fail "remapped: ept gives host-physical $ept_hpa, the guest mapped 0xa00040"
# docs/monitor-views.md's example: its script, run again, still prints every
# line the document shows.
doc=$(dirname "$0")/../../docs/monitor-views.md
awk '/^## Example/{e=1} e&&/^```/{n++; next} e&&n==1' "$doc" >"$tmp/doc-script"
awk '/^## Example/{e=1} e&&/^```/{n++; next} e&&n==3' "$doc" >"$tmp/doc-out"
[ -s "$tmp/doc-script" ] && [ -s "$tmp/doc-out" ] || fail "docs/monitor-views.md: example not found"
run_turtles 120 "$tmp/out3" -bios "$remap" -m 64M -nographic "${DEBUG_EXIT[@]}" -no-reboot \
    -turtles-monitor-script "$tmp/doc-script"
while IFS= read -r line; do
    grep -qxF -- "$line" "$tmp/out3" || fail "docs/monitor-views.md shows a line the run no longer prints: $line"
done <"$tmp/doc-out"

[ $rc -eq 0 ] && echo "monitor views: ok"
exit $rc
