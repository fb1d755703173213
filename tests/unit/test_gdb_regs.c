/* Unit tests for frontend/gdb_regs.c: the target description gdb reads
 * and the g/p packets' layout agree register by register (a register added
 * to one and not the other would shift every later one in gdb's view);
 * writes land in the vCPU, control registers only through the CPU's own
 * checks; the stop reply's expedited registers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "frontend/gdb_regs.h"
#include "tests/unit/harness.h"

static struct harness h;

static void setup(void)
{
    harness_init(&h, 64);
}

static void teardown(void)
{
    harness_free(&h);
}

/* The value of attribute name="..." in the tag starting at p (before end). */
static bool attr(const char *p, const char *end, const char *name, char *out, size_t size)
{
    char key[32];
    snprintf(key, sizeof(key), " %s=\"", name);
    const char *a = strstr(p, key);
    if (!a || a > end)
        return false;
    a += strlen(key);
    const char *q = strchr(a, '"');
    if (!q || (size_t)(q - a) >= size)
        return false;
    memcpy(out, a, (size_t)(q - a));
    out[q - a] = '\0';
    return true;
}

START_TEST(description_matches_packet_layout)
{
    size_t len;
    const char *xml = gdb_target_xml(&len);
    ck_assert_uint_eq(strlen(xml), len);
    int n = 0;
    for (const char *p = strstr(xml, "<reg "); p; p = strstr(p + 1, "<reg ")) {
        const char *end = strchr(p, '>');
        ck_assert_ptr_nonnull(end);
        char name[32], bits[8], regnum[8];
        ck_assert(attr(p, end, "name", name, sizeof(name)));
        ck_assert(attr(p, end, "bitsize", bits, sizeof(bits)));
        /* An explicit regnum must be where the count already is. */
        if (attr(p, end, "regnum", regnum, sizeof(regnum)))
            ck_assert_msg(atoi(regnum) == n, "%s: regnum %s, position %d", name, regnum, n);
        ck_assert_msg(n < GDB_NREGS, "more registers described than GDB_NREGS");
        ck_assert_msg((unsigned)atoi(bits) == 8 * gdb_reg_size(n), "%s: %s bits, %u bytes", name,
                      bits, gdb_reg_size(n));
        n++;
    }
    ck_assert_int_eq(n, GDB_NREGS);
    /* gdb's amd64 support finds its registers by these names. */
    ck_assert_ptr_nonnull(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
    ck_assert_ptr_nonnull(strstr(xml, "<feature name=\"org.gnu.gdb.i386.sse\">"));
    ck_assert_ptr_nonnull(strstr(xml, "<feature name=\"org.gnu.gdb.i386.segments\">"));
}
END_TEST

static uint64_t get(int r)
{
    uint8_t b[16] = {0};
    gdb_reg_get(&h.cpu, r, b);
    uint64_t v = 0;
    for (unsigned i = 0; i < 8 && i < gdb_reg_size(r); i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static bool set(int r, uint64_t v)
{
    uint8_t b[16] = {0};
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return gdb_reg_set(&h.cpu, r, b);
}

enum { RAX = 0, RBX = 1, RIP = 16, CR0 = 60, CR3 = 62, CR4 = 63, CR8 = 64, EFER = 65 };

START_TEST(writes_reach_the_vcpu)
{
    ck_assert(set(RBX, 0x1122334455667788ull));
    ck_assert_uint_eq(h.cpu.gpr[R_BX], 0x1122334455667788ull); /* gdb's 1 is rbx */
    ck_assert(set(RIP, 0x10042));
    ck_assert_uint_eq(h.cpu.rip, 0x10042);
    /* CR4.PGE: accepted, as MOV CR4 would. */
    uint64_t cr4 = h.cpu.cr4;
    ck_assert(set(CR4, cr4 | CR4_PGE));
    ck_assert_uint_eq(h.cpu.cr4, cr4 | CR4_PGE);
    ck_assert_uint_eq(get(CR4), cr4 | CR4_PGE);
    /* Clearing CR4.PAE in long mode is #GP for MOV CR4: refused, unchanged. */
    ck_assert(!set(CR4, 0));
    ck_assert_uint_eq(h.cpu.cr4, cr4 | CR4_PGE);
    ck_assert(!set(CR0, 0x1234));
    ck_assert(!set(CR8, 0x10)); /* TPR has 4 bits */
    ck_assert(set(CR8, 5));
    ck_assert_uint_eq(get(CR8), 5);
    /* Unchanged values are accepted without going through the checks. */
    ck_assert(set(CR3, h.cpu.cr3));
    ck_assert(set(EFER, h.cpu.efer));
    /* The VMX level is read-only: written, ignored. */
    ck_assert(set(67, 0x5000));
    ck_assert_uint_eq(get(67), ~0ull); /* no VMX operation: no VMXON region */
}
END_TEST

START_TEST(expedited_registers)
{
    char buf[64];
    gdb_expedited_regs(&h.cpu, buf, sizeof(buf));
    /* vmx_nonroot (66 = 0x42) 0 and vmcs_ptr (68 = 0x44) all ones, in
     * target byte order. */
    ck_assert_str_eq(buf, "42:00000000;44:ffffffffffffffff;");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gdb_regs");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, description_matches_packet_layout);
    tcase_add_test(tc, writes_reach_the_vcpu);
    tcase_add_test(tc, expedited_registers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
