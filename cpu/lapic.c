#include "cpu/lapic.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/tsc.h"

#define REG(a, off) ((a)->regs[(off) >> 4])

static int highest_bit(const uint32_t v[8])
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

static void set_bit(uint32_t v[8], unsigned n) { v[n >> 5] |= 1u << (n & 31); }
static void clear_bit(uint32_t v[8], unsigned n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool test_bit(const uint32_t v[8], unsigned n) { return (v[n >> 5] >> (n & 31)) & 1; }

/* Keep cpu->intr_idle in step with IRR and ExtINT (see cpu/cpu.h); called
 * after every change of either. */
static void update_idle(struct lapic *a)
{
    uint32_t any = 0;
    for (int i = 0; i < 8; i++)
        any |= a->irr[i];
    a->cpu->intr_idle = !any && !a->extint_pending;
}

bool lapic_x2apic(const struct lapic *a)
{
    return (a->cpu->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
           (APIC_BASE_EN | APIC_BASE_EXTD);
}

bool lapic_enabled(const struct lapic *a)
{
    return (a->cpu->apic_base & APIC_BASE_EN) && (REG(a, LAPIC_SVR) & 0x100);
}

/* SDM Vol.3A 11.8.3.1: PPR is the higher of TPR and the class of the
 * highest in-service vector. */
static uint32_t ppr(const struct lapic *a)
{
    uint32_t tpr = REG(a, LAPIC_TPR) & 0xff;
    int isrv = highest_bit(a->isr);
    uint32_t isr_class = isrv < 0 ? 0 : ((uint32_t)isrv & 0xf0);
    return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

static void kick(struct lapic *a)
{
    /* The CPU looks at pending interrupts between blocks; make it look soon. */
    a->cpu->stop_block = true;
}

/* --- timer (SDM Vol.3A 11.5.4) --- */

static unsigned timer_divisor(const struct lapic *a)
{
    uint32_t d = REG(a, LAPIC_TIMER_DIV);
    unsigned code = ((d >> 1) & 4) | (d & 3);
    return code == 7 ? 1 : 2u << code;
}

static unsigned timer_mode(const struct lapic *a)
{
    return (REG(a, LAPIC_LVT_TIMER) >> 17) & 3;
}

/* The APIC timer counts at the bus clock, 1 GHz: one tick per nanosecond
 * before the divider. */
static uint64_t timer_period_ns(const struct lapic *a)
{
    return (uint64_t)REG(a, LAPIC_TIMER_INIT) * timer_divisor(a);
}

static void timer_fire(void *opaque, uint64_t now);

static void timer_rearm(struct lapic *a)
{
    timer_disarm(a->clock, &a->timer);
    if (timer_mode(a) == 2) {
        if (!a->tsc_deadline)
            return;
        /* SDM 11.5.4.1: a deadline already passed fires at once. */
        if (a->tsc_deadline <= lapic_tsc(a))
            timer_fire(a, a->clock->now_ns);
        else
            timer_arm(a->clock, &a->timer, cpu_tsc_deadline_ns(a->cpu, a->tsc_deadline));
        return;
    }
    uint64_t period = timer_period_ns(a);
    if (!period)
        return;
    timer_arm(a->clock, &a->timer, a->timer_start_ns + period);
}

static void timer_fire(void *opaque, uint64_t now)
{
    struct lapic *a = opaque;
    uint32_t lvt = REG(a, LAPIC_LVT_TIMER);
    if (timer_mode(a) == 2) {
        a->tsc_deadline = 0;
    } else if (timer_mode(a) == 1) {
        uint64_t period = timer_period_ns(a);
        if (period) {
            /* Catch up without drifting: the next expiry is a whole number
             * of periods after the load. */
            uint64_t n = (now - a->timer_start_ns) / period;
            a->timer_start_ns += n * period;
            timer_arm(a->clock, &a->timer, a->timer_start_ns + period);
        }
    }
    if (!(lvt & LAPIC_LVT_MASKED))
        lapic_accept(a, lvt & 0xff, 0, false);
}

static uint32_t timer_current(const struct lapic *a)
{
    uint32_t init = REG(a, LAPIC_TIMER_INIT);
    /* An expired one-shot count stays 0, also after a switch to periodic
     * mode: only a TMICT write restarts it (SDM 11.5.4). */
    if (!init || timer_mode(a) == 2 || !a->timer.armed)
        return 0;
    uint64_t elapsed = (clock_now(a->clock) - a->timer_start_ns) / timer_divisor(a);
    if (timer_mode(a) == 1)
        return init - (uint32_t)(elapsed % init);
    return elapsed >= init ? 0 : init - (uint32_t)elapsed;
}

uint64_t lapic_tsc(const struct lapic *a)
{
    return cpu_tsc(a->cpu);
}

void lapic_set_tsc_deadline(struct lapic *a, uint64_t deadline)
{
    if (timer_mode(a) != 2)
        return; /* SDM 11.5.4.1: writes are ignored outside TSC-deadline mode */
    a->tsc_deadline = deadline;
    timer_rearm(a);
}

/* --- life cycle --- */

void lapic_init(struct lapic *a, struct cpu *cpu, struct clock *clock, uint32_t id)
{
    memset(a, 0, sizeof(*a));
    a->cpu = cpu;
    a->clock = clock;
    a->id = id;
    timer_init(&a->timer, timer_fire, a, "lapic-timer");
    cpu->lapic = a;
}

/* SDM Vol.3A 11.4.7.1: state after power-up/reset (INIT keeps the base MSR). */
void lapic_reset(struct lapic *a, bool bsp)
{
    (void)bsp;
    timer_disarm(a->clock, &a->timer);
    memset(a->regs, 0, sizeof(a->regs));
    memset(a->irr, 0, sizeof(a->irr));
    memset(a->isr, 0, sizeof(a->isr));
    memset(a->tmr, 0, sizeof(a->tmr));
    a->icr_hi = 0;
    a->tsc_deadline = 0;
    a->extint_pending = false;
    update_idle(a);
    REG(a, LAPIC_ID) = a->id << 24;
    /* SDM Vol.3A 11.4.8: version 0x14, max LVT entry 6 = 7 LVT entries
     * (CMCI, timer, thermal, perf, LINT0, LINT1, error), matching
     * MCG_CAP.CMCI_P in cpu/msr.c. */
    REG(a, LAPIC_VER) = 0x00060014;
    REG(a, LAPIC_DFR) = 0xffffffff;
    REG(a, LAPIC_SVR) = 0xff;
    REG(a, LAPIC_LVT_CMCI) = LAPIC_LVT_MASKED;
    for (unsigned off = LAPIC_LVT_TIMER; off <= LAPIC_LVT_ERROR; off += 0x10)
        REG(a, off) = LAPIC_LVT_MASKED;
}

bool lapic_set_base(struct lapic *a, uint64_t value)
{
    uint64_t old = a->cpu->apic_base;
    /* Reserved bits: MAXPHYADDR and above, bits 0-7, 9. */
    if (value & (phys_reserved_mask(a->cpu) | 0x2ffull))
        return false;
    bool old_en = old & APIC_BASE_EN;
    bool old_x2 = old_en && (old & APIC_BASE_EXTD);
    bool new_en = value & APIC_BASE_EN, new_x2 = new_en && (value & APIC_BASE_EXTD);
    /* SDM 11.12.5 (x2APIC state transitions): x2APIC -> xAPIC directly,
     * disabled -> x2APIC directly (xAPIC mode must come first), and EXTD
     * without EN are invalid. */
    if ((value & APIC_BASE_EXTD) && !new_en)
        return false;
    if (old_x2 && new_en && !new_x2)
        return false;
    if (!old_en && new_x2)
        return false;
    a->cpu->apic_base = value;
    if (!new_en) {
        lapic_reset(a, value & APIC_BASE_BSP);
    } else if (new_x2 && !old_x2) {
        /* Entering x2APIC mode: logical ID derived from the x2APIC ID. */
        REG(a, LAPIC_LDR) = ((a->id >> 4) << 16) | (1u << (a->id & 0xf));
    }
    return true;
}

/* --- interrupt acceptance and delivery to the core --- */

void lapic_accept(struct lapic *a, uint8_t vector, unsigned mode, bool level_trig)
{
    struct cpu *cpu = a->cpu;
    switch (mode) {
    case 0: /* fixed */
    case 1: /* lowest priority */
        if (!(a->cpu->apic_base & APIC_BASE_EN))
            return;
        if (vector < 16) {
            REG(a, LAPIC_ESR) |= 1u << 6; /* received illegal vector */
            return;
        }
        set_bit(a->irr, vector);
        update_idle(a);
        if (level_trig)
            set_bit(a->tmr, vector);
        else
            clear_bit(a->tmr, vector);
        kick(a);
        break;
    case 2: /* SMI: not supported, dropped */
        break;
    case 4: /* NMI */
        cpu->nmi_pending = true;
        kick(a);
        break;
    case 5: /* INIT */
        cpu->init_pending = true;
        cpu->sipi_pending = false; /* a SIPI before the INIT is superseded */
        kick(a);
        /* The machine loop takes INIT between turns: a vCPU that INITs
         * itself ends its turn here rather than running on for the rest
         * of its quantum. (A vCPU that is not running gets a new quantum
         * at its next turn; in VMX non-root the INIT exits at the next
         * instruction boundary through the dispatch loop's event check.) */
        if (!cpu->vmx_nonroot)
            cpu->quantum_end = cpu->icount;
        break;
    case 6: /* SIPI: only honoured while waiting for one; a pending INIT
             * puts the CPU there before the SIPI is looked at (INIT and
             * SIPI may arrive within one quantum of the sender). */
        if (cpu->wait_for_sipi || cpu->init_pending) {
            cpu->sipi_vector = vector;
            cpu->sipi_pending = true;
        }
        break;
    case 7: /* ExtINT */
        a->extint_pending = true;
        update_idle(a);
        kick(a);
        break;
    }
}

void lapic_set_lint0(struct lapic *a, bool level)
{
    a->lint0_level = level;
    uint32_t lvt = REG(a, LAPIC_LVT_LINT0);
    /* A disabled APIC passes INTR straight to the core (virtual wire). */
    if (!lapic_enabled(a)) {
        a->extint_pending = level;
        update_idle(a);
        if (level)
            kick(a);
        return;
    }
    if (lvt & LAPIC_LVT_MASKED) {
        a->extint_pending = false;
        update_idle(a);
        return;
    }
    unsigned mode = (lvt >> 8) & 7;
    if (mode == 7) {
        a->extint_pending = level;
        update_idle(a);
        if (level)
            kick(a);
    } else if (level) {
        lapic_accept(a, lvt & 0xff, mode, (lvt >> 15) & 1);
    }
}

bool lapic_timer_may_fire(const struct lapic *a)
{
    return lapic_enabled(a) && !(REG(a, LAPIC_LVT_TIMER) & LAPIC_LVT_MASKED);
}

bool lapic_lint0_open(const struct lapic *a)
{
    uint32_t lvt = REG(a, LAPIC_LVT_LINT0);
    unsigned mode = (lvt >> 8) & 7;
    return !(lvt & LAPIC_LVT_MASKED) && (mode == 0 || mode == 7);
}

bool lapic_lint0_ignores_if(const struct lapic *a)
{
    /* A disabled local APIC passes LINT0 to INTR (lapic_set_lint0), which
     * IF masks. */
    uint32_t lvt = REG(a, LAPIC_LVT_LINT0);
    unsigned mode = (lvt >> 8) & 7;
    return lapic_enabled(a) && !(lvt & LAPIC_LVT_MASKED) && (mode == 4 || mode == 5);
}

void lapic_perf_interrupt(struct lapic *a)
{
    uint32_t lvt = REG(a, LAPIC_LVT_PERF);
    unsigned mode = (lvt >> 8) & 7;
    if (lvt & LAPIC_LVT_MASKED)
        return;
    REG(a, LAPIC_LVT_PERF) = lvt | LAPIC_LVT_MASKED;
    /* Fixed, SMI or NMI (Linux uses NMI); INIT and ExtINT are not
     * supported for this entry (SDM Vol.3A figure 11-8) and deliver nothing. */
    if (mode == 0 || mode == 2 || mode == 4)
        lapic_accept(a, lvt & 0xff, mode, false);
}

bool lapic_intr_pending(const struct lapic *a)
{
    if (a->extint_pending)
        return true;
    if (!lapic_enabled(a))
        return false;
    int v = highest_bit(a->irr);
    return v >= 0 && ((uint32_t)v & 0xf0) > (ppr(a) & 0xf0);
}

int lapic_ack(struct lapic *a)
{
    if (a->extint_pending && a->extint_ack) {
        /* The INTA cycle takes this request; the PIC's answer may assert
         * INTR again for the next one (its callback sets LINT0 anew), so
         * the flag is cleared before, not after, asking it. */
        a->extint_pending = false;
        update_idle(a);
        return a->extint_ack(a->opaque);
    }
    int v = highest_bit(a->irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(a) & 0xf0))
        return REG(a, LAPIC_SVR) & 0xff; /* spurious (SDM 11.9) */
    clear_bit(a->irr, (unsigned)v);
    update_idle(a);
    set_bit(a->isr, (unsigned)v);
    return v;
}

static void do_eoi(struct lapic *a)
{
    int v = highest_bit(a->isr);
    if (v < 0)
        return;
    clear_bit(a->isr, (unsigned)v);
    /* SDM 11.8.5: level-triggered vectors broadcast the EOI to the I/O APICs
     * unless suppressed through SVR bit 12. */
    if (test_bit(a->tmr, (unsigned)v) && !(REG(a, LAPIC_SVR) & (1u << 12)) && a->eoi)
        a->eoi(a->opaque, (uint8_t)v);
    kick(a);
}

/* --- destinations (SDM Vol.3A 11.6.2) --- */

bool lapic_match(const struct lapic *a, uint32_t dest, bool logical)
{
    bool x2 = lapic_x2apic(a);
    if (!logical) {
        if (x2)
            return dest == 0xffffffffu || dest == a->id;
        return (dest & 0xff) == 0xff || (dest & 0xff) == (a->id & 0xff);
    }
    if (x2) {
        if (dest == 0xffffffffu)
            return true;
        uint32_t ldr = REG(a, LAPIC_LDR);
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    uint32_t mda = dest & 0xff;
    if (mda == 0xff)
        return true;
    uint32_t ldr = REG(a, LAPIC_LDR) >> 24;
    if ((REG(a, LAPIC_DFR) >> 28) == 0xf)
        return (mda & ldr) != 0; /* flat model */
    return (mda >> 4) == (ldr >> 4) && (mda & ldr & 0xf); /* cluster model */
}

void lapic_route(struct lapic **all, int n, struct lapic *from, unsigned shorthand,
                 uint32_t dest, bool logical, uint8_t vector, unsigned mode, bool level_trig)
{
    for (int i = 0; i < n; i++) {
        struct lapic *a = all[i];
        bool hit;
        switch (shorthand) {
        case 1: hit = a == from; break;
        case 2: hit = true; break;
        case 3: hit = a != from; break;
        default: hit = lapic_match(a, dest, logical); break;
        }
        if (!hit)
            continue;
        lapic_accept(a, vector, mode, level_trig);
        /* Lowest priority goes to one APIC: the first match is a valid
         * choice (SDM 11.6.2.4 leaves the arbitration model-specific). */
        if (mode == 1 && shorthand == 0)
            return;
    }
}

static void send_icr(struct lapic *a, uint32_t lo, uint32_t dest)
{
    unsigned mode = (lo >> 8) & 7;
    /* INIT level de-assert is a no-op on modern processors (SDM 10.6.1). */
    if (mode == 5 && !(lo & (1u << 14)) && ((lo >> 15) & 1))
        return;
    if (a->send_ipi)
        a->send_ipi(a->opaque, a, lo, dest);
}

/* --- register access --- */

uint8_t lapic_tpr(const struct lapic *a)
{
    return (uint8_t)REG(a, LAPIC_TPR);
}

static void reg_write(struct lapic *a, uint32_t off, uint32_t v);

void lapic_set_tpr(struct lapic *a, uint8_t tpr)
{
    reg_write(a, LAPIC_TPR, tpr);
}

void lapic_eoi(struct lapic *a)
{
    reg_write(a, LAPIC_EOI, 0);
}

static uint32_t reg_read(struct lapic *a, uint32_t off)
{
    switch (off) {
    case LAPIC_PPR: return ppr(a);
    case LAPIC_TIMER_CUR: return timer_current(a);
    case LAPIC_ICR_HI: return a->icr_hi;
    case LAPIC_APR: return 0;
    default: break;
    }
    if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80)
        return a->isr[(off - LAPIC_ISR) >> 4];
    if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80)
        return a->tmr[(off - LAPIC_TMR) >> 4];
    if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80)
        return a->irr[(off - LAPIC_IRR) >> 4];
    if (off < 0x400)
        return a->regs[off >> 4];
    return 0;
}

