/* Tests for devices/pci.c and devices/piix.c: config mechanism #1, the
 * chipset functions, BAR sizing and remapping, INTx through PIRQ links,
 * reset control. */
#include <check.h>
#include <stdlib.h>

#include "devices/piix.h"
#include "device_test_env.h"

static struct test_env *t;
static struct pci_bus bus;
static struct i440fx host;
static struct piix3 isa;
static struct piix4_pm pmf;
static struct pci_device nic;
static int resets, pam_calls;
static uint8_t last_pam[7];
static uint64_t remap_addr[7];
static int remaps;

static void on_reset(void *o) { (void)o; resets++; }

static void on_pam(void *o, const uint8_t pam[7])
{
    (void)o;
    for (int i = 0; i < 7; i++)
        last_pam[i] = pam[i];
    pam_calls++;
}

static void on_remap(struct pci_device *d, int bar, uint64_t addr)
{
    (void)d;
    remap_addr[bar] = addr;
    remaps++;
}

static void setup(void)
{
    t = test_env_new(0);
    resets = pam_calls = remaps = 0;
    pci_bus_init(&bus, &t->env, on_reset, NULL);
    ck_assert_int_eq(i440fx_init(&host, &bus, on_pam, NULL), 0);
    ck_assert_int_eq(piix3_init(&isa, &bus), 0);
    ck_assert_int_eq(piix4_pm_init(&pmf, &bus), 0);
    pci_device_init(&nic, 0x8086, 0x100e, 3, 0x020000, NULL);
    pci_register_bar(&nic, 0, 0x20000, PCI_BAR_MEM32, false);
    pci_register_bar(&nic, 1, 0x40, PCI_BAR_IO, false);
    pci_register_bar(&nic, 2, 0x100000, PCI_BAR_MEM64, true);
    pci_register_rom_bar(&nic, 0x10000);
    pci_set_interrupt_pin(&nic, 1);
    nic.bar_remap = on_remap;
    ck_assert_int_eq(pci_register_device(&bus, &nic, PCI_DEVFN(3, 0)), 0);
}

static void teardown(void)
{
    test_env_free(t);
}

