#!/bin/bash
# Runs kvm-unit-tests' VMX suite (x86/vmx.flat, one process per subtest)
# inside turtles and prints a line per subtest plus a summary.
#
# kvm-unit-tests is not part of this repository and is not fetched here
# (CI machines have no network); point KUT_DIR at a built checkout:
#   git clone https://gitlab.com/kvm-unit-tests/kvm-unit-tests
#   (cd kvm-unit-tests && ./configure && make -j2)
#   make test-kut KUT_DIR=$PWD/kvm-unit-tests
#
# usage: tests/kut/run-kut.sh TURTLES KUT_DIR [SUBTEST...]
# Exit status 0 when no subtest reported a failure, timed out or died.
set -u
turtles=${1:?usage: run-kut.sh TURTLES KUT_DIR [SUBTEST...]}
kut=${2:?usage: run-kut.sh TURTLES KUT_DIR [SUBTEST...]}
shift 2
flat=$kut/x86/vmx.flat
if [ ! -f "$flat" ]; then
    echo "run-kut: $flat not found: build kvm-unit-tests first (see the comment in $0)" >&2
    exit 2
fi
timeout_s=${KUT_TIMEOUT:-300}
logdir=$(mktemp -d /tmp/turtles-kut.XXXXXX)
# kvm-unit-tests drives interrupt lines through QEMU's pc-testdev, which
# turtles provides as -device pc-testdev.

# The subtests of unittests.cfg's VMX entries; each runs alone so that one
# failure cannot cascade into the next.
default_tests=(
  null vmenter "preemption timer" "control field PAT" "control field EFER"
  "CR shadowing" "I/O bitmap" "instruction intercept" "EPT A/D disabled"
  "EPT A/D enabled" PML interrupt nmi_hlt "debug controls" "MSR switch" vmmcall
  "disable RDTSCP" exit_monitor_from_l2_test invalid_msr v2_null_test
  v2_multiple_entries_test fixture_test_case1 fixture_test_case2 invvpid_test
  vmx_controls_test vmx_host_state_area_test vmx_guest_state_area_test
  vmentry_movss_shadow_test vmentry_unrestricted_guest_test
  vmx_eoi_bitmap_ioapic_scan_test vmx_hlt_with_rvi_test apic_reg_virt_test
  virt_x2apic_mode_test vmx_basic_vid_test vmx_eoi_virt_test
  vmx_posted_interrupts_test vmx_apic_passthrough_test vmx_apic_passthrough_thread_test
  vmx_apic_passthrough_tpr_threshold_test
  vmx_init_signal_test vmx_sipi_signal_test vmx_vmcs_shadow_test vmx_ldtr_test
  vmx_cr_load_test vmx_cr4_osxsave_test vmx_no_nm_test vmx_db_test
  vmx_nmi_window_test vmx_intr_window_test vmx_pending_event_test
  vmx_pending_event_hlt_test vmx_store_tsc_test vmx_preemption_timer_zero_test
  vmx_preemption_timer_tf_test vmx_preemption_timer_expiry_test
  atomic_switch_max_msrs_test rdtsc_vmexit_diff_test vmx_mtf_test
  vmx_mtf_pdpte_test vmx_pae_test vmx_pse_test vmx_pf_exception_test
  vmx_pf_no_vpid_test vmx_pf_invvpid_test vmx_pf_vpid_test vmx_exception_test
  vmx_canonical_test
)
if [ $# -gt 0 ]; then tests=("$@"); else tests=("${default_tests[@]}"); fi

bad=0 total_pass=0 total_fail=0
for t in "${tests[@]}"; do
    name=${t// /_}
    smp=1 mem=256M
    case "$name" in
    vmx_eoi_bitmap_ioapic_scan_test|vmx_init_signal_test|vmx_sipi_signal_test|nmi_hlt|\
    vmx_apic_passthrough_thread_test)
        smp=2 mem=2048M ;;
    vmx_posted_interrupts_test) smp=2 ;;
    vmx_apic_passthrough_test|vmx_apic_passthrough_tpr_threshold_test) mem=2048M ;;
    esac
    log=$logdir/${name//\//_}.log
    timeout "$timeout_s" "$turtles" -nographic -no-reboot -cpu max -m "$mem" -smp "$smp" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev -kernel "$flat" \
        -append "$name" > "$log" 2>&1
    rc=$?
    pass=$(grep -c '^PASS' "$log") fail=$(grep -c '^FAIL' "$log") skip=$(grep -c '^SKIP' "$log")
    # XPASS: a check kvm-unit-tests marks as failing on known hardware or KVM
    # behaviour, which turtles passes; it makes the test exit with 3.
    xpass=$(grep -c '^XPASS' "$log")
    # kvm-unit-tests exits through the debug port with (code << 1) | 1:
    # 1 all passed, 3 failures, 77 all skipped; anything else is a crash or
    # a timeout (124).
    case $rc in
    1) verdict=PASS ;;
    77) verdict=SKIP ;;
    124) verdict=TIMEOUT ;;
    3) if [ "$fail" -eq 0 ] && [ "$xpass" -gt 0 ]; then verdict=PASS+XPASS; else verdict=FAIL; fi ;;
    *) verdict="DIED(rc=$rc)" ;;
    esac
    case $verdict in PASS*|SKIP) ;; *) bad=$((bad + 1)) ;; esac
    total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
    printf '%-45s %-12s pass=%-7s fail=%-4s skip=%-3s xpass=%s\n' "$name" "$verdict" "$pass" "$fail" \
        "$skip" "$xpass"
done
echo "kvm-unit-tests vmx: ${#tests[@]} subtests, $bad not passing; report lines: $total_pass PASS, $total_fail FAIL (logs in $logdir)"
[ $bad -eq 0 ]
