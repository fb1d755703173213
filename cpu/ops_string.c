/* String instructions MOVS, CMPS, STOS, LODS, SCAS with REP/REPE/REPNE
 * (SDM Vol.2, Vol.1 7.3.9). The source is seg:rSI (DS unless overridden),
 * the destination ES:rDI (no override); the address size picks SI/ESI/RSI,
 * DI/EDI/RDI and CX/ECX/RCX.
 *
 * A repeated instruction commits rSI, rDI and rCX after every iteration, so
 * a fault leaves them describing the completed iterations and the
 * instruction restarts where it stopped. After a chunk of iterations it
 * returns to the dispatch loop with RIP unchanged, so that interrupts and
 * timers are serviced during a long repeat (SDM Vol.1 7.3.9.1). With
 * RFLAGS.TF set, every iteration returns to the loop, which delivers the
 * single-step trap after each iteration (SDM Vol.3A 17.3.1.4). */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

/* Iterations (slow path) or bytes (fast path) before yielding. */
#define STR_SLOW_CHUNK 1024u
#define STR_FAST_BYTES 65536u

struct str_state {
    unsigned sz, as;
    uint64_t amask;
    uint64_t step;   /* +sz or -sz, modulo the address size */
    uint64_t si, di, cnt;
};

static void str_begin(struct cpu *cpu, const struct insn *in, struct str_state *s)
{
    s->sz = in->opsize;
    s->as = in->addrsize;
    s->amask = size_mask(in->addrsize);
    s->step = (cpu->rflags & F_DF) ? (uint64_t)-(int64_t)s->sz : s->sz;
    s->si = cpu->gpr[R_SI] & s->amask;
    s->di = cpu->gpr[R_DI] & s->amask;
    s->cnt = cpu->gpr[R_CX] & s->amask;
}

static void commit_si(struct cpu *cpu, struct str_state *s)
{
    s->si = (s->si + s->step) & s->amask;
    reg_write(cpu, R_SI, s->as, 1, s->si);
}

static void commit_di(struct cpu *cpu, struct str_state *s)
{
    s->di = (s->di + s->step) & s->amask;
    reg_write(cpu, R_DI, s->as, 1, s->di);
}

static void commit_cnt(struct cpu *cpu, struct str_state *s)
{
    s->cnt = (s->cnt - 1) & s->amask;
    reg_write(cpu, R_CX, s->as, 1, s->cnt);
}

/* Iterations allowed in this invocation of the slow path. */
static unsigned slow_chunk(const struct cpu *cpu)
{
    /* With a data breakpoint or watchpoint armed, one iteration at a time, so that its
     * trap comes after the iteration that hit (SDM Vol.3B 18.3.1.2). */
    return ((cpu->rflags & F_TF) || (cpu->dbg_flags & DBG_DATA_SLOW)) ? 1 : STR_SLOW_CHUNK;
}

/* Come back to this instruction later: the repeat is not finished. RF is
 * set, as between iterations on hardware, so that an event taken now
 * pushes RF = 1 and the resumed instruction does not fault again on its
 * instruction breakpoint (SDM Vol.3B 18.3.1.1). */
static void str_yield(struct cpu *cpu)
{
    cpu->next_rip = cpu->rip;
    cpu->stop_block = true;
    cpu->rflags |= F_RF;
}

/* Linear address of [off, off+len) in seg when the whole range passes the
 * segment checks without any special case (no expand-down, no wrap), so the
 * fast path may skip per-element checks; false sends the caller to the
 * element-by-element path, which raises any fault at the right element. */
static bool range_linear(const struct cpu *cpu, unsigned seg, uint64_t off, uint64_t len,
                         bool write, uint64_t *lin)
{
    const struct segment *s = &cpu->seg[seg];
    if (cpu->mode == MODE_LONG) {
        uint64_t l = off + ((seg == S_FS || seg == S_GS) ? s->base : 0);
        if (!is_canonical(l) || !is_canonical(l + len - 1) || l + len - 1 < l)
            return false;
        *lin = l;
        return true;
    }
    if (cpu->mode == MODE_PROT || cpu->mode == MODE_COMPAT) {
        uint32_t a = s->attr;
        if ((a & SEG_UNUSABLE) || (a & 8) || (a & 4) || (write && !(a & 2)))
            return false;
    }
    if (off + len - 1 > s->limit)
        return false;
    uint64_t l = s->base + off;
    if (l + len - 1 > 0xffffffffull)
        return false;
    *lin = l;
    return true;
}

/* Host pointer for [lin, lin+len) within one page if the TLB allows the
 * access without a walk, else NULL. */
