/* Exception and interrupt delivery: real-mode IVT, 32-bit gates with and
 * without privilege change, IRET back, error codes, #DF escalation, triple
 * fault, task gates and JMP to a TSS, 64-bit gates with IST, external
 * interrupts and NMI (SDM Vol.3A chapters 6 and 7). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/segment.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

enum { CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1b, DATA3 = 0x23, TSS_SEL = 0x28, TSS2_SEL = 0x30 };
#define TSS2_BASE 0x7100u
#define CODE_AT 0x10000u
#define HANDLERS 0x20000u

static struct harness h;

static void idt_gate32(unsigned vec, uint32_t off, unsigned type, unsigned dpl, bool present)
{
    put64(&h, IDT_BASE + vec * 8, make_gate(CODE0, off, type, dpl, present, 0));
}

static void load_code(uint64_t addr, const uint8_t *code, size_t n)
{
    harness_load(&h, addr, code, n);
}

static void setup32(void)
{
    harness_init(&h, 32);
    sys_gdt_flat(&h, 0xc);
    put64(&h, GDT_BASE + TSS_SEL, make_sys_desc(TSS_BASE, 0x67, 0xb, 0)); /* busy: current */
    put64(&h, GDT_BASE + TSS2_SEL, make_sys_desc(TSS2_BASE, 0x67, 0x9, 0));
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x37};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 8 - 1};
    h.cpu.tr = (struct segment){.sel = TSS_SEL, .base = TSS_BASE, .limit = 0x67,
                                .attr = SEG_P | 0xb};
    physmem_write(&h.mem, TSS_BASE + 4, 0x90000, 4); /* ESP0 */
    physmem_write(&h.mem, TSS_BASE + 8, DATA0, 2);   /* SS0 */
    sys_set_selectors(&h.cpu, CODE0, DATA0);
}

static void to_ring3(void)
{
    sys_to_ring3(&h.cpu, CODE3, DATA3);
}

static void teardown(void)
{
    harness_free(&h);
}

static uint32_t rd32(uint64_t a)
{
    return (uint32_t)physmem_read(&h.mem, a, 4);
}

/* mov ecx, 0xffffffff ; wrmsr  -> #GP(0) at CODE_AT + 5 */
static const uint8_t raise_gp_code[] = {0xb9, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x30};
static const uint8_t hlt[] = {0xf4};

START_TEST(gp_with_error_code_same_privilege)
{
    load_code(CODE_AT, raise_gp_code, sizeof(raise_gp_code));
    idt_gate32(EXC_GP, HANDLERS, 0xe, 0, true);
    load_code(HANDLERS, hlt, 1);
    uint32_t esp = (uint32_t)h.cpu.gpr[R_SP];
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 1);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], esp - 16);
    ck_assert_uint_eq(rd32(esp - 16), 0);           /* error code */
    ck_assert_uint_eq(rd32(esp - 12), CODE_AT + 5); /* faulting EIP */
    ck_assert_uint_eq(rd32(esp - 8), CODE0);
}
END_TEST

START_TEST(contributory_during_delivery_is_double_fault)
{
    load_code(CODE_AT, raise_gp_code, sizeof(raise_gp_code));
    idt_gate32(EXC_GP, HANDLERS, 0xe, 0, false); /* not present: #NP while delivering #GP */
    idt_gate32(EXC_DF, HANDLERS + 0x100, 0xe, 0, true);
    load_code(HANDLERS + 0x100, hlt, 1);
    uint32_t esp = (uint32_t)h.cpu.gpr[R_SP];
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0x101);
    ck_assert_uint_eq(rd32(esp - 16), 0);
    ck_assert_uint_eq(rd32(esp - 12), CODE_AT + 5);
    ck_assert_int_eq(h.cpu.delivering_vector, -1);
}
END_TEST

START_TEST(fault_during_double_fault_is_triple_fault)
{
    load_code(CODE_AT, raise_gp_code, sizeof(raise_gp_code));
    idt_gate32(EXC_GP, HANDLERS, 0xe, 0, false);
    idt_gate32(EXC_DF, HANDLERS, 0xe, 0, false);
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), -1);
    ck_assert(h.cpu.shutdown);
}
END_TEST

