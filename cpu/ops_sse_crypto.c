/* PCLMULQDQ and the AES-NI round instructions (SDM Vol.2 PCLMULQDQ, AESENC
 * ... AESKEYGENASSIST; the AES transformations are those of FIPS-197). The
 * state is the XMM register with byte 4c+r holding row r of column c. */
#include "cpu/ops_sse.h"

/* PCLMULQDQ: imm bit 0 picks the destination quadword, bit 4 the source's;
 * their carry-less product fills the destination. */
void op_sse_pclmulqdq(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true);
    uint64_t a = cpu->xmm[in->reg].q[in->imm & 1], b = s.q[(in->imm >> 4) & 1];
    uint64_t lo = 0, hi = 0;
    for (unsigned i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            lo ^= a << i;
            hi ^= i ? a >> (64 - i) : 0;
        }
    }
    cpu->xmm[in->reg] = (xmm_t){.q = {lo, hi}};
}

/* Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t p = 0;
    while (b) {
        if (b & 1)
            p ^= a;
        a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
        b >>= 1;
    }
    return p;
}

/* The S-box is derived once from its definition (multiplicative inverse,
 * then the affine map with constant 0x63) rather than carried as a table. */
static uint8_t sbox[256], inv_sbox[256];
static bool sbox_ready;

static void sbox_init(void)
{
    if (sbox_ready)
        return;
    for (unsigned x = 0; x < 256; x++) {
        uint8_t inv = 0;
        for (unsigned y = 1; y < 256 && x; y++)
            if (gf_mul((uint8_t)x, (uint8_t)y) == 1) {
                inv = (uint8_t)y;
                break;
            }
        uint8_t s = inv;
        for (unsigned k = 1; k < 5; k++)
            s ^= (uint8_t)((inv << k) | (inv >> (8 - k)));
        s ^= 0x63;
        sbox[x] = s;
        inv_sbox[s] = (uint8_t)x;
    }
    sbox_ready = true;
}

static xmm_t shift_rows(xmm_t v, bool inverse)
{
    xmm_t r;
    for (unsigned c = 0; c < 4; c++)
        for (unsigned row = 0; row < 4; row++) {
            unsigned from = inverse ? (c + 4 - row) % 4 : (c + row) % 4;
            r.b[4 * c + row] = v.b[4 * from + row];
        }
    return r;
}

static void sub_bytes(xmm_t *v, const uint8_t *box)
{
    for (unsigned i = 0; i < 16; i++)
        v->b[i] = box[v->b[i]];
}

static void mix_columns(xmm_t *v, bool inverse)
{
    static const uint8_t fwd[4] = {2, 3, 1, 1}, inv[4] = {14, 11, 13, 9};
    const uint8_t *m = inverse ? inv : fwd;
    for (unsigned c = 0; c < 4; c++) {
        uint8_t a[4], *col = &v->b[4 * c];
        for (unsigned r = 0; r < 4; r++)
            a[r] = col[r];
        for (unsigned r = 0; r < 4; r++) {
            uint8_t x = 0;
            for (unsigned k = 0; k < 4; k++)
                x ^= gf_mul(a[k], m[(k + 4 - r) % 4]);
            col[r] = x;
        }
    }
}

/* 66 0F 38 DC-DF: AESENC, AESENCLAST, AESDEC, AESDECLAST. */
void op_sse_aes_round(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    sbox_init();
    xmm_t key = sse_rm(cpu, in, 16, true);
    bool dec = in->opcode >= 0xde, last = in->opcode & 1;
    xmm_t st = shift_rows(cpu->xmm[in->reg], dec);
    sub_bytes(&st, dec ? inv_sbox : sbox);
    if (!last)
        mix_columns(&st, dec);
    st.q[0] ^= key.q[0];
    st.q[1] ^= key.q[1];
    cpu->xmm[in->reg] = st;
}

/* AESIMC: InvMixColumns of the source, for decryption round keys. */
void op_sse_aesimc(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t v = sse_rm(cpu, in, 16, true);
    mix_columns(&v, true);
    cpu->xmm[in->reg] = v;
}

static uint32_t sub_word(uint32_t w)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < 4; i++)
        r |= (uint32_t)sbox[(w >> (8 * i)) & 0xff] << (8 * i);
    return r;
}

static uint32_t rot_word(uint32_t w)
{
    return (w >> 8) | (w << 24);
}

/* AESKEYGENASSIST: SubWord and RotWord of source dwords 1 and 3, the
 * immediate as round constant. */
void op_sse_aeskeygenassist(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    sbox_init();
    xmm_t s = sse_rm(cpu, in, 16, true);
    uint32_t rcon = (uint32_t)in->imm & 0xff;
    uint32_t x1 = sub_word(s.d[1]), x3 = sub_word(s.d[3]);
    cpu->xmm[in->reg] = (xmm_t){.d = {x1, rot_word(x1) ^ rcon, x3, rot_word(x3) ^ rcon}};
}