static void lvt_write(struct lapic *a, uint32_t off, uint32_t v)
{
    static const uint32_t mask_timer = 0x700ff, mask_lint = 0x1a7ff, mask_other = 0x107ff;
    uint32_t m = off == LAPIC_LVT_TIMER ? mask_timer
                 : (off == LAPIC_LVT_LINT0 || off == LAPIC_LVT_LINT1) ? mask_lint
                                                                      : mask_other;
    if (!(REG(a, LAPIC_SVR) & 0x100))
        v |= LAPIC_LVT_MASKED; /* SDM 11.4.7.2: software-disabled APIC keeps LVTs masked */
    uint32_t old_mode = timer_mode(a);
    REG(a, off) = v & m;
    if (off == LAPIC_LVT_TIMER && timer_mode(a) != old_mode) {
        if (timer_mode(a) == 2 || old_mode == 2) {
            /* Into or out of TSC-deadline mode disarms the timer (SDM
             * 11.5.4.1). */
            REG(a, LAPIC_TIMER_INIT) = 0;
            a->tsc_deadline = 0;
            timer_disarm(a->clock, &a->timer);
        } else {
            /* One-shot <-> periodic: a running count goes on in the new
             * mode; an expired one-shot count stays at 0. */
            if (a->timer.armed)
                timer_rearm(a);
        }
    }
    if (off == LAPIC_LVT_LINT0)
        lapic_set_lint0(a, a->lint0_level);
}

