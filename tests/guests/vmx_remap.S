/* EPT that translates: L1 maps L2's guest-physical 2 MiB page at HOLE
 * (8 MiB) to the host page at REMAP (10 MiB). L2 writes 0x5a at HOLE +
 * 0x40 and halts; on the HLT exit L1 checks the byte landed at REMAP +
 * 0x40 and not at HOLE + 0x40, then passes. tests/boot/monitor-views.sh
 * stops in L2 after the write and checks that `ept` and `info tlb` agree
 * on the host page. Failure N exits with value N on port 0xf4. */
#define REMAP 0xa00000
#define VMX_EPT_HOLE_ENTRY (REMAP | 0xb7) /* R W X, WB, large */
#include "vmx_setup.inc"

/* L1's exit handler: only L2's final HLT is expected. */
vm_exit:
    mov $SEL_DATA, %ax
    VMR F_REASON
    cmp $12, %rax
    CHECK e, 6
    cmpb $0x5a, REMAP + 0x40  /* L1's identity paging: host-physical */
    CHECK e, 9
    cmpb $0, HOLE + 0x40
    CHECK e, 10
    SAY vmx-remap-ok
    xor %al, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

    VMX_ADJUST_CTL

/* L2: one write through the remapped page, then HLT. */
l2_code:
    movb $0x5a, HOLE + 0x40
    hlt
    FAIL 8

    VMX_TABLES
