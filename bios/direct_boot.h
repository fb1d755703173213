/* Direct kernel boot without firmware (-kernel/-initrd/-append): builds the
 * e820 map, the ACPI tables, and loads a Linux bzImage or a multiboot
 * kernel, whichever the file is. The one call the machine makes; it then
 * applies result.cpu to vCPU 0 and, for PCI interrupts, writes
 * acpi_pirq_isa_irq[] to the PIIX3 PIRQRC registers (see acpi_tables.h). */
#ifndef TURTLES_BIOS_DIRECT_BOOT_H
#define TURTLES_BIOS_DIRECT_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "bios/acpi_tables.h"
#include "bios/boot_cpu_state.h"
#include "bios/e820.h"
#include "bios/linux_boot.h"
#include "bios/multiboot.h"
#include "mmu/physmem.h"

#define DIRECT_BOOT_MAX_E820 32

struct direct_boot_config {
    const char *kernel;  /* -kernel */
    /* -initrd: for Linux one file; for multiboot QEMU's module list,
     * "file args,file2 args" with ",," for a literal comma. */
    const char *initrd;
    const char *append;  /* -append */
    int ncpus;
    bool bios_rom;       /* firmware mapped below 4 GiB: reserve 0xFFFC0000 */
    bool no_acpi;        /* -no-acpi */
    bool no_hpet;        /* no HPET on this machine */
    bool vga_text;       /* a VGA text console exists (Linux screen_info) */
    struct loader_cache *cache; /* NULL, or the files of an earlier boot (resets) */
};

struct direct_boot_result {
    struct boot_cpu_state cpu;
    struct e820_entry e820[DIRECT_BOOT_MAX_E820]; /* also what fw_cfg's etc/e820 wants */
    int e820_count;
    bool is_multiboot;
    struct acpi_tables_info acpi;                /* zero with no_acpi */
    struct linux_boot_info linux_info;           /* valid when !is_multiboot */
    struct multiboot_boot_info multiboot_info;   /* valid when is_multiboot */
};

/* Returns 0, or -1 with a message in err. */
int direct_boot_setup(struct physmem *pm, const struct direct_boot_config *cfg,
                      struct direct_boot_result *out, char *err, size_t errlen);

/* Splits a QEMU multiboot module list into specs. Each spec's path and
 * cmdline point into `storage` (at least strlen(list) * 2 + 2 bytes).
 * Returns the count, or -1 when there are more than `max` modules. */
int direct_boot_parse_modules(const char *list, struct multiboot_module_spec *mods, int max,
                              char *storage);

/* What -kernel/-initrd/-append give a multiboot kernel, for direct boot and
 * the firmware's option ROM alike: the command line "<kernel path>
 * <append>" (as GRUB and QEMU pass it) and the modules of -initrd's comma
 * list, in memory the struct owns. */
struct multiboot_args {
    char *cmdline;
    struct multiboot_module_spec *mods;
    int nmods;
    char *storage; /* the modules' paths and command lines */
};
/* Returns 0, or -1 with a message in err (multiboot_args_free still
 * applies). initrd and append may be NULL. */
int multiboot_args_build(struct multiboot_args *a, const char *kernel, const char *initrd,
                         const char *append, char *err, size_t errlen);
void multiboot_args_free(struct multiboot_args *a);
/* The message for a multiboot loader's failure `why` on -kernel FILE:
 * a kernel with no multiboot header is "neither a Linux bzImage nor a
 * multiboot kernel". */
void multiboot_args_error(char *err, size_t errlen, const char *kernel, const char *why);

#endif
