/* Benchmark (bench/vmx_exits.sh): the cost of a VM exit/entry round trip.
 * L1 (long mode, VMXON, EPT) runs a 64-bit L2 that executes CPUID in a loop
 * EXITS times (100000); each CPUID exits to L1, which skips it and
 * VMRESUMEs; L2's final HLT exits and L1 passes through isa-debug-exit
 * (value 0). The set-up is tests/guests/vmx_setup.inc. */
#define EXITS 100000
#include "vmx_setup.inc"

/* L1's exit handler: CPUID -> skip it and resume; HLT -> done. */
vm_exit:
    mov $SEL_DATA, %ax
    VMR F_REASON
    cmp $10, %rax
    je skip_insn
    cmp $12, %rax
    CHECK e, 6
    xor %al, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

skip_insn:
    VMX_RESUME_AFTER_INSN

    VMX_ADJUST_CTL

/* L2: EXITS CPUIDs (r8 counts: L1 leaves it alone), then HLT. */
l2_code:
    mov $EXITS, %r8d
1:  xor %eax, %eax
    cpuid
    dec %r8d
    jnz 1b
    hlt
    FAIL 8

    VMX_TABLES