static uint8_t *tlb_host(struct cpu *cpu, uint64_t lin, bool write)
{
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    uint64_t tag = write ? e->tag_write : e->tag_read;
    if (tag != (lin & ~0xfffull))
        return NULL;
    return (uint8_t *)(uintptr_t)(lin + e->addend);
}

/* tlb_host, after a page walk that fills the entry when it is missing.
 * A walk that would fault (or exit) gives NULL: the element-by-element path
 * then raises it at the right element. */
static uint8_t *tlb_host_filled(struct cpu *cpu, uint64_t lin, bool write)
{
    uint8_t *p = tlb_host(cpu, lin, write);
    uint64_t paddr;
    if (p || !cpu_translate_noexc(cpu, lin, write ? ACC_WRITE : ACC_READ, &paddr))
        return p;
    return tlb_host(cpu, lin, write);
}

/* Elements of the fast-path chunk starting at off going up: stop at the
 * page end and at the address-size wrap. */
static uint64_t elems_in_page(uint64_t lin, uint64_t off, const struct str_state *s)
{
    uint64_t to_page = 0x1000 - (lin & 0xfff);
    uint64_t to_wrap = s->amask - off + 1;
    uint64_t n = (to_page < to_wrap ? to_page : to_wrap) / s->sz;
    return n;
}

/* One fast-path chunk of REP MOVS with DF=0: copies up to a page through
 * the TLB's host pointers. Returns the elements copied (0: take the slow
 * path for one element). */
static uint64_t movs_fast_chunk(struct cpu *cpu, const struct insn *in, struct str_state *s)
{
    uint64_t sl, dl;
    if (!range_linear(cpu, in->seg, s->si, s->sz, false, &sl) ||
        !range_linear(cpu, S_ES, s->di, s->sz, true, &dl))
        return 0;
    uint64_t n = elems_in_page(sl, s->si, s);
    uint64_t nd = elems_in_page(dl, s->di, s);
    if (nd < n)
        n = nd;
    if (s->cnt < n)
        n = s->cnt;
    if (n == 0)
        return 0;
    uint64_t len = n * s->sz;
    if (!range_linear(cpu, in->seg, s->si, len, false, &sl) ||
        !range_linear(cpu, S_ES, s->di, len, true, &dl))
        return 0;
    /* The TLB is direct-mapped: a source and destination whose pages share
     * an entry (a copy between buffers a multiple of the TLB's reach apart,
     * as memory benchmarks do) never hold both entries at once. Fill each in
     * turn and keep its host pointer. */
    uint8_t *src = tlb_host_filled(cpu, sl, false);
    if (!src)
        return 0;
    uint8_t *dst = tlb_host_filled(cpu, dl, true);
    if (!dst)
        return 0;
    /* A forward element copy onto an overlapping higher destination
     * replicates data, which memmove would not: leave that to the slow path. */
    if (dst > src && dst < src + len)
        return 0;
    memmove(dst, src, len);
    return n;
}

static uint64_t stos_fast_chunk(struct cpu *cpu, struct str_state *s, uint64_t v)
{
    uint64_t dl;
    if (!range_linear(cpu, S_ES, s->di, s->sz, true, &dl))
        return 0;
    uint64_t n = elems_in_page(dl, s->di, s);
    if (s->cnt < n)
        n = s->cnt;
    if (n == 0)
        return 0;
    uint64_t len = n * s->sz;
    if (!range_linear(cpu, S_ES, s->di, len, true, &dl))
        return 0;
    uint8_t *dst = tlb_host(cpu, dl, true);
    if (!dst)
        return 0;
    if (s->sz == 1) {
        memset(dst, (int)(v & 0xff), len);
    } else {
        for (uint64_t i = 0; i < n; i++)
            memcpy(dst + i * s->sz, &v, s->sz); /* little-endian host */
    }
    return n;
}

/* Advance rSI/rDI/rCX past n elements copied by a fast chunk (DF=0). */
static void commit_fast(struct cpu *cpu, struct str_state *s, uint64_t n, bool si)
{
    uint64_t len = n * s->sz;
    if (si) {
        s->si = (s->si + len) & s->amask;
        reg_write(cpu, R_SI, s->as, 1, s->si);
    }
    s->di = (s->di + len) & s->amask;
    reg_write(cpu, R_DI, s->as, 1, s->di);
    s->cnt = (s->cnt - n) & s->amask;
    reg_write(cpu, R_CX, s->as, 1, s->cnt);
}

static void movs_one(struct cpu *cpu, const struct insn *in, struct str_state *s)
{
    uint64_t v = mem_read(cpu, in->seg, s->si, s->sz);
    mem_write(cpu, S_ES, s->di, v, s->sz);
    commit_si(cpu, s);
    commit_di(cpu, s);
}