START_TEST(benign_then_fault_is_serial)
{
    /* #UD (benign) whose gate is missing: the #NP is delivered normally. */
    static const uint8_t ud2[] = {0x0f, 0x0b};
    load_code(CODE_AT, ud2, 2);
    idt_gate32(EXC_UD, HANDLERS, 0xe, 0, false);
    idt_gate32(EXC_NP, HANDLERS + 0x100, 0xe, 0, true);
    load_code(HANDLERS + 0x100, hlt, 1);
    uint32_t esp = (uint32_t)h.cpu.gpr[R_SP];
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0x101);
    /* Error code: IDT entry 6, IDT bit, EXT bit. */
    ck_assert_uint_eq(rd32(esp - 16), EXC_UD * 8 + 2 + 1);
}
END_TEST

START_TEST(int_from_ring3_switches_stack_and_iret_returns)
{
    static const uint8_t user[] = {0xcd, 0x80, 0xeb, 0xfe}; /* int 0x80 ; jmp $ */
    static const uint8_t handler[] = {0xb8, 0x11, 0x22, 0x33, 0x44, 0xcf}; /* mov eax ; iret */
    load_code(CODE_AT, user, sizeof(user));
    load_code(HANDLERS, handler, sizeof(handler));
    idt_gate32(0x80, HANDLERS, 0xf, 3, true); /* trap gate, DPL 3 */
    to_ring3();
    h.cpu.gpr[R_SP] = 0x70000;
    h.cpu.rflags |= F_IF;
    h.cpu.quantum_end = h.cpu.icount + 1;
    /* Stop right after the INT to look at the ring-0 frame. */
    ck_assert_int_eq(harness_run(&h, CODE_AT, 1), -2);
    ck_assert_uint_eq(h.cpu.cpl, 0);
    ck_assert_uint_eq(h.cpu.seg[S_SS].sel, DATA0);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x90000 - 20);
    ck_assert_uint_eq(rd32(0x90000 - 20), CODE_AT + 2);
    ck_assert_uint_eq(rd32(0x90000 - 16), CODE3);
    ck_assert_uint_eq(rd32(0x90000 - 8), 0x70000);
    ck_assert_uint_eq(rd32(0x90000 - 4), DATA3);
    ck_assert(h.cpu.rflags & F_IF); /* trap gate keeps IF */
    /* Continue: the handler IRETs to ring 3, which spins. */
    h.cpu.quantum_end = h.cpu.icount + 50;
    cpu_run(&h.cpu);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x44332211);
    ck_assert_uint_eq(h.cpu.cpl, 3);
    ck_assert_uint_eq(h.cpu.seg[S_CS].sel, CODE3);
    ck_assert_uint_eq(h.cpu.seg[S_SS].sel, DATA3);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x70000);
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + 2);
}
END_TEST

START_TEST(int_through_dpl0_gate_from_ring3_is_gp)
{
    static const uint8_t user[] = {0xcd, 0x81};
    load_code(CODE_AT, user, sizeof(user));
    idt_gate32(0x81, HANDLERS, 0xe, 0, true);
    idt_gate32(EXC_GP, HANDLERS + 0x100, 0xe, 0, true);
    load_code(HANDLERS + 0x100, hlt, 1);
    to_ring3();
    h.cpu.gpr[R_SP] = 0x70000;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 10), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0x101);
    ck_assert_uint_eq(rd32(0x90000 - 24), 0x81 * 8 + 2); /* software: EXT = 0 */
    ck_assert_uint_eq(rd32(0x90000 - 20), CODE_AT);      /* the INT itself faulted */
}
END_TEST

START_TEST(real_mode_int_and_iret)
{
    harness_free(&h);
    harness_init(&h, 16);
    static const uint8_t code[] = {0xcd, 0x21, 0xf4};
    static const uint8_t handler[] = {0xb8, 0x34, 0x12, 0xcf};
    harness_load(&h, 0x1000, code, sizeof(code));
    harness_load(&h, 0x3000, handler, sizeof(handler));
    physmem_write(&h.mem, 0x21 * 4, 0x3000, 4); /* 0000:3000 */
    h.cpu.gpr[R_SP] = 0x8000;
    h.cpu.rflags |= F_IF;
    ck_assert_int_eq(harness_run(&h, 0x1000, 100), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX] & 0xffff, 0x1234);
    ck_assert_uint_eq(h.cpu.rip, 0x1003);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x8000);
    ck_assert(h.cpu.rflags & F_IF); /* restored by IRET */
    ck_assert_uint_eq(physmem_read(&h.mem, 0x8000 - 6, 2), 0x1002);
}
END_TEST