static void reg_write(struct lapic *a, uint32_t off, uint32_t v)
{
    switch (off) {
    case LAPIC_ID:
        if (!lapic_x2apic(a))
            REG(a, LAPIC_ID) = v & 0xff000000u;
        break;
    case LAPIC_TPR:
        REG(a, LAPIC_TPR) = v & 0xff;
        kick(a);
        break;
    case LAPIC_EOI: do_eoi(a); break;
    case LAPIC_LDR: REG(a, LAPIC_LDR) = v & 0xff000000u; break;
    case LAPIC_DFR: REG(a, LAPIC_DFR) = v | 0x0fffffffu; break;
    case LAPIC_SVR:
        REG(a, LAPIC_SVR) = v & 0x11ff;
        if (!(v & 0x100))
            for (uint32_t o = LAPIC_LVT_TIMER; o <= LAPIC_LVT_ERROR; o += 0x10)
                REG(a, o) |= LAPIC_LVT_MASKED;
        lapic_set_lint0(a, a->lint0_level);
        kick(a);
        break;
    case LAPIC_ESR: REG(a, LAPIC_ESR) = 0; break;
    case LAPIC_ICR_HI: a->icr_hi = v & 0xff000000u; break;
    case LAPIC_ICR_LO:
        REG(a, LAPIC_ICR_LO) = v & ~(1u << 12); /* delivery status: always idle */
        send_icr(a, v, a->icr_hi >> 24);
        break;
    case LAPIC_LVT_CMCI: case LAPIC_LVT_TIMER: case LAPIC_LVT_THERMAL: case LAPIC_LVT_PERF:
    case LAPIC_LVT_LINT0: case LAPIC_LVT_LINT1: case LAPIC_LVT_ERROR:
        lvt_write(a, off, v);
        break;
    case LAPIC_TIMER_INIT:
        if (timer_mode(a) == 2)
            break;
        REG(a, LAPIC_TIMER_INIT) = v;
        a->timer_start_ns = clock_now(a->clock);
        timer_rearm(a);
        break;
    case LAPIC_TIMER_DIV:
        REG(a, LAPIC_TIMER_DIV) = v & 0xb;
        break;
    default:
        break; /* read-only or reserved: ignored */
    }
}

