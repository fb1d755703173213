/* Linux x86 boot protocol, 32-bit and 64-bit entries: see linux_boot.h.
 * Field meanings follow Documentation/arch/x86/boot.rst and zero-page.rst. */
#include "bios/linux_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/loader_file.h"

#define LINUX_MAGIC_HDRS 0x53726448u /* "HdrS" little endian */
#define LINUX_MIN_PROTOCOL 0x0206    /* cmdline_size and initrd_addr_max exist */
#define LINUX_HEAP_END 0xDE00u       /* boot.rst: 0xe000 - 0x200 for a setup at 0x90000 */
#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void copy_version_string(const uint8_t *buf, size_t len, struct linux_header *h)
{
    h->kernel_version[0] = 0;
    uint16_t ptr = ld_le16(buf + LINUX_HDR_KERNEL_VERSION);
    if (ptr == 0)
        return;
    /* The pointer is relative to the start of the setup code (0x200). */
    size_t off = (size_t)ptr + 0x200;
    size_t i = 0;
    while (off + i < len && off + i < h->setup_size && i + 1 < sizeof h->kernel_version) {
        uint8_t c = buf[off + i];
        if (c == 0)
            break;
        h->kernel_version[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
        i++;
    }
    h->kernel_version[i] = 0;
}

int linux_parse_header(const uint8_t *buf, size_t len, uint64_t file_size, struct linux_header *h,
                       char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    if (len < LINUX_HDR_HEADER + 4 || file_size < LINUX_HDR_HEADER + 4) {
        snprintf(err, errlen, "file too small to be a Linux kernel (%llu bytes)",
                 (unsigned long long)file_size);
        return -1;
    }
    if (ld_le32(buf + LINUX_HDR_HEADER) != LINUX_MAGIC_HDRS) {
        snprintf(err, errlen, "not a Linux bzImage (no \"HdrS\" magic at 0x202)");
        return -1;
    }
    if (ld_le16(buf + LINUX_HDR_BOOT_FLAG) != 0xAA55) {
        snprintf(err, errlen, "not a Linux bzImage (boot_flag is not 0xAA55)");
        return -1;
    }
    if (len < LINUX_HDR_VERSION + 2 || file_size < LINUX_HDR_VERSION + 2) {
        snprintf(err, errlen, "truncated: %llu bytes, the setup header is cut before its "
                              "protocol version",
                 (unsigned long long)file_size);
        return -1;
    }
    h->version = ld_le16(buf + LINUX_HDR_VERSION);
    if (h->version < LINUX_MIN_PROTOCOL) {
        snprintf(err, errlen, "boot protocol %u.%02u is too old (need 2.06 or later)",
                 h->version >> 8, h->version & 0xFF);
        return -1;
    }
    /* boot.rst: the header ends at 0x202 + the jump's 8-bit displacement. */
    h->header_end = 0x202u + buf[LINUX_HDR_JUMP + 1];
    if (h->header_end < LINUX_HDR_CMDLINE_SIZE + 4 || h->header_end > LINUX_HDR_END_MAX) {
        snprintf(err, errlen, "setup header size is implausible (ends at 0x%x)", h->header_end);
        return -1;
    }
    if (len < h->header_end) {
        snprintf(err, errlen, "truncated: setup header ends at 0x%x, only %zu bytes read",
                 h->header_end, len);
        return -1;
    }
    h->setup_sects = buf[LINUX_HDR_SETUP_SECTS];
    if (h->setup_sects == 0)
        h->setup_sects = 4;
    h->setup_size = ((uint64_t)h->setup_sects + 1) * 512;
    if (file_size <= h->setup_size) {
        snprintf(err, errlen, "truncated: %llu bytes, but the setup code alone is %llu",
                 (unsigned long long)file_size, (unsigned long long)h->setup_size);
        return -1;
    }
    h->kernel_size = file_size - h->setup_size;
    uint64_t syssize = (uint64_t)ld_le32(buf + LINUX_HDR_SYSSIZE) * 16;
    if (syssize > h->kernel_size) {
        snprintf(err, errlen, "truncated: header says %llu bytes of kernel, file has %llu",
                 (unsigned long long)syssize, (unsigned long long)h->kernel_size);
        return -1;
    }
    h->loadflags = buf[LINUX_HDR_LOADFLAGS];
    if (!(h->loadflags & LINUX_LOADFLAG_LOADED_HIGH)) {
        snprintf(err, errlen, "zImage (kernel loaded low) is not supported, need a bzImage");
        return -1;
    }
    h->relocatable = buf[LINUX_HDR_RELOCATABLE] != 0;
    h->kernel_alignment = ld_le32(buf + LINUX_HDR_KERNEL_ALIGNMENT);
    if (h->relocatable &&
        (h->kernel_alignment == 0 || (h->kernel_alignment & (h->kernel_alignment - 1)))) {
        snprintf(err, errlen, "bad kernel_alignment 0x%x", h->kernel_alignment);
        return -1;
    }
    h->initrd_addr_max = ld_le32(buf + LINUX_HDR_INITRD_ADDR_MAX);
    h->cmdline_size = ld_le32(buf + LINUX_HDR_CMDLINE_SIZE);
    h->xloadflags = h->version >= 0x020C ? ld_le16(buf + LINUX_HDR_XLOADFLAGS) : 0;
    if (h->version >= 0x020A && h->header_end >= LINUX_HDR_INIT_SIZE + 4) {
        h->pref_address = ld_le64(buf + LINUX_HDR_PREF_ADDRESS);
        h->init_size = ld_le32(buf + LINUX_HDR_INIT_SIZE);
    } else {
        h->pref_address = LINUX_BOOT_DEFAULT_LOAD;
    }
    /* A kernel needs at least its own bytes; an old header says nothing. */
    if (h->init_size < h->kernel_size)
        h->init_size = h->kernel_size > UINT32_MAX ? UINT32_MAX : (uint32_t)h->kernel_size;
    copy_version_string(buf, len, h);
    return 0;
}

/* Memory the kernel may use from load address `load`: its file bytes, and
 * init_size from where it will run (boot.rst "init_size": a relocatable
 * kernel first aligns itself up to kernel_alignment; a fixed one runs at
 * pref_address). */
static void kernel_footprint(const struct linux_header *h, uint64_t load, uint64_t *start,
                             uint64_t *end)
{
    uint64_t run = h->relocatable ? align_up(load, h->kernel_alignment) : h->pref_address;
    *start = load < run ? load : run;
    *end = load + h->kernel_size;
    if (run + h->init_size > *end)
        *end = run + h->init_size;
}

static int choose_load_address(const struct linux_header *h, const struct linux_boot_config *cfg,
                               uint64_t *load, uint64_t *fp_start, uint64_t *fp_end, char *err,
                               size_t errlen)
{
    uint64_t candidates[2] = {h->pref_address, LINUX_BOOT_DEFAULT_LOAD};
    for (int i = 0; i < 2; i++) {
        uint64_t a = candidates[i];
        if (a < LINUX_BOOT_DEFAULT_LOAD || a >= PHYS_4G || (a & (PAGE_4K - 1)))
            continue;
        uint64_t s, e;
        kernel_footprint(h, a, &s, &e);
        if (s >= LINUX_BOOT_DEFAULT_LOAD && e > s &&
            e820_range_is_ram(cfg->e820, cfg->e820_count, s, e - s)) {
            *load = a;
            *fp_start = s;
            *fp_end = e;
            return 0;
        }
    }
    snprintf(err, errlen,
             "not enough RAM for the kernel: it needs %llu MiB (init_size) from 0x%llx or 1 MiB",
             (unsigned long long)((h->init_size + 0xFFFFFull) >> 20),
             (unsigned long long)h->pref_address);
    return -1;
}

/* Highest page-aligned address for `size` bytes that ends at or below
 * `limit`, inside usable RAM, above the loader's low area, and clear of the
 * kernel's footprint [ks, ke). Returns 0 when nothing fits. */
static uint64_t place_initrd(const struct linux_boot_config *cfg, uint64_t size, uint64_t limit,
                             uint64_t ks, uint64_t ke)
{
    uint64_t best = 0;
    for (int i = 0; i < cfg->e820_count; i++) {
        const struct e820_entry *e = &cfg->e820[i];
        if (e->type != E820_RAM)
            continue;
        uint64_t a = e->addr < LINUX_BOOT_LOW_END ? LINUX_BOOT_LOW_END : e->addr;
        uint64_t b = e->addr + e->size < limit ? e->addr + e->size : limit;
        uint64_t pieces[2][2] = {{a, b < ks ? b : ks}, {a > ke ? a : ke, b}};
        for (int p = 0; p < 2; p++) {
            uint64_t lo = align_up(pieces[p][0], PAGE_4K), hi = pieces[p][1];
            if (hi <= lo || hi - lo < size)
                continue;
            uint64_t at = (hi - size) & ~(PAGE_4K - 1);
            if (at >= lo && at > best)
                best = at;
        }
    }
    return best;
}

int linux_boot_check_fit(const struct linux_header *h, const struct e820_entry *e820,
                         int e820_count, uint64_t initrd_size, char *err, size_t errlen)
{
    struct linux_boot_config cfg = {.e820 = e820, .e820_count = e820_count};
    uint64_t load, ks, ke;
    if (choose_load_address(h, &cfg, &load, &ks, &ke, err, errlen) != 0)
        return -1;
    uint64_t limit = (uint64_t)h->initrd_addr_max + 1;
    if (limit > PHYS_4G)
        limit = PHYS_4G;
    if (initrd_size && !place_initrd(&cfg, initrd_size, limit, ks, ke)) {
        snprintf(err, errlen,
                 "initrd (%llu bytes) does not fit in RAM below 0x%llx next to the kernel",
                 (unsigned long long)initrd_size, (unsigned long long)limit);
        return -1;
    }
    return 0;
}

static void build_gdt(uint8_t gdt[32], bool long_mode)
{
    memset(gdt, 0, 32);
    /* Flat 4 GiB segments, accessed bit preset so the CPU need not write
     * the descriptor back (SDM Vol.3A 3.4.5). */
    st_le64(gdt + LINUX_BOOT_CS, long_mode ? 0x00AF9B000000FFFFull : 0x00CF9B000000FFFFull);
    st_le64(gdt + LINUX_BOOT_DS, 0x00CF93000000FFFFull);
}

/* Identity map of [0, 4 GiB) with 2 MiB pages: PML4[0] -> PDPT, PDPT[0..3]
 * -> four page directories (SDM Vol.3A 4.5, Table 4-17 for the PDE with
 * PS=1). 1 GiB pages would be shorter but need CPUID.80000001H:EDX[26]. */
static void build_identity_map(struct physmem *pm)
{
    uint8_t page[4096];
    memset(page, 0, sizeof page);
    st_le64(page, LINUX_BOOT_PDPT_ADDR | 0x3); /* P | RW */
    physmem_write_buf(pm, LINUX_BOOT_PML4_ADDR, page, sizeof page);
    memset(page, 0, sizeof page);
    for (int i = 0; i < 4; i++)
        st_le64(page + 8 * i, (LINUX_BOOT_PD_ADDR + (uint64_t)i * PAGE_4K) | 0x3);
    physmem_write_buf(pm, LINUX_BOOT_PDPT_ADDR, page, sizeof page);
    for (int d = 0; d < 4; d++) {
        for (int j = 0; j < 512; j++)
            st_le64(page + 8 * j, ((uint64_t)d * 512 + (uint64_t)j) * PAGE_2M | 0x83); /* P|RW|PS */
        physmem_write_buf(pm, LINUX_BOOT_PD_ADDR + (uint64_t)d * PAGE_4K, page, sizeof page);
    }
}

static void fill_screen_info(uint8_t *bp, uint64_t ext_mem_kb)
{
    uint8_t *si = bp + LINUX_BP_SCREEN_INFO;
    st_le16(si + 0x02, ext_mem_kb > 0xFFFF ? 0xFFFF : (uint16_t)ext_mem_kb); /* ext_mem_k */
    si[0x06] = 3;            /* orig_video_mode: 80x25 colour text */
    si[0x07] = 80;           /* orig_video_cols */
    st_le16(si + 0x0A, 3);   /* orig_video_ega_bx: BL != 0x10 means EGA/VGA present */
    si[0x0E] = 25;           /* orig_video_lines */
    si[0x0F] = 1;            /* orig_video_isVGA */
    st_le16(si + 0x10, 16);  /* orig_video_points: 16-line font */
}

int linux_boot_load(struct physmem *pm, const struct linux_boot_config *cfg,
                    struct boot_cpu_state *cpu, struct linux_boot_info *info, char *err,
                    size_t errlen)
{
    struct linux_boot_info local_info;
    if (!info)
        info = &local_info;
    memset(info, 0, sizeof *info);
    memset(cpu, 0, sizeof *cpu);
    if (!pm || !cfg || !cfg->e820 || cfg->e820_count <= 0) {
        snprintf(err, errlen, "linux boot: no memory map given");
        return -1;
    }
    if (!e820_range_is_ram(cfg->e820, cfg->e820_count, LINUX_BOOT_GDT_ADDR,
                           LINUX_BOOT_LOW_END - LINUX_BOOT_GDT_ADDR)) {
        snprintf(err, errlen, "linux boot: low memory 0x1000-0x2ffff is not usable RAM");
        return -1;
    }

    struct loader_file kf;
    if (loader_file_open(&kf, cfg->cache, "-kernel", cfg->kernel_path, err, errlen) != 0)
        return -1;
    int rc = -1;
    uint8_t *setup = NULL;
    struct loader_file rf = {0};

    size_t head_len = kf.size < LINUX_SETUP_MAX_BYTES ? (size_t)kf.size : LINUX_SETUP_MAX_BYTES;
    setup = calloc(1, LINUX_SETUP_MAX_BYTES);
    if (!setup) {
        snprintf(err, errlen, "out of host memory");
        goto out;
    }
    if (loader_file_read(&kf, 0, setup, head_len, err, errlen) != 0)
        goto out;
    struct linux_header h;
    char why[256];
    if (linux_parse_header(setup, head_len, kf.size, &h, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", kf.name, why);
        goto out;
    }
    bool entry64 = (h.xloadflags & LINUX_XLF_KERNEL_64) && !cfg->force_32bit_entry;

    uint64_t load, fp_start, fp_end;
    if (choose_load_address(&h, cfg, &load, &fp_start, &fp_end, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", kf.name, why);
        goto out;
    }

    const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
    size_t cmdline_len = strlen(cmdline);
    if (cmdline_len > h.cmdline_size || cmdline_len + 1 > LINUX_BOOT_CMDLINE_MAX) {
        snprintf(err, errlen, "kernel command line too long (%zu bytes, kernel accepts %u)",
                 cmdline_len, h.cmdline_size);
        goto out;
    }

    uint64_t initrd_addr = 0, initrd_size = 0;
    if (cfg->initrd_path && *cfg->initrd_path) {
        if (loader_file_open(&rf, cfg->cache, "-initrd", cfg->initrd_path, err, errlen) != 0)
            goto out;
        initrd_size = rf.size;
        /* initrd_addr_max is the highest byte the initrd may occupy. */
        uint64_t limit = (uint64_t)h.initrd_addr_max + 1;
        if (limit > PHYS_4G)
            limit = PHYS_4G;
        if (initrd_size) {
            initrd_addr = place_initrd(cfg, initrd_size, limit, fp_start, fp_end);
            if (!initrd_addr) {
                snprintf(err, errlen,
                         "%s: initrd (%llu bytes) does not fit in RAM below 0x%llx next to the "
                         "kernel",
                         rf.name, (unsigned long long)initrd_size, (unsigned long long)limit);
                goto out;
            }
        }
    }

    /* All checks passed: from here on only guest writes and file reads. */
    if (loader_file_to_guest(&kf, h.setup_size, pm, load, h.kernel_size, err, errlen) != 0)
        goto out;
    if (initrd_size &&
        loader_file_to_guest(&rf, 0, pm, initrd_addr, initrd_size, err, errlen) != 0)
        goto out;
    physmem_write_buf(pm, LINUX_BOOT_CMDLINE_ADDR, cmdline, cmdline_len + 1);

    uint8_t bp[LINUX_BP_SIZE];
    memset(bp, 0, sizeof bp);
    memcpy(bp + LINUX_HDR_SETUP_SECTS, setup + LINUX_HDR_SETUP_SECTS,
           h.header_end - LINUX_HDR_SETUP_SECTS);
    bp[LINUX_HDR_TYPE_OF_LOADER] = 0xFF; /* boot.rst: undefined/unregistered loader */
    /* Fields the loader owns, whatever the image carries there: a PC
     * (subarch 0, no subarch data) and no setup_data chain. */
    if (h.header_end >= LINUX_HDR_HARDWARE_SUBARCH + 12)
        memset(bp + LINUX_HDR_HARDWARE_SUBARCH, 0, 12);
    if (h.header_end >= LINUX_HDR_SETUP_DATA + 8)
        memset(bp + LINUX_HDR_SETUP_DATA, 0, 8);
    bp[LINUX_HDR_LOADFLAGS] = (uint8_t)(h.loadflags | LINUX_LOADFLAG_CAN_USE_HEAP);
    st_le16(bp + LINUX_HDR_HEAP_END_PTR, LINUX_HEAP_END);
    st_le32(bp + LINUX_HDR_CODE32_START, (uint32_t)load);
    st_le32(bp + LINUX_HDR_CMD_LINE_PTR, (uint32_t)LINUX_BOOT_CMDLINE_ADDR);
    st_le32(bp + LINUX_HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
    st_le32(bp + LINUX_HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
    st_le64(bp + LINUX_BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp_addr);
    int n = cfg->e820_count < LINUX_BP_E820_MAX ? cfg->e820_count : LINUX_BP_E820_MAX;
    for (int i = 0; i < n; i++)
        e820_pack(bp + LINUX_BP_E820_TABLE + i * E820_PACKED_SIZE, &cfg->e820[i]);
    bp[LINUX_BP_E820_ENTRIES] = (uint8_t)n;
    uint64_t ext_kb = e820_contiguous_ram(cfg->e820, cfg->e820_count, 0x100000) >> 10;
    st_le32(bp + LINUX_BP_ALT_MEM_K, ext_kb > UINT32_MAX ? UINT32_MAX : (uint32_t)ext_kb);
    if (cfg->vga_text)
        fill_screen_info(bp, ext_kb);
    physmem_write_buf(pm, LINUX_BOOT_PARAMS_ADDR, bp, sizeof bp);

    uint8_t gdt[32];
    build_gdt(gdt, entry64);
    physmem_write_buf(pm, LINUX_BOOT_GDT_ADDR, gdt, sizeof gdt);
    if (entry64)
        build_identity_map(pm);

    /* boot.rst "32-bit/64-bit boot protocol": flat __BOOT_CS/__BOOT_DS,
     * interrupts off, %rsi = boot_params; 32-bit also wants %ebp, %edi,
     * %ebx zero, which the zeroed state gives. */
    cpu->long_mode = entry64;
    cpu->rip = entry64 ? load + 0x200 : load;
    cpu->rsp = LINUX_BOOT_STACK_TOP;
    cpu->rsi = LINUX_BOOT_PARAMS_ADDR;
    cpu->rflags = 0x2;
    if (entry64) {
        cpu->cr0 = 0x80000011; /* PG | ET | PE */
        cpu->cr3 = LINUX_BOOT_PML4_ADDR;
        cpu->cr4 = 0x20;       /* PAE */
        cpu->efer = 0x500;     /* LMA | LME (SDM Vol.3A 2.2.1) */
    } else {
        cpu->cr0 = 0x11;       /* ET | PE */
    }
    cpu->gdt_base = LINUX_BOOT_GDT_ADDR;
    cpu->gdt_limit = sizeof gdt - 1;
    cpu->cs = LINUX_BOOT_CS;
    cpu->ds = LINUX_BOOT_DS;
    cpu->cs_seg = (struct boot_segment){LINUX_BOOT_CS, 0, 0xFFFFFFFFu,
                                        entry64 ? BOOT_SEG_AR_CODE64 : BOOT_SEG_AR_CODE32};
    cpu->data_seg = (struct boot_segment){LINUX_BOOT_DS, 0, 0xFFFFFFFFu, BOOT_SEG_AR_DATA32};

    memcpy(info->kernel_version, h.kernel_version, sizeof info->kernel_version);
    info->protocol_version = h.version;
    info->entry_64bit = entry64;
    info->kernel_addr = load;
    info->kernel_size = h.kernel_size;
    info->kernel_footprint_end = fp_end;
    info->entry = cpu->rip;
    info->boot_params_addr = LINUX_BOOT_PARAMS_ADDR;
    info->cmdline_addr = LINUX_BOOT_CMDLINE_ADDR;
    info->cmdline_len = cmdline_len;
    info->initrd_addr = initrd_addr;
    info->initrd_size = initrd_size;
    info->gdt_addr = LINUX_BOOT_GDT_ADDR;
    info->page_tables_addr = entry64 ? LINUX_BOOT_PML4_ADDR : 0;
    rc = 0;
out:
    free(setup);
    loader_file_close(&rf);
    loader_file_close(&kf);
    return rc;
}

bool linux_cmdline_vid_mode(const char *cmdline, uint16_t *mode)
{
    bool found = false;
    for (const char *p = cmdline; p && *p;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len > 4 && !strncmp(p, "vga=", 4)) {
            /* The last vga= wins, as the kernel's own option parsing has it. */
            char val[24];
            size_t n = len - 4 < sizeof(val) - 1 ? len - 4 : sizeof(val) - 1;
            memcpy(val, p + 4, n);
            val[n] = 0;
            char *end;
            unsigned long v;
            if (!strcmp(val, "normal")) {
                *mode = 0xffff, found = true;
            } else if (!strcmp(val, "ext")) {
                *mode = 0xfffe, found = true;
            } else if (!strcmp(val, "ask")) {
                *mode = 0xfffd, found = true;
            } else if ((v = strtoul(val, &end, 0)), *end == 0 && end != val && v <= 0xffff) {
                *mode = (uint16_t)v, found = true;
            }
        }
        p += len;
    }
    return found;
}