static uint32_t cfg_addr(unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfgl(unsigned dev, unsigned fn, unsigned reg)
{
    outl(t, 0xcf8, cfg_addr(dev, fn, reg));
    return inl(t, 0xcfc);
}

static void cfgl_w(unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
    outl(t, 0xcf8, cfg_addr(dev, fn, reg));
    outl(t, 0xcfc, v);
}

START_TEST(test_ids_and_absent)
{
    ck_assert_uint_eq(cfgl(0, 0, 0), 0x12378086);
    ck_assert_uint_eq(cfgl(1, 0, 0), 0x70008086);
    ck_assert_uint_eq(cfgl(1, 3, 0), 0x71138086);
    ck_assert_uint_eq(cfgl(0, 0, 8) >> 8, 0x060000);
    ck_assert_uint_eq(cfgl(1, 0, 8) >> 8, 0x060100);
    ck_assert_uint_eq((cfgl(1, 0, 0x0c) >> 16) & 0x80, 0x80);   /* multi-function */
    ck_assert_uint_eq(cfgl(2, 0, 0), 0xffffffff);
    ck_assert_uint_eq(cfgl(1, 1, 0), 0xffffffff);
    /* other bus: nothing */
    outl(t, 0xcf8, 0x80010000u);
    ck_assert_uint_eq(inl(t, 0xcfc), 0xffffffff);
    /* disabled address: all ones */
    outl(t, 0xcf8, 0x00000000u);
    ck_assert_uint_eq(inl(t, 0xcfc), 0xffffffff);
    /* address register reads back */
    outl(t, 0xcf8, 0x80000804u);
    ck_assert_uint_eq(inl(t, 0xcf8), 0x80000804u);
    /* byte and word accesses at data port offsets */
    outl(t, 0xcf8, cfg_addr(0, 0, 0));
    ck_assert_uint_eq(inb(t, 0xcfd), 0x80);
    ck_assert_uint_eq(inw(t, 0xcfe), 0x1237);
    /* read-only IDs */
    cfgl_w(0, 0, 0, 0);
    ck_assert_uint_eq(cfgl(0, 0, 0), 0x12378086);
}
END_TEST

START_TEST(test_bar_sizing_and_remap)
{
    /* memory BAR: size 128 KiB */
    cfgl_w(3, 0, 0x10, 0xffffffff);
    ck_assert_uint_eq(cfgl(3, 0, 0x10), 0xfffe0000);
    /* I/O BAR: size 64 */
    cfgl_w(3, 0, 0x14, 0xffffffff);
    ck_assert_uint_eq(cfgl(3, 0, 0x14), 0xffffffc1); /* as QEMU: SeaBIOS sizes in 32 bits */
    /* 64-bit prefetchable: 1 MiB */
    cfgl_w(3, 0, 0x18, 0xffffffff);
    cfgl_w(3, 0, 0x1c, 0xffffffff);
    ck_assert_uint_eq(cfgl(3, 0, 0x18), 0xfff0000c);
    ck_assert_uint_eq(cfgl(3, 0, 0x1c), 0xffffffff);
    ck_assert_int_eq(remaps, 0);   /* decoding off: nothing mapped */
    cfgl_w(3, 0, 0x10, 0xfebc0000);
    cfgl_w(3, 0, 0x14, 0xc000);
    cfgl_w(3, 0, 0x18, 0x00000000);
    cfgl_w(3, 0, 0x1c, 0x00000008);   /* 0x8_0000_0000 */
    ck_assert_int_eq(remaps, 0);
    cfgl_w(3, 0, 0x04, 0x0003);       /* I/O + memory */
    ck_assert_int_eq(remaps, 3);
    ck_assert_uint_eq(remap_addr[0], 0xfebc0000);
    ck_assert_uint_eq(remap_addr[1], 0xc000);
    ck_assert_uint_eq(remap_addr[2], 0x800000000ull);
    /* moving a BAR while enabled */
    cfgl_w(3, 0, 0x10, 0xfea00000);
    ck_assert_uint_eq(remap_addr[0], 0xfea00000);
    /* sizing while enabled unmaps, restoring maps again */
    cfgl_w(3, 0, 0x10, 0xffffffff);
    ck_assert_uint_eq(remap_addr[0], PCI_BAR_UNMAPPED);
    cfgl_w(3, 0, 0x10, 0xfea00000);
    ck_assert_uint_eq(remap_addr[0], 0xfea00000);
    /* memory decode off */
    cfgl_w(3, 0, 0x04, 0x0001);
    ck_assert_uint_eq(remap_addr[0], PCI_BAR_UNMAPPED);
    ck_assert_uint_eq(remap_addr[2], PCI_BAR_UNMAPPED);
    ck_assert_uint_eq(remap_addr[1], 0xc000);
    /* expansion ROM: size 64 KiB, decoded only with its enable bit */
    cfgl_w(3, 0, 0x30, 0xfffffffe);
    ck_assert_uint_eq(cfgl(3, 0, 0x30), 0xffff0000);
    cfgl_w(3, 0, 0x04, 0x0003);
    cfgl_w(3, 0, 0x30, 0xfeb00000);
    ck_assert_uint_eq(remap_addr[PCI_ROM_SLOT], 0);   /* never mapped yet */
    cfgl_w(3, 0, 0x30, 0xfeb00001);
    ck_assert_uint_eq(remap_addr[PCI_ROM_SLOT], 0xfeb00000);
    cfgl_w(3, 0, 0x30, 0xfeb00000);
    ck_assert_uint_eq(remap_addr[PCI_ROM_SLOT], PCI_BAR_UNMAPPED);
    /* BAR slots the device does not have read 0 (PCI 3.0 6.2.5.1) */
    ck_assert_uint_eq(cfgl(3, 0, 0x20), 0);
    cfgl_w(3, 0, 0x24, 0xffffffff);
    ck_assert_uint_eq(cfgl(3, 0, 0x24), 0);
}
END_TEST

START_TEST(test_pirq_routing)
{
    /* slot 3 INTA -> (3 + 1 - 2) & 3 = PIRQC */
    ck_assert_uint_eq(pci_piix_pirq(3, 1), 2);
    ck_assert_uint_eq(pci_piix_pirq(0, 1), 3);
    ck_assert_uint_eq(pci_piix_pirq(1, 1), 0);
    ck_assert_uint_eq(cfgl(1, 0, 0x60), 0x80808080);
    pci_set_irq(&nic, true);
    ck_assert_uint_eq(bus.isa_irq_level, 0);   /* routing disabled */
    /* SeaBIOS-like: PIRQA,B -> 10, PIRQC,D -> 11 */
    cfgl_w(1, 0, 0x60, 0x0b0b0a0a);
    ck_assert(t->level[11]);
    pci_set_irq(&nic, false);
    ck_assert(!t->level[11]);
    pci_set_irq(&nic, true);
    ck_assert(t->level[11]);
    /* reroute PIRQC to IRQ 5 while asserted: 11 drops, 5 rises */
    outl(t, 0xcf8, cfg_addr(1, 0, 0x60));
    outb(t, 0xcfe, 0x05);
    ck_assert(!t->level[11]);
    ck_assert(t->level[5]);
    /* invalid target (IRQ 2) is not driven */
    outb(t, 0xcfe, 0x02);
    ck_assert(!t->level[5]);
    ck_assert(!t->level[2]);
}
END_TEST

START_TEST(test_chipset_registers)
{
    /* PAM: 0x59 has only the high nibble pair */
    outl(t, 0xcf8, cfg_addr(0, 0, 0x58));
    outb(t, 0xcfd, 0x33);
    ck_assert_uint_eq(inb(t, 0xcfd), 0x30);
    ck_assert_int_ge(pam_calls, 1);
    ck_assert_uint_eq(last_pam[0], 0x30);
    cfgl_w(0, 0, 0x5c, 0x33333333);
    ck_assert_uint_eq(last_pam[3], 0x33);
    ck_assert_uint_eq(last_pam[6], 0x33);
    /* SMRAM */
    ck_assert_uint_eq((cfgl(0, 0, 0x70) >> 16) & 0xff, 0x02);
    /* PIIX4 PMBA as SeaBIOS programs it */
    cfgl_w(1, 3, 0x40, 0x0601);
    ck_assert_uint_eq(cfgl(1, 3, 0x40), 0x0601);
    cfgl_w(1, 3, 0x40, 0xffffffff);
    ck_assert_uint_eq(cfgl(1, 3, 0x40), 0xffc1);
    ck_assert_uint_eq(cfgl(1, 3, 0x3c) >> 8 & 0xff, 1);   /* INTA */
}
END_TEST

START_TEST(test_reset_control)
{
    outb(t, 0xcf9, 0x02);
    ck_assert_int_eq(resets, 0);
    ck_assert_uint_eq(inb(t, 0xcf9), 0x02);
    outb(t, 0xcf9, 0x06);
    ck_assert_int_eq(resets, 1);
    /* a dword to 0xcf8 is the address, not a reset */
    outl(t, 0xcf8, 0x80000000u);
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(test_garbage)
{
    for (unsigned dev = 0; dev < 4; dev++)
        for (unsigned reg = 0; reg < 256; reg++) {
            if (dev == 3 && reg == 4)
                continue;
            outl(t, 0xcf8, cfg_addr(dev, dev == 1 ? 3 : 0, reg));
            outb(t, (uint16_t)(0xcfc + (reg & 3)), 0xff);
            (void)inl(t, (uint16_t)(0xcfc + (reg & 3)));
            (void)inw(t, (uint16_t)(0xcfc + (reg & 3)));
        }
    pci_device_reset(&nic);
    ck_assert_uint_eq(cfgl(3, 0, 0x04) & 0xffff, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ids_and_absent);
    tcase_add_test(tc, test_bar_sizing_and_remap);
    tcase_add_test(tc, test_pirq_routing);
    tcase_add_test(tc, test_chipset_registers);
    tcase_add_test(tc, test_reset_control);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
