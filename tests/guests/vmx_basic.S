/* VMX end to end on bare metal: enter long mode, VMXON, build a VMCS for a
 * 64-bit L2 that shares L1's page tables behind an EPT identity map with
 * one 2 MiB hole, VMLAUNCH, and handle L2's exits in order:
 *   CPUID (10) -> OUT 0x80 (30, qualification checked) -> write into the EPT
 *   hole (48, guest-physical address checked; L1 maps it, INVEPT, resumes
 *   and L2's write lands) -> HLT (12) -> the same HLT again without HLT
 *   exiting and with the VMX-preemption timer: L2 halts, the machine must
 *   advance its idle clock to the timer's expiry (52) -> pass.
 * Failure N exits with value N on port 0xf4; 0x3f: VMX not offered. */
#define VMX_EPT_HOLE_ENTRY 0
/* The root call runs same_code first (vmx_same_code.S). */
#ifdef SAME_CODE_BOTH_LEVELS
#define VMX_BEFORE_LAUNCH movq $0, STAGE; call same_code
#else
#define VMX_BEFORE_LAUNCH movq $0, STAGE
#endif
#include "vmx_setup.inc"

/* L1's exit handler: one expected exit per stage. */
vm_exit:
    mov $SEL_DATA, %ax        /* host DS etc. were loaded as flat data */
    VMR F_REASON
    mov %rax, %rbx
    mov STAGE, %rcx
    cmp $0, %rcx
    je stage_cpuid
    cmp $1, %rcx
    je stage_io
    cmp $2, %rcx
    je stage_ept
    cmp $3, %rcx
    je stage_hlt
    cmp $4, %rcx
    je stage_timer
    FAIL 6

stage_cpuid:
    cmp $10, %rbx
    CHECK e, 10
    SAY exit-cpuid
    jmp skip_insn

stage_io:
    cmp $30, %rbx
    CHECK e, 20
    VMR F_QUAL
    cmp $((0x80 << 16) | (1 << 6)), %rax /* byte OUT to immediate port 0x80 */
    CHECK e, 21
    SAY exit-io
    jmp skip_insn

stage_ept:
    cmp $48, %rbx
    CHECK e, 30
    VMR F_GPA
    cmp $(HOLE + 0x40), %rax
    CHECK e, 31
    VMR F_QUAL
    test $2, %al              /* a write */
    CHECK nz, 32
    SAY exit-ept-violation
    /* Map the hole, invalidate EPT-derived translations, retry. */
    movq $(HOLE | 0xb7), EPT_PD + (HOLE >> 21) * 8
    movq $(EPT_PML4 | (3 << 3) | 6), INVEPT_DESC
    movq $0, INVEPT_DESC + 8
    mov $2, %rax              /* all-context */
    invept INVEPT_DESC, %rax
    CHECK nbe, 33
    incq STAGE
    vmresume
    FAIL 34

stage_hlt:
    cmp $12, %rbx
    CHECK e, 40
    cmpq $0x5a, HOLE + 0x40   /* L2's retried write landed */
    CHECK e, 41
    SAY exit-hlt
    /* SDM Vol.3C 25.5.1: the VMX-preemption timer counts down in the HLT
     * state and exits from it. L2 re-runs its HLT with HLT exiting off:
     * nothing but the timer can end that HLT (IF = 0, no interrupts). */
    VMR F_PIN
    or $(1 << 6), %rax        /* activate VMX-preemption timer */
    VMW F_PIN, %rax
    VMR F_PROC
    and $~(1 << 7), %rax      /* no HLT exiting */
    VMW F_PROC, %rax
    VMW F_TIMER, $0x1000
    incq STAGE
    vmresume
    FAIL 42

stage_timer:
    cmp $52, %rbx
    CHECK e, 50
    VMR F_ACTIVITY
    cmp $1, %rax              /* exited from the HLT state */
    CHECK e, 51
    SAY exit-preemption-timer
    SAY vmx-basic-ok
    xor %al, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

/* Fault-like instruction exits: resume after the instruction. */
skip_insn:
    incq STAGE
    VMX_RESUME_AFTER_INSN

    VMX_ADJUST_CTL

/* L2: CPUID, OUT, a write into the EPT hole, HLT. */
l2_code:
#ifdef SAME_CODE_BOTH_LEVELS
    call same_code            /* ... then non-root, at the same address */
#endif
    xor %eax, %eax
    cpuid
    mov $0x55, %al
    out %al, $0x80
    movb $0x5a, HOLE + 0x40
    hlt
    FAIL 8

#ifdef SAME_CODE_BOTH_LEVELS
/* Code that both levels run at one address (shared page tables). */
    .globl same_code
same_code:
    nop
    ret
#endif

    VMX_TABLES