static int intr_requests;

static bool test_intr_pending(struct cpu *cpu)
{
    (void)cpu;
    return intr_requests > 0;
}

static int test_intr_ack(struct cpu *cpu)
{
    (void)cpu;
    intr_requests--;
    return 0x40;
}

START_TEST(external_interrupt_after_sti_shadow)
{
    static const uint8_t code[] = {0xfb, 0x90, 0x90, 0xf4}; /* sti ; nop ; nop ; hlt */
    load_code(CODE_AT, code, sizeof(code));
    idt_gate32(0x40, HANDLERS, 0xe, 0, true);
    load_code(HANDLERS, hlt, 1);
    h.cpu.intr_pending = test_intr_pending;
    h.cpu.intr_ack = test_intr_ack;
    intr_requests = 1;
    uint32_t esp = (uint32_t)h.cpu.gpr[R_SP];
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 1);
    ck_assert(!(h.cpu.rflags & F_IF)); /* interrupt gate */
    /* Taken after the STI's shadow: never between STI and the next insn. */
    uint32_t ret = rd32(esp - 12);
    ck_assert(ret > CODE_AT + 1 && ret <= CODE_AT + 4);
    ck_assert_int_eq(intr_requests, 0);
}
END_TEST

START_TEST(hlt_with_if_clear_is_not_woken)
{
    static const uint8_t code[] = {0xfa, 0xf4}; /* cli ; hlt */
    load_code(CODE_AT, code, sizeof(code));
    h.cpu.intr_pending = test_intr_pending;
    h.cpu.intr_ack = test_intr_ack;
    intr_requests = 1;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + 2);
    h.cpu.quantum_end = h.cpu.icount + 10;
    cpu_run(&h.cpu);
    ck_assert(h.cpu.halted);
    ck_assert_int_eq(intr_requests, 1);
}
END_TEST

START_TEST(wakeable_follows_if_and_nmi_blocking)
{
    h.cpu.intr_pending = test_intr_pending;
    h.cpu.intr_ack = test_intr_ack;
    intr_requests = 1;
    h.cpu.rflags &= ~(uint64_t)F_IF;
    ck_assert(!cpu_wakeable(&h.cpu));
    h.cpu.rflags |= F_IF;
    ck_assert(cpu_wakeable(&h.cpu));
    intr_requests = 0;
    ck_assert(!cpu_wakeable(&h.cpu));
    h.cpu.nmi_pending = true;
    ck_assert(cpu_wakeable(&h.cpu));
    h.cpu.nmi_blocked = true;
    ck_assert(!cpu_wakeable(&h.cpu));
}
END_TEST

START_TEST(real_mode_divide_error_through_ivt)
{
    harness_free(&h);
    harness_init(&h, 16);
    static const uint8_t code[] = {0x31, 0xc9, 0xf7, 0xf1, 0xf4}; /* xor cx,cx ; div cx */
    static const uint8_t handler[] = {0xf4};
    harness_load(&h, 0x1000, code, sizeof(code));
    harness_load(&h, 0x3000, handler, 1);
    physmem_write(&h.mem, 0, 0x3000, 4);
    h.cpu.gpr[R_SP] = 0x8000;
    ck_assert_int_eq(harness_run(&h, 0x1000, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, 0x3001);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x8000 - 6, 2), 0x1002); /* fault: the DIV */
}
END_TEST