uint32_t lapic_mmio_read(struct lapic *a, uint32_t offset)
{
    if (lapic_x2apic(a))
        return 0xffffffffu; /* SDM 11.12.1.2: the xAPIC page is gone in x2APIC mode */
    return reg_read(a, offset & 0xff0);
}

void lapic_mmio_write(struct lapic *a, uint32_t offset, uint32_t value)
{
    if (lapic_x2apic(a))
        return;
    if (offset & 0xf)
        return;
    reg_write(a, offset & 0xff0, value);
}

/* SDM Vol.3A 11.12.1.2, table 11-6: the x2APIC MSR map. */
bool lapic_msr_read(struct lapic *a, uint32_t msr, uint64_t *value)
{
    if (!lapic_x2apic(a) || msr < 0x800 || msr > 0x8ff)
        return false;
    uint32_t off = (msr - 0x800) << 4;
    switch (off) {
    case LAPIC_ID: *value = a->id; return true;
    case LAPIC_ICR_LO: *value = ((uint64_t)a->icr_hi << 32) | REG(a, LAPIC_ICR_LO); return true;
    case LAPIC_EOI: case LAPIC_SELF_IPI: case LAPIC_DFR: case LAPIC_APR: case LAPIC_RRD:
    case LAPIC_ICR_HI:
        return false;
    default: break;
    }
    if (off == LAPIC_VER || off == LAPIC_TPR || off == LAPIC_PPR || off == LAPIC_LDR ||
        off == LAPIC_SVR || off == LAPIC_ESR || off == LAPIC_TIMER_INIT ||
        off == LAPIC_TIMER_CUR || off == LAPIC_TIMER_DIV ||
        (off >= LAPIC_LVT_CMCI && off <= LAPIC_LVT_ERROR && off != LAPIC_ICR_LO &&
         off != LAPIC_ICR_HI) ||
        (off >= LAPIC_ISR && off < LAPIC_IRR + 0x80)) {
        *value = reg_read(a, off);
        return true;
    }
    return false;
}