void op_movs(struct cpu *cpu, const struct insn *in)
{
    struct str_state s;
    str_begin(cpu, in, &s);
    if (!in->rep) {
        movs_one(cpu, in, &s);
        return;
    }
    bool fast = !(cpu->rflags & (F_DF | F_TF));
    uint64_t budget = STR_FAST_BYTES;
    unsigned slow = 0, max_slow = slow_chunk(cpu);
    while (s.cnt) {
        uint64_t n = fast ? movs_fast_chunk(cpu, in, &s) : 0;
        if (n) {
            commit_fast(cpu, &s, n, true);
            if (n * s.sz >= budget)
                break;
            budget -= n * s.sz;
            continue;
        }
        movs_one(cpu, in, &s);
        commit_cnt(cpu, &s);
        if (++slow >= max_slow)
            break;
    }
    if (s.cnt)
        str_yield(cpu);
}

void op_stos(struct cpu *cpu, const struct insn *in)
{
    struct str_state s;
    str_begin(cpu, in, &s);
    uint64_t v = reg_read(cpu, R_AX, s.sz, 1);
    if (!in->rep) {
        mem_write(cpu, S_ES, s.di, v, s.sz);
        commit_di(cpu, &s);
        return;
    }
    bool fast = !(cpu->rflags & (F_DF | F_TF));
    uint64_t budget = STR_FAST_BYTES;
    unsigned slow = 0, max_slow = slow_chunk(cpu);
    while (s.cnt) {
        uint64_t n = fast ? stos_fast_chunk(cpu, &s, v) : 0;
        if (n) {
            commit_fast(cpu, &s, n, false);
            if (n * s.sz >= budget)
                break;
            budget -= n * s.sz;
            continue;
        }
        mem_write(cpu, S_ES, s.di, v, s.sz);
        commit_di(cpu, &s);
        commit_cnt(cpu, &s);
        if (++slow >= max_slow)
            break;
    }
    if (s.cnt)
        str_yield(cpu);
}

void op_lods(struct cpu *cpu, const struct insn *in)
{
    struct str_state s;
    str_begin(cpu, in, &s);
    if (!in->rep) {
        reg_write(cpu, R_AX, s.sz, 1, mem_read(cpu, in->seg, s.si, s.sz));
        commit_si(cpu, &s);
        return;
    }
    for (unsigned i = 0, max = slow_chunk(cpu); s.cnt && i < max; i++) {
        reg_write(cpu, R_AX, s.sz, 1, mem_read(cpu, in->seg, s.si, s.sz));
        commit_si(cpu, &s);
        commit_cnt(cpu, &s);
    }
    if (s.cnt)
        str_yield(cpu);
}

/* REPE stops when ZF = 0, REPNE when ZF = 1, both when rCX reaches 0. */
static bool repeat_ends(const struct cpu *cpu, const struct insn *in)
{
    bool zf = (cpu->rflags & F_ZF) != 0;
    return in->rep == REP_E ? !zf : zf;
}

/* CMPS compares [seg:rSI] with [ES:rDI]: flags of SRC1 - SRC2. */
void op_cmps(struct cpu *cpu, const struct insn *in)
{
    struct str_state s;
    str_begin(cpu, in, &s);
    unsigned i = 0;
    if (in->rep && !s.cnt)
        return;
    do {
        uint64_t a = mem_read(cpu, in->seg, s.si, s.sz);
        uint64_t b = mem_read(cpu, S_ES, s.di, s.sz);
        alu_compute(cpu, ALU_CMP, a, b, s.sz);
        commit_si(cpu, &s);
        commit_di(cpu, &s);
        if (!in->rep)
            return;
        commit_cnt(cpu, &s);
        if (!s.cnt || repeat_ends(cpu, in))
            return;
    } while (++i < slow_chunk(cpu));
    str_yield(cpu);
}

void op_scas(struct cpu *cpu, const struct insn *in)
{
    struct str_state s;
    str_begin(cpu, in, &s);
    uint64_t a = reg_read(cpu, R_AX, s.sz, 1);
    unsigned i = 0;
    if (in->rep && !s.cnt)
        return;
    do {
        uint64_t b = mem_read(cpu, S_ES, s.di, s.sz);
        alu_compute(cpu, ALU_CMP, a, b, s.sz);
        commit_di(cpu, &s);
        if (!in->rep)
            return;
        commit_cnt(cpu, &s);
        if (!s.cnt || repeat_ends(cpu, in))
            return;
    } while (++i < slow_chunk(cpu));
    str_yield(cpu);
}