START_TEST(nmi_is_blocked_until_iret)
{
    static const uint8_t spin[] = {0xeb, 0xfe};
    static const uint8_t handler[] = {0xeb, 0x00, 0xcf}; /* jmp (ends the block) ; iret */
    load_code(CODE_AT, spin, 2);
    load_code(HANDLERS, handler, sizeof(handler));
    idt_gate32(EXC_NMI, HANDLERS, 0xe, 0, true);
    h.cpu.nmi_pending = true;
    h.cpu.rip = CODE_AT;
    h.cpu.quantum_end = h.cpu.icount + 1;
    cpu_run(&h.cpu);
    ck_assert(h.cpu.nmi_blocked);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 2);
    h.cpu.nmi_pending = true; /* a second NMI waits */
    h.cpu.quantum_end = h.cpu.icount + 1;
    cpu_run(&h.cpu);          /* runs the IRET */
    ck_assert_uint_eq(h.cpu.rip, CODE_AT);
    ck_assert(!h.cpu.nmi_blocked);
    ck_assert(h.cpu.nmi_pending);
}
END_TEST

START_TEST(double_fault_through_task_gate)
{
    load_code(CODE_AT, raise_gp_code, sizeof(raise_gp_code));
    idt_gate32(EXC_GP, HANDLERS, 0xe, 0, false);
    put64(&h, IDT_BASE + EXC_DF * 8, make_gate(TSS2_SEL, 0, 0x5, 0, true, 0));
    /* The double-fault task. */
    physmem_write(&h.mem, TSS2_BASE + 0x20, HANDLERS + 0x200, 4); /* EIP */
    physmem_write(&h.mem, TSS2_BASE + 0x24, 2, 4);                /* EFLAGS */
    physmem_write(&h.mem, TSS2_BASE + 0x38, 0x88000, 4);          /* ESP */
    physmem_write(&h.mem, TSS2_BASE + 0x4c, CODE0, 2);
    for (unsigned off = 0x48; off <= 0x5c; off += 4)
        if (off != 0x4c)
            physmem_write(&h.mem, TSS2_BASE + off, DATA0, 2);
    load_code(HANDLERS + 0x200, hlt, 1);
    h.cpu.gpr[R_BX] = 0xb0b0;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.tr.sel, TSS2_SEL);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0x201);
    ck_assert(h.cpu.rflags & F_NT);
    ck_assert(h.cpu.cr0 & CR0_TS);
    ck_assert_uint_eq(physmem_read(&h.mem, TSS2_BASE, 2), TSS_SEL); /* back link */
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x88000 - 4);
    ck_assert_uint_eq(rd32(0x88000 - 4), 0); /* #DF error code */
    /* The old task's state was saved: EIP of the faulting WRMSR, EBX. */
    ck_assert_uint_eq(rd32(TSS_BASE + 0x20), CODE_AT + 5);
    ck_assert_uint_eq(rd32(TSS_BASE + 0x34), 0xb0b0);
    /* Both TSSs are busy (nested task). */
    ck_assert_uint_eq((get64(&h, GDT_BASE + TSS2_SEL) >> 40) & 0xf, 0xb);
    ck_assert_uint_eq((get64(&h, GDT_BASE + TSS_SEL) >> 40) & 0xf, 0xb);
}
END_TEST

START_TEST(jmp_to_tss_clears_old_busy)
{
    static const uint8_t code[] = {0xea, 0, 0, 0, 0, TSS2_SEL, 0}; /* ljmp TSS2:0 */
    load_code(CODE_AT, code, sizeof(code));
    physmem_write(&h.mem, TSS2_BASE + 0x20, HANDLERS + 0x300, 4);
    physmem_write(&h.mem, TSS2_BASE + 0x24, 2, 4);
    physmem_write(&h.mem, TSS2_BASE + 0x4c, CODE0, 2);
    for (unsigned off = 0x48; off <= 0x5c; off += 4)
        if (off != 0x4c)
            physmem_write(&h.mem, TSS2_BASE + off, DATA0, 2);
    load_code(HANDLERS + 0x300, hlt, 1);
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.tr.sel, TSS2_SEL);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0x301);
    ck_assert(!(h.cpu.rflags & F_NT));
    ck_assert_uint_eq((get64(&h, GDT_BASE + TSS_SEL) >> 40) & 0xf, 0x9);
    ck_assert_uint_eq(rd32(TSS_BASE + 0x20), CODE_AT + 7); /* EIP after the JMP */
}
END_TEST

