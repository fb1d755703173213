#!/bin/bash
# Host memory is bounded whatever code the guest runs (README "Host memory").
# The NOP sled (tests/guests/platform/nopsled.S) decodes 64 new blocks per
# 4 KiB it runs: before the decoded-block cache had a bound, 16 M instructions
# of it took 815 MiB of host memory, and the whole sled 3-5 GB. With
# -accel tcg,tb-size=8 the cache's own count stays at its bound, and the
# peak RSS under the bound plus guest RAM plus a fixed allowance.
set -u
. "$(dirname "$0")/lib/guest-common.sh"
log=$(mktemp /tmp/turtles-mem.XXXXXX)
ALLOWANCE_MIB=24 # turtles itself, its tables and libc: about 3 MiB measured

# peak_check NAME RAM_MIB TB_MIB: check the -turtles-stats lines in $log.
peak_check() {
    local name=$1 ram=$2 tb=$3
    local line peak limit cpeak evictions
    line=$(grep -E "^turtles-stats: block cache:" "$log")
    limit=$(sed -nE 's/.*limit_kib=([0-9]+).*/\1/p' <<<"$line")
    cpeak=$(sed -nE 's/.*peak_kib=([0-9]+).*/\1/p' <<<"$line")
    evictions=$(sed -nE 's/.*evictions=([0-9]+).*/\1/p' <<<"$line")
    peak=$(sed -nE 's/.*peak_rss_kib=([0-9]+).*/\1/p' "$log")
    if [ -z "$limit" ] || [ -z "$peak" ]; then
        fail "$name: no -turtles-stats lines"
        sed 's/^/    | /' "$log" | head -20
        return
    fi
    [ "$limit" -eq $((tb * 1024)) ] || fail "$name: cache limit ${limit} KiB, expected $((tb * 1024))"
    # The cache may pass its bound by one block (at most 4 KiB) until the
    # evicted blocks are freed at the next block boundary.
    [ "$cpeak" -le $((limit + 4)) ] || fail "$name: cache peak ${cpeak} KiB over its bound ${limit} KiB"
    [ "${evictions:-0}" -gt 0 ] || fail "$name: the cache never filled (no evictions): the test proves nothing"
    local bound=$(((ram + tb + ALLOWANCE_MIB) * 1024))
    # AddressSanitizer keeps freed memory in quarantine and adds its shadow:
    # only the cache's own count is checked there.
    if ! ldd "$turtles" 2>/dev/null | grep -q libasan; then
        [ "$peak" -le "$bound" ] ||
            fail "$name: peak RSS ${peak} KiB over ${bound} KiB (guest RAM + tb-size + allowance)"
    fi
    echo "$name: peak RSS ${peak} KiB (bound ${bound} KiB), cache peak ${cpeak} KiB of ${limit} KiB, $evictions evictions"
}

run_turtles 60 "$log" -bios "$PLATFORM_ROMS/nopsled.rom" -m 128M -nographic "${DEBUG_EXIT[@]}" \
    -accel tcg,tb-size=8,thread=single -turtles-stats -turtles-max-insns 8000000
expect_status 5 "NOP sled stopped by -turtles-max-insns"
expect_output "$log" "nopsled: running" "the NOP sled started"
peak_check "NOP sled" 128 8

# The VMX fuzz ROM (tests/guests/platform/vmxfuzz.S): random VMCSs at
# random addresses, VM entries with random fields, L2 running through RAM.
# Before the bound it took 1.5 GB in 60 M instructions at -m 64M (the
# decoded blocks of L2's code; the VMCS cache and the TLB contexts have
# fixed sizes). Whatever else a VMX guest can grow would show here too.
run_turtles 60 "$log" -bios "$PLATFORM_ROMS/vmxfuzz.rom" -m 64M -nographic "${DEBUG_EXIT[@]}" \
    -accel tcg,tb-size=8 -turtles-stats -turtles-max-insns 20000000
expect_status 5 "VMX fuzz stopped by -turtles-max-insns"
expect_output "$log" "vmxfuzz: start" "the VMX fuzz ROM started"
peak_check "VMX fuzz" 64 8

# Eviction changes speed, never behaviour: 4 M instructions of the fuzz
# with tb-size=2 (hundreds of evictions) and with the default bound (none)
# end in the same state.
state_after() { # TB_MIB: the vCPU line of -turtles-stats, after checking evictions
    run_turtles 60 "$log" -bios "$PLATFORM_ROMS/vmxfuzz.rom" -m 64M -nographic "${DEBUG_EXIT[@]}" \
        -accel tcg,tb-size=$1 -turtles-stats -turtles-max-insns 4000000
    grep "^turtles-stats: cpu0" "$log"
}
small_state=$(state_after 2)
grep -q "evictions=0 " "$log" && fail "VMX fuzz with tb-size=2 never evicted"
big_state=$(state_after 0)
grep -q "evictions=0 " "$log" || fail "VMX fuzz under the default bound evicted: the comparison proves nothing"
[ -n "$small_state" ] && [ "$small_state" = "$big_state" ] ||
    fail "VMX fuzz ends differently with tb-size=2 ('$small_state') and the default ('$big_state')"
echo "VMX fuzz: the same end state with and without evictions: $small_state"

rm -f "$log"
[ $rc -eq 0 ] && echo "PASS"
exit $rc