bool lapic_msr_write(struct lapic *a, uint32_t msr, uint64_t value)
{
    if (!lapic_x2apic(a) || msr < 0x800 || msr > 0x8ff)
        return false;
    uint32_t off = (msr - 0x800) << 4;
    switch (off) {
    case LAPIC_ICR_LO:
        if (value & 0xfff32000ull) /* reserved ICR bits */
            return false;
        a->icr_hi = (uint32_t)(value >> 32);
        REG(a, LAPIC_ICR_LO) = (uint32_t)value;
        send_icr(a, (uint32_t)value, (uint32_t)(value >> 32));
        return true;
    case LAPIC_EOI:
        if (value)
            return false;
        do_eoi(a);
        return true;
    case LAPIC_SELF_IPI:
        if (value & ~0xffull)
            return false;
        lapic_accept(a, (uint8_t)value, 0, false);
        return true;
    case LAPIC_TPR: case LAPIC_SVR: case LAPIC_ESR: case LAPIC_TIMER_INIT:
    case LAPIC_TIMER_DIV: case LAPIC_LVT_CMCI: case LAPIC_LVT_TIMER: case LAPIC_LVT_THERMAL:
    case LAPIC_LVT_PERF: case LAPIC_LVT_LINT0: case LAPIC_LVT_LINT1: case LAPIC_LVT_ERROR:
        if (value >> 32)
            return false;
        if (off == LAPIC_ESR && value)
            return false;
        reg_write(a, off, (uint32_t)value);
        return true;
    default:
        return false; /* read-only or reserved */
    }
}