START_TEST(call_to_task_and_iret_back)
{
    static const uint8_t code[] = {0x9a, 0, 0, 0, 0, TSS2_SEL, 0, /* lcall TSS2:0 */
                                   0xf4};
    static const uint8_t task[] = {0xbb, 0x78, 0x56, 0x34, 0x12, 0xcf}; /* mov ebx ; iret */
    load_code(CODE_AT, code, sizeof(code));
    load_code(HANDLERS + 0x400, task, sizeof(task));
    physmem_write(&h.mem, TSS2_BASE + 0x20, HANDLERS + 0x400, 4);
    physmem_write(&h.mem, TSS2_BASE + 0x24, 2, 4);
    physmem_write(&h.mem, TSS2_BASE + 0x38, 0x88000, 4);
    physmem_write(&h.mem, TSS2_BASE + 0x4c, CODE0, 2);
    for (unsigned off = 0x48; off <= 0x5c; off += 4)
        if (off != 0x4c)
            physmem_write(&h.mem, TSS2_BASE + off, DATA0, 2);
    h.cpu.gpr[R_BX] = 1;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    /* Back in the first task after its CALL, with the callee's EBX saved
     * in TSS2 and our own EBX restored from TSS1. */
    ck_assert_uint_eq(h.cpu.tr.sel, TSS_SEL);
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + 8);
    ck_assert_uint_eq(h.cpu.gpr[R_BX], 1);
    ck_assert_uint_eq(rd32(TSS2_BASE + 0x34), 0x12345678);
    ck_assert(!(h.cpu.rflags & F_NT));
    /* IRET cleared TSS2's busy bit; TSS1 stays busy. */
    ck_assert_uint_eq((get64(&h, GDT_BASE + TSS2_SEL) >> 40) & 0xf, 0x9);
    ck_assert_uint_eq((get64(&h, GDT_BASE + TSS_SEL) >> 40) & 0xf, 0xb);
}
END_TEST

/* --- IA-32e mode --- */

enum { L_CODE0 = 0x08, L_DATA0 = 0x10, L_CODE3 = 0x1b, L_DATA3 = 0x23, L_TSS = 0x28 };

static void setup64(void)
{
    harness_init(&h, 64);
    sys_gdt_flat(&h, 0xa);
    put64(&h, GDT_BASE + L_TSS, make_sys_desc(TSS_BASE, 0x67, 0xb, 0));
    put64(&h, GDT_BASE + L_TSS + 8, 0);
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x37};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 16 - 1};
    h.cpu.tr = (struct segment){.sel = L_TSS, .base = TSS_BASE, .limit = 0x67,
                                .attr = SEG_P | 0xb};
    put64(&h, TSS_BASE + 4, 0x90000);      /* RSP0 */
    put64(&h, TSS_BASE + 0x24, 0xa0008);   /* IST1 (unaligned on purpose) */
    h.cpu.seg[S_CS].sel = L_CODE0;
    /* Make the harness's identity map user-accessible for the ring-3 tests. */
    put64(&h, 0x1000, 0x2000 | 7);
    put64(&h, 0x2000, 0x3000 | 7);
    for (uint64_t i = 0; i < 512; i++)
        put64(&h, 0x3000 + i * 8, (i << 21) | 0x87);
    tlb_flush_all(&h.cpu.tlb);
}

static void idt_gate64(unsigned vec, uint64_t off, unsigned type, unsigned dpl, unsigned ist)
{
    uint64_t lo = make_gate(L_CODE0, (uint32_t)off, type, dpl, true, 0) | ((uint64_t)ist << 32);
    put64(&h, IDT_BASE + vec * 16, lo);
    put64(&h, IDT_BASE + vec * 16 + 8, off >> 32);
}

