/* "Does L1 want this exit?": pure functions of the decoded VMCS controls
 * and of the bitmaps L1 keeps in its memory (SDM Vol.3C 25.1 "Instructions
 * That Cause VM Exits", 25.2 "Other Causes of VM Exits"). They decide only;
 * vmx_emul/vmx_nonroot.c builds the exits. Bitmaps are read from physical
 * memory: the addresses in the VMCS are L1-physical, which is turtles'
 * physical address space. */
#ifndef TURTLES_VMX_EMUL_VMX_INTERCEPT_H
#define TURTLES_VMX_EMUL_VMX_INTERCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/physmem.h"
#include "vmx_emul/vmcs.h"

/* Exits that depend on nothing but the controls (one switch over the exit
 * reason): the unconditional ones of SDM 25.1.2 (CPUID, GETSEC, INVD,
 * XSETBV, the VMX instructions) and the ones a single control bit decides
 * (HLT, INVLPG, RDPMC, RDTSC, RDTSCP, MWAIT, MONITOR, PAUSE exiting,
 * RDRAND, RDSEED, WBINVD, INVPCID, descriptor-table accesses, MOV DR).
 * Reasons that need an operand (I/O, MSRs, CR accesses, exceptions) have
 * their own predicate: passed here, such a reason (or one the switch does
 * not know) is reported on stderr and answers true, so an L2 never runs on
 * past an exit nobody decided. */
bool vmx_l1_wants_exit(const struct vmcs *v, unsigned reason);

/* Whether vmx_l1_wants_exit decides this reason (tests walk it against the
 * opcode table's exit column). */
bool vmx_l1_exit_reason_known(unsigned reason);

/* SDM 25.2: an exception (not an NMI) with this vector and error code
 * exits when its bit is set in the exception bitmap; #PF additionally
 * compares the error code with the mask/match pair (SDM 24.6.3). */
bool vmx_l1_wants_exception(const struct vmcs *v, unsigned vector, uint32_t error_code);

/* SDM 25.1.3 IN/INS/OUT/OUTS: unconditional I/O exiting when the I/O
 * bitmaps are off, else any bit of ports port..port+size-1 in bitmap A
 * (0-0x7fff) or B (0x8000-0xffff); an access that wraps past 0xffff exits. */
bool vmx_l1_wants_io(const struct vmcs *v, struct physmem *pm, uint16_t port, unsigned size);

/* SDM 25.1.3 RDMSR/WRMSR and 24.6.9: without MSR bitmaps every access
 * exits; with them, MSRs outside 0-0x1fff and 0xc0000000-0xc0001fff exit,
 * the others by their bit in the read-low, read-high, write-low or
 * write-high kilobyte of the bitmap page. */
bool vmx_l1_wants_msr(const struct vmcs *v, struct physmem *pm, uint32_t msr, bool write);

/* SDM 25.1.3 MOV to CR0/CR4: exits when a bit set in the guest/host mask
 * would differ from the read shadow. CR3: with CR3-load exiting, unless the
 * value is one of the first CR3_TARGET_COUNT targets. CR8: CR8-load
 * exiting. Other numbers: false. */
bool vmx_l1_wants_cr_write(const struct vmcs *v, unsigned cr, uint64_t value);
/* MOV from CR3 (CR3-store exiting) and CR8 (CR8-store exiting); CR0/CR4
 * reads never exit (they read the shadow, vmx_cr_guest_view). */
bool vmx_l1_wants_cr_read(const struct vmcs *v, unsigned cr);
/* CLTS: CR0.TS owned by L1 (mask bit 3) and set in the read shadow. */
bool vmx_l1_wants_clts(const struct vmcs *v);
/* LMSW with source bits 3:0: PE owned and shadow PE 0 while the source
 * sets it, or an owned MP/EM/TS differs from the shadow. */
bool vmx_l1_wants_lmsw(const struct vmcs *v, uint16_t source);

/* What the guest reads from CR0/CR4 (MOV from CR, SMSW; SDM 25.3): read
 * shadow bits where the mask is set, the real register elsewhere. */
uint64_t vmx_cr_guest_view(uint64_t real, uint64_t mask, uint64_t shadow);
/* The value a MOV to CR0/CR4 that did not exit leaves (SDM 25.3): bits
 * that L1 owns keep their real value. */
uint64_t vmx_cr_guest_write(uint64_t real, uint64_t mask, uint64_t source);

/* PAUSE-loop exiting (SDM 25.1.3 PAUSE): state kept per vCPU between
 * PAUSEs at CPL 0, in TSC ticks. */
struct vmx_ple_state {
    bool started;        /* a loop was seen since VM entry */
    uint64_t first_tsc;  /* first PAUSE of the current loop */
    uint64_t last_tsc;   /* the previous PAUSE */
};
/* One PAUSE at CPL 0 at time tsc: true when it exits (the loop ran longer
 * than PLE_Window). PAUSE exiting itself is vmx_l1_wants_exit(PAUSE). */
bool vmx_l1_wants_pause_loop(const struct vmcs *v, struct vmx_ple_state *s, uint64_t tsc);

#endif
