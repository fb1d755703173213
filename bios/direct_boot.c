/* See direct_boot.h. */
#include "bios/direct_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/loader_file.h"

int direct_boot_parse_modules(const char *list, struct multiboot_module_spec *mods, int max,
                              char *storage)
{
    int n = 0;
    const char *p = list;
    char *out = storage;
    while (*p) {
        /* One item up to an unescaped comma; ",," stands for ",". */
        char *item = out;
        while (*p) {
            if (*p == ',') {
                if (p[1] == ',') {
                    *out++ = ',';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            *out++ = *p++;
        }
        *out++ = 0;
        if (!*item)
            continue;
        if (n >= max)
            return -1;
        /* GRUB and QEMU hand the module its whole item, path included, as
         * its string; the path is the part before the first space. */
        char *path = out;
        size_t plen = strcspn(item, " ");
        memcpy(path, item, plen);
        path[plen] = 0;
        out += plen + 1;
        mods[n].path = path;
        mods[n].cmdline = item;
        n++;
    }
    return n;
}

static int is_bzimage(struct loader_cache *cache, const char *path, bool *yes, char *err,
                      size_t errlen)
{
    struct loader_file f;
    if (loader_file_open(&f, cache, "-kernel", path, err, errlen) != 0)
        return -1;
    uint8_t magic[4] = {0};
    *yes = f.size >= 0x206 && loader_file_read(&f, 0x202, magic, 4, err, errlen) == 0 &&
           memcmp(magic, "HdrS", 4) == 0;
    loader_file_close(&f);
    return 0;
}

int direct_boot_setup(struct physmem *pm, const struct direct_boot_config *cfg,
                      struct direct_boot_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!pm || !cfg || !cfg->kernel) {
        snprintf(err, errlen, "direct boot: no kernel given");
        return -1;
    }
    /* "-initrd ''" names no file: an error, not a boot without one. */
    if (cfg->initrd && !*cfg->initrd) {
        snprintf(err, errlen, "-initrd: no file name given");
        return -1;
    }
    struct e820_options eo = {.bios_rom = cfg->bios_rom, .no_hpet = cfg->no_hpet};
    if (!cfg->no_acpi) {
        if (pm->low_ram_size < 4 * 0x100000ull) {
            snprintf(err, errlen, "direct boot: at least 4 MiB of RAM are needed");
            return -1;
        }
        eo.acpi_base = acpi_default_tables_base(pm->low_ram_size);
        eo.acpi_size = pm->low_ram_size - eo.acpi_base;
    }
    out->e820_count = e820_build(out->e820, DIRECT_BOOT_MAX_E820, pm->ram_size,
                                 pm->low_ram_size, &eo);
    if (out->e820_count < 0) {
        snprintf(err, errlen, "direct boot: cannot build a memory map for this RAM layout");
        return -1;
    }
    if (!cfg->no_acpi) {
        struct acpi_config ac = {.ncpus = cfg->ncpus > 0 ? cfg->ncpus : 1,
                                 .tables_base = eo.acpi_base, .tables_size = eo.acpi_size,
                                 .no_hpet = cfg->no_hpet, .low_ram_size = pm->low_ram_size};
        if (acpi_build_tables(pm, &ac, &out->acpi, err, errlen) != 0)
            return -1;
    }

    bool linux;
    if (is_bzimage(cfg->cache, cfg->kernel, &linux, err, errlen) != 0)
        return -1;
    if (linux) {
        struct linux_boot_config lc = {.kernel_path = cfg->kernel, .initrd_path = cfg->initrd,
                                       .cmdline = cfg->append, .e820 = out->e820,
                                       .e820_count = out->e820_count,
                                       .acpi_rsdp_addr = out->acpi.rsdp,
                                       .vga_text = cfg->vga_text, .cache = cfg->cache};
        return linux_boot_load(pm, &lc, &out->cpu, &out->linux_info, err, errlen);
    }

    /* Not a bzImage: multiboot or nothing (QEMU's order). */
    int rc = -1;
    struct multiboot_args args;
    if (multiboot_args_build(&args, cfg->kernel, cfg->initrd, cfg->append, err, errlen) != 0)
        goto out;
    struct multiboot_config mc = {.kernel_path = cfg->kernel, .cmdline = args.cmdline,
                                  .modules = args.mods, .nmodules = args.nmods,
                                  .e820 = out->e820, .e820_count = out->e820_count,
                                  .cache = cfg->cache};
    char why[256];
    if (multiboot_load(pm, &mc, &out->cpu, &out->multiboot_info, why, sizeof why) != 0) {
        multiboot_args_error(err, errlen, cfg->kernel, why);
        goto out;
    }
    out->is_multiboot = true;
    rc = 0;
out:
    multiboot_args_free(&args);
    return rc;
}

int multiboot_args_build(struct multiboot_args *a, const char *kernel, const char *initrd,
                         const char *append, char *err, size_t errlen)
{
    size_t ilen = initrd ? strlen(initrd) : 0;
    if (!append)
        append = "";
    size_t clen = strlen(kernel) + 1 + strlen(append) + 1;
    a->storage = malloc(ilen * 2 + 2);
    a->mods = calloc(MULTIBOOT_MAX_MODULES, sizeof *a->mods);
    a->cmdline = malloc(clen);
    a->nmods = 0;
    if (!a->storage || !a->mods || !a->cmdline) {
        snprintf(err, errlen, "out of host memory");
        return -1;
    }
    if (ilen) {
        a->nmods = direct_boot_parse_modules(initrd, a->mods, MULTIBOOT_MAX_MODULES, a->storage);
        if (a->nmods < 0) {
            snprintf(err, errlen, "multiboot: more than %d modules", MULTIBOOT_MAX_MODULES);
            return -1;
        }
    }
    snprintf(a->cmdline, clen, "%s%s%s", kernel, *append ? " " : "", append);
    return 0;
}

void multiboot_args_free(struct multiboot_args *a)
{
    free(a->storage);
    free(a->mods);
    free(a->cmdline);
    *a = (struct multiboot_args){0};
}

void multiboot_args_error(char *err, size_t errlen, const char *kernel, const char *why)
{
    if (strstr(why, "no multiboot header"))
        snprintf(err, errlen, "-kernel '%s': neither a Linux bzImage nor a multiboot kernel",
                 kernel);
    else
        snprintf(err, errlen, "%s", why);
}