START_TEST(long_mode_ring3_int_and_iretq)
{
    static const uint8_t user[] = {0xcd, 0x80, 0xeb, 0xfe};
    static const uint8_t handler[] = {0x48, 0xcf}; /* iretq */
    load_code(CODE_AT, user, sizeof(user));
    load_code(HANDLERS, handler, sizeof(handler));
    idt_gate64(0x80, HANDLERS, 0xe, 3, 0);
    struct cpu *c = &h.cpu;
    c->seg[S_CS].sel = L_CODE3;
    c->seg[S_CS].attr |= 3u << 5;
    c->seg[S_SS].sel = L_DATA3;
    c->seg[S_SS].attr |= 3u << 5;
    cpu_update_mode(c);
    ck_assert_uint_eq(c->cpl, 3);
    c->gpr[R_SP] = 0x70008;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 1), -2);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->seg[S_SS].sel, 0);
    ck_assert_uint_eq(c->gpr[R_SP], 0x90000 - 40);
    ck_assert_uint_eq(get64(&h, 0x90000 - 40), CODE_AT + 2);
    ck_assert_uint_eq(get64(&h, 0x90000 - 32), L_CODE3);
    ck_assert_uint_eq(get64(&h, 0x90000 - 16), 0x70008);
    ck_assert_uint_eq(get64(&h, 0x90000 - 8), L_DATA3);
    ck_assert(!(c->rflags & F_IF));
    c->quantum_end = c->icount + 20;
    cpu_run(c);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->seg[S_SS].sel, L_DATA3);
    ck_assert_uint_eq(c->gpr[R_SP], 0x70008);
    ck_assert_uint_eq(c->rip, CODE_AT + 2);
    ck_assert_int_eq(c->mode, MODE_LONG);
}
END_TEST

START_TEST(long_mode_ist_stack_is_aligned)
{
    static const uint8_t code[] = {0x31, 0xc9, 0xf7, 0xf1}; /* xor ecx,ecx ; div ecx */
    load_code(CODE_AT, code, sizeof(code));
    load_code(HANDLERS, hlt, 1);
    idt_gate64(EXC_DE, HANDLERS, 0xe, 0, 1);
    h.cpu.gpr[R_SP] = 0x70000;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 10), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 1);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0xa0000 - 40);
    ck_assert_uint_eq(get64(&h, 0xa0000 - 40), CODE_AT + 2);
    ck_assert_uint_eq(get64(&h, 0xa0000 - 16), 0x70000);
}
END_TEST

START_TEST(long_mode_rejects_32bit_gate_type)
{
    load_code(CODE_AT, raise_gp_code, sizeof(raise_gp_code));
    put64(&h, IDT_BASE + EXC_GP * 16, make_gate(L_CODE0, HANDLERS, 0x6, 0, true, 0));
    idt_gate64(EXC_DF, HANDLERS + 0x100, 0xe, 0, 0);
    load_code(HANDLERS + 0x100, hlt, 1);
    ck_assert_int_eq(harness_run(&h, CODE_AT, 10), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0x101); /* #GP on the gate -> #DF */
}
END_TEST

static Suite *interrupt_suite(void)
{
    Suite *s = suite_create("interrupt");
    TCase *tc = tcase_create("protected");
    tcase_add_checked_fixture(tc, setup32, teardown);
    tcase_add_test(tc, gp_with_error_code_same_privilege);
    tcase_add_test(tc, contributory_during_delivery_is_double_fault);
    tcase_add_test(tc, fault_during_double_fault_is_triple_fault);
    tcase_add_test(tc, benign_then_fault_is_serial);
    tcase_add_test(tc, int_from_ring3_switches_stack_and_iret_returns);
    tcase_add_test(tc, int_through_dpl0_gate_from_ring3_is_gp);
    tcase_add_test(tc, real_mode_int_and_iret);
    tcase_add_test(tc, external_interrupt_after_sti_shadow);
    tcase_add_test(tc, hlt_with_if_clear_is_not_woken);
    tcase_add_test(tc, nmi_is_blocked_until_iret);
    tcase_add_test(tc, wakeable_follows_if_and_nmi_blocking);
    tcase_add_test(tc, real_mode_divide_error_through_ivt);
    tcase_add_test(tc, double_fault_through_task_gate);
    tcase_add_test(tc, jmp_to_tss_clears_old_busy);
    tcase_add_test(tc, call_to_task_and_iret_back);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("long");
    tcase_add_checked_fixture(tl, setup64, teardown);
    tcase_add_test(tl, long_mode_ring3_int_and_iretq);
    tcase_add_test(tl, long_mode_ist_stack_is_aligned);
    tcase_add_test(tl, long_mode_rejects_32bit_gate_type);
    suite_add_tcase(s, tl);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(interrupt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
