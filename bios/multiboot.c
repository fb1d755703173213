/* Multiboot 1 loader: see multiboot.h. Structure layouts follow the
 * Multiboot Specification version 0.6.96, sections 3.1 and 3.3. */
#include "bios/multiboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/loader_file.h"

#define PAGE_4K 0x1000ull
#define ELF_PT_LOAD 1
#define ELF_EM_386 3
#define ELF_ET_EXEC 2
#define ELF32_EHDR_SIZE 52
#define ELF32_PHDR_SIZE 32
#define ELF_MAX_PHDRS 256

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

int multiboot_find_header(const uint8_t *buf, size_t len, struct multiboot_header *h, char *err,
                          size_t errlen)
{
    memset(h, 0, sizeof *h);
    size_t limit = len < MULTIBOOT_SEARCH_LIMIT ? len : MULTIBOOT_SEARCH_LIMIT;
    /* The header is 32-bit aligned and its first 12 bytes must lie inside
     * the search window. */
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        if (ld_le32(buf + off) != MULTIBOOT_HEADER_MAGIC)
            continue;
        uint32_t flags = ld_le32(buf + off + 4);
        uint32_t sum = MULTIBOOT_HEADER_MAGIC + flags + ld_le32(buf + off + 8);
        if (sum != 0)
            continue; /* a stray magic value, not a header */
        /* Bits 0-15 are requirements: refuse what is not understood. */
        uint32_t known = MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO |
                         MULTIBOOT_FLAG_VIDEO_MODE;
        if (flags & 0xFFFFu & ~known) {
            snprintf(err, errlen, "multiboot header requires unsupported features (flags 0x%x)",
                     flags);
            return -1;
        }
        h->offset = (uint32_t)off;
        h->flags = flags;
        if (flags & MULTIBOOT_FLAG_AOUT_KLUDGE) {
            if (off + 32 > len) {
                snprintf(err, errlen, "truncated multiboot header");
                return -1;
            }
            h->header_addr = ld_le32(buf + off + 12);
            h->load_addr = ld_le32(buf + off + 16);
            h->load_end_addr = ld_le32(buf + off + 20);
            h->bss_end_addr = ld_le32(buf + off + 24);
            h->entry_addr = ld_le32(buf + off + 28);
        }
        return 0;
    }
    snprintf(err, errlen, "no multiboot header in the first 8 KiB");
    return -1;
}

/* One piece of the image to place: file bytes then zeroes. */
struct mb_segment {
    uint64_t paddr, file_off, file_len, mem_len;
};

static int check_segment(const struct multiboot_config *cfg, const struct mb_segment *s,
                         uint64_t file_size, char *err, size_t errlen)
{
    if (s->file_len > s->mem_len || s->file_off > file_size ||
        s->file_len > file_size - s->file_off) {
        snprintf(err, errlen, "segment at 0x%llx: file bytes out of range (truncated image?)",
                 (unsigned long long)s->paddr);
        return -1;
    }
    if (s->mem_len == 0)
        return 0;
    if (s->paddr + s->mem_len > 0x100000000ull ||
        !e820_range_is_ram(cfg->e820, cfg->e820_count, s->paddr, s->mem_len)) {
        snprintf(err, errlen, "segment 0x%llx-0x%llx is not in usable RAM",
                 (unsigned long long)s->paddr, (unsigned long long)(s->paddr + s->mem_len));
        return -1;
    }
    return 0;
}

/* Reads the ELF32 program headers into segs; returns the count or -1. */
static int elf32_segments(struct loader_file *lf, const uint8_t *ehdr, struct mb_segment *segs,
                          uint64_t *entry, char *err, size_t errlen)
{
    if (ehdr[4] != 1 || ehdr[5] != 1) {
        snprintf(err, errlen, "ELF image is not 32-bit little endian; a 64-bit multiboot "
                              "kernel needs the a.out kludge (header flag bit 16)");
        return -1;
    }
    if (ld_le16(ehdr + 16) != ELF_ET_EXEC || ld_le16(ehdr + 18) != ELF_EM_386) {
        snprintf(err, errlen, "ELF image is not an i386 executable");
        return -1;
    }
    uint32_t phoff = ld_le32(ehdr + 28);
    uint16_t phentsize = ld_le16(ehdr + 42), phnum = ld_le16(ehdr + 44);
    if (phnum == 0 || phnum > ELF_MAX_PHDRS || phentsize < ELF32_PHDR_SIZE) {
        snprintf(err, errlen, "ELF program header table is malformed");
        return -1;
    }
    uint64_t e = ld_le32(ehdr + 24);
    *entry = e;
    int n = 0;
    for (unsigned i = 0; i < phnum; i++) {
        uint8_t ph[ELF32_PHDR_SIZE];
        uint64_t at = (uint64_t)phoff + (uint64_t)i * phentsize;
        char why[256];
        /* The caller names the file: this message must not name it again. */
        if (loader_file_read(lf, at, ph, sizeof ph, why, sizeof why) != 0) {
            snprintf(err, errlen, "truncated: ELF program header %u at offset 0x%llx is past "
                                  "the end of the file (%llu bytes)",
                     i, (unsigned long long)at, (unsigned long long)lf->size);
            return -1;
        }
        if (ld_le32(ph) != ELF_PT_LOAD)
            continue;
        struct mb_segment *s = &segs[n++];
        s->file_off = ld_le32(ph + 4);
        uint64_t vaddr = ld_le32(ph + 8);
        s->paddr = ld_le32(ph + 12);
        s->file_len = ld_le32(ph + 16);
        s->mem_len = ld_le32(ph + 20);
        /* A higher-half kernel links its entry at a virtual address; paging
         * is off at entry, so run it at the matching physical address. */
        if (e >= vaddr && e < vaddr + s->mem_len && vaddr != s->paddr)
            *entry = e - vaddr + s->paddr;
    }
    if (n == 0) {
        snprintf(err, errlen, "ELF image has no loadable segment");
        return -1;
    }
    return n;
}

static int aout_segment(const struct multiboot_header *h, uint64_t file_size,
                        struct mb_segment *s, char *err, size_t errlen)
{
    if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > h->offset) {
        snprintf(err, errlen, "multiboot a.out kludge: load_addr 0x%x is inconsistent with "
                              "header_addr 0x%x",
                 h->load_addr, h->header_addr);
        return -1;
    }
    s->paddr = h->load_addr;
    s->file_off = h->offset - (h->header_addr - h->load_addr);
    if (h->load_end_addr == 0) {
        s->file_len = file_size - s->file_off;
    } else {
        if (h->load_end_addr < h->load_addr) {
            snprintf(err, errlen, "multiboot a.out kludge: load_end_addr below load_addr");
            return -1;
        }
        s->file_len = (uint64_t)h->load_end_addr - h->load_addr;
    }
    s->mem_len = s->file_len;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < s->paddr + s->file_len) {
            snprintf(err, errlen, "multiboot a.out kludge: bss_end_addr below the loaded image");
            return -1;
        }
        s->mem_len = (uint64_t)h->bss_end_addr - s->paddr;
    }
    return 0;
}

/* Bump allocator over the info area, which the guest sees at `base`. */
struct mb_area {
    uint8_t *buf;
    size_t size, used;
    uint64_t base;
};

static int64_t area_alloc(struct mb_area *a, size_t len, size_t align)
{
    size_t at = (a->used + align - 1) & ~(align - 1);
    if (at > a->size || len > a->size - at)
        return -1;
    a->used = at + len;
    return (int64_t)at;
}

static int64_t area_string(struct mb_area *a, const char *s)
{
    size_t n = strlen(s) + 1;
    int64_t at = area_alloc(a, n, 1);
    if (at >= 0)
        memcpy(a->buf + at, s, n);
    return at;
}

static uint32_t area_addr(const struct mb_area *a, int64_t at)
{
    return (uint32_t)(a->base + (uint64_t)at);
}

/* Memory map entries the info area has room for. */
static int mmap_slots(const struct multiboot_config *cfg)
{
    return cfg->e820_count > MULTIBOOT_FW_MMAP_MAX ? cfg->e820_count : MULTIBOOT_FW_MMAP_MAX;
}

/* Bytes the info area needs: the structure, the strings, the memory map
 * and the module list (with 4-byte alignment slack for each part). */
static size_t area_size_needed(const struct multiboot_config *cfg)
{
    size_t n = MULTIBOOT_INFO_SIZE + strlen(cfg->cmdline ? cfg->cmdline : "") + 1 +
               sizeof "turtles" + (size_t)mmap_slots(cfg) * MULTIBOOT_MMAP_ENTRY_SIZE +
               (size_t)cfg->nmodules * MULTIBOOT_MODULE_SIZE + 16;
    for (int i = 0; i < cfg->nmodules; i++) {
        const struct multiboot_module_spec *ms = &cfg->modules[i];
        n += strlen(ms->cmdline ? ms->cmdline : (ms->path ? ms->path : "")) + 1;
    }
    return n;
}

/* Where the loader's bytes go: guest RAM (direct boot), or the load list
 * that the firmware's option ROM copies (roms/multiboot.S). */
struct mb_sink {
    struct physmem *pm;   /* direct boot */
    struct mb_list *list; /* through the firmware */
};

/* The load list of multiboot.h: header, then (paddr, length, bytes) chunks;
 * a chunk that continues the previous one in memory extends it. */
struct mb_list {
    uint8_t *buf;
    size_t len, cap;
    uint32_t nchunks;
    size_t last_hdr;   /* offset of the last chunk's header */
    uint64_t last_end; /* guest address just past the last chunk */
};

static int list_reserve(struct mb_list *l, size_t more)
{
    if (more > SIZE_MAX / 2 - l->len)
        return -1;
    if (l->len + more <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap : 4096;
    while (cap < l->len + more)
        cap *= 2;
    uint8_t *b = realloc(l->buf, cap);
    if (!b)
        return -1;
    l->buf = b;
    l->cap = cap;
    return 0;
}

/* data NULL: len zero bytes. */
static int sink_put(struct mb_sink *s, uint64_t paddr, const uint8_t *data, uint64_t len,
                    char *err, size_t errlen)
{
    if (len == 0)
        return 0;
    if (s->pm) {
        if (data)
            physmem_write_buf(s->pm, paddr, data, (size_t)len);
        else
            loader_zero_guest(s->pm, paddr, len);
        return 0;
    }
    struct mb_list *l = s->list;
    bool extend = l->nchunks > 0 && paddr == l->last_end &&
                  ld_le32(l->buf + l->last_hdr + 4) + len <= UINT32_MAX;
    if (len > UINT32_MAX || list_reserve(l, (size_t)len + MULTIBOOT_LIST_CHUNK_SIZE) != 0) {
        snprintf(err, errlen, "multiboot: out of host memory for the load list");
        return -1;
    }
    if (extend) {
        st_le32(l->buf + l->last_hdr + 4, ld_le32(l->buf + l->last_hdr + 4) + (uint32_t)len);
    } else {
        l->last_hdr = l->len;
        st_le32(l->buf + l->len, (uint32_t)paddr);
        st_le32(l->buf + l->len + 4, (uint32_t)len);
        l->len += MULTIBOOT_LIST_CHUNK_SIZE;
        l->nchunks++;
    }
    if (data)
        memcpy(l->buf + l->len, data, (size_t)len);
    else
        memset(l->buf + l->len, 0, (size_t)len);
    l->len += (size_t)len;
    l->last_end = paddr + len;
    return 0;
}

static int sink_file(struct mb_sink *s, struct loader_file *lf, uint64_t off, uint64_t paddr,
                     uint64_t len, char *err, size_t errlen)
{
    if (off > lf->size || len > lf->size - off) {
        snprintf(err, errlen, "%s: truncated (%llu bytes wanted at offset %llu)", lf->name,
                 (unsigned long long)len, (unsigned long long)off);
        return -1;
    }
    return sink_put(s, paddr, lf->data + off, len, err, errlen);
}

static int load_into(struct mb_sink *sink, const struct multiboot_config *cfg,
                     struct boot_cpu_state *cpu, struct multiboot_boot_info *info, char *err,
                     size_t errlen)
{
    struct physmem *pm = sink->pm;
    struct multiboot_boot_info local_info;
    if (!info)
        info = &local_info;
    memset(info, 0, sizeof *info);
    memset(cpu, 0, sizeof *cpu);
    if ((!pm && !sink->list) || !cfg || !cfg->e820 || cfg->e820_count <= 0) {
        snprintf(err, errlen, "multiboot: no memory map given");
        return -1;
    }
    if (cfg->nmodules < 0 || cfg->nmodules > MULTIBOOT_MAX_MODULES ||
        (cfg->nmodules > 0 && !cfg->modules)) {
        snprintf(err, errlen, "multiboot: bad module count %d (at most %d)", cfg->nmodules,
                 MULTIBOOT_MAX_MODULES);
        return -1;
    }

    int rc = -1;
    struct mb_segment *segs = NULL;
    struct mb_area *area = NULL;
    struct loader_file kf;
    if (loader_file_open(&kf, cfg->cache, "-kernel", cfg->kernel_path, err, errlen) != 0)
        return -1;
    char why[256];

    uint8_t head[MULTIBOOT_SEARCH_LIMIT];
    size_t head_len = kf.size < sizeof head ? (size_t)kf.size : sizeof head;
    if (loader_file_read(&kf, 0, head, head_len, err, errlen) != 0)
        goto out;
    struct multiboot_header mh;
    if (multiboot_find_header(head, head_len, &mh, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", kf.name, why);
        goto out;
    }

    segs = calloc(ELF_MAX_PHDRS, sizeof *segs);
    area = calloc(1, sizeof *area);
    if (area) {
        area->size = area_size_needed(cfg);
        area->buf = calloc(1, area->size);
    }
    if (!segs || !area || !area->buf) {
        snprintf(err, errlen, "out of host memory");
        goto out;
    }
    int nsegs;
    uint64_t entry;
    if (mh.flags & MULTIBOOT_FLAG_AOUT_KLUDGE) {
        if (aout_segment(&mh, kf.size, &segs[0], why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", kf.name, why);
            goto out;
        }
        nsegs = 1;
        entry = mh.entry_addr;
        info->aout_kludge = true;
    } else {
        if (head_len < ELF32_EHDR_SIZE || memcmp(head, "\177ELF", 4) != 0) {
            snprintf(err, errlen, "%s: not an ELF image and no a.out kludge in the multiboot "
                                  "header",
                     kf.name);
            goto out;
        }
        nsegs = elf32_segments(&kf, head, segs, &entry, why, sizeof why);
        if (nsegs < 0) {
            snprintf(err, errlen, "%s: %s", kf.name, why);
            goto out;
        }
    }

    uint64_t kstart = UINT64_MAX, kend = 0;
    for (int i = 0; i < nsegs; i++) {
        if (check_segment(cfg, &segs[i], kf.size, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", kf.name, why);
            goto out;
        }
        if (segs[i].mem_len == 0)
            continue;
        /* The option ROM loads while the firmware still runs on its stack
         * and tables in low memory (SeaBIOS: stack below 0x7000, the IVT,
         * the BDA and EBDA). */
        if (sink->list && segs[i].paddr < 0x100000) {
            snprintf(err, errlen, "%s: segment at 0x%llx is below 1 MiB, where the firmware "
                                  "runs; boot this kernel without -bios",
                     kf.name, (unsigned long long)segs[i].paddr);
            goto out;
        }
        if (segs[i].paddr < kstart)
            kstart = segs[i].paddr;
        if (segs[i].paddr + segs[i].mem_len > kend)
            kend = segs[i].paddr + segs[i].mem_len;
    }
    if (kend == 0) {
        snprintf(err, errlen, "%s: the image loads no bytes", kf.name);
        goto out;
    }
    if (entry < kstart || entry >= kend) {
        snprintf(err, errlen, "%s: entry point 0x%llx is outside the loaded image", kf.name,
                 (unsigned long long)entry);
        goto out;
    }
    for (int i = 0; i < nsegs; i++) {
        const struct mb_segment *s = &segs[i];
        if (sink_file(sink, &kf, s->file_off, s->paddr, s->file_len, err, errlen) != 0 ||
            sink_put(sink, s->paddr + s->file_len, NULL, s->mem_len - s->file_len, err,
                     errlen) != 0)
            goto out;
    }

    /* After the image: the GDT, the info area (info struct first, so its
     * address is the start of the area), the stack; then the modules. */
    uint64_t gdt_addr = align_up(kend > 0x100000 ? kend : 0x100000, PAGE_4K);
    area->base = gdt_addr + MULTIBOOT_GDT_SIZE;
    uint64_t stack_top = align_up(area->base + area->size, 16) + MULTIBOOT_STACK_SIZE;
    if (stack_top > 0x100000000ull ||
        !e820_range_is_ram(cfg->e820, cfg->e820_count, gdt_addr, stack_top - gdt_addr)) {
        snprintf(err, errlen, "multiboot: no RAM after the image at 0x%llx for the boot "
                              "information",
                 (unsigned long long)gdt_addr);
        goto out;
    }
    /* Info struct first, so its address is the start of the area. */
    uint8_t *mbi = area->buf;
    area->used = MULTIBOOT_INFO_SIZE;
    uint32_t flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
                     MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_LOADER_NAME;
    uint64_t lower = e820_contiguous_ram(cfg->e820, cfg->e820_count, 0) >> 10;
    uint64_t upper = e820_contiguous_ram(cfg->e820, cfg->e820_count, 0x100000) >> 10;
    st_le32(mbi + 4, (uint32_t)(lower > 640 ? 640 : lower));
    st_le32(mbi + 8, upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper);

    int64_t at = area_string(area, cfg->cmdline ? cfg->cmdline : "");
    int64_t name_at = area_string(area, "turtles");
    int64_t mmap_at = area_alloc(area, (size_t)mmap_slots(cfg) * MULTIBOOT_MMAP_ENTRY_SIZE, 4);
    int64_t mods_at = area_alloc(area, (size_t)cfg->nmodules * MULTIBOOT_MODULE_SIZE, 4);
    if (at < 0 || name_at < 0 || mmap_at < 0 || mods_at < 0) {
        snprintf(err, errlen, "multiboot: command line or module list too large");
        goto out;
    }
    st_le32(mbi + 16, area_addr(area, at));
    st_le32(mbi + 64, area_addr(area, name_at));
    /* Through the firmware, its option ROM fills in mem_lower, mem_upper,
     * the map and its length from the firmware's own INT 12h / INT 15h
     * E820, which is what the kernel could ask for itself. */
    int direct_entries = sink->list ? 0 : cfg->e820_count;
    if (sink->list)
        st_le32(mbi + 4, 0), st_le32(mbi + 8, 0);
    for (int i = 0; i < direct_entries; i++) {
        uint8_t *m = area->buf + mmap_at + (size_t)i * MULTIBOOT_MMAP_ENTRY_SIZE;
        /* The size field counts the bytes after itself. */
        st_le32(m, MULTIBOOT_MMAP_ENTRY_SIZE - 4);
        st_le64(m + 4, cfg->e820[i].addr);
        st_le64(m + 12, cfg->e820[i].size);
        st_le32(m + 20, cfg->e820[i].type);
    }
    st_le32(mbi + 44, (uint32_t)direct_entries * MULTIBOOT_MMAP_ENTRY_SIZE);
    st_le32(mbi + 48, area_addr(area, mmap_at));

    uint64_t next = align_up(stack_top, PAGE_4K);
    for (int i = 0; i < cfg->nmodules; i++) {
        const struct multiboot_module_spec *ms = &cfg->modules[i];
        struct loader_file mf;
        if (loader_file_open(&mf, cfg->cache, "-initrd", ms->path, err, errlen) != 0)
            goto out;
        if (mf.size >= 0x100000000ull || next + mf.size > 0x100000000ull ||
            (mf.size && !e820_range_is_ram(cfg->e820, cfg->e820_count, next, mf.size))) {
            snprintf(err, errlen, "%s: module (%llu bytes) does not fit in RAM at 0x%llx",
                     mf.name, (unsigned long long)mf.size, (unsigned long long)next);
            loader_file_close(&mf);
            goto out;
        }
        int r = sink_file(sink, &mf, 0, next, mf.size, err, errlen);
        loader_file_close(&mf);
        if (r != 0)
            goto out;
        int64_t str = area_string(area, ms->cmdline ? ms->cmdline : (ms->path ? ms->path : ""));
        if (str < 0) {
            snprintf(err, errlen, "multiboot: module command lines too large");
            goto out;
        }
        uint8_t *md = area->buf + mods_at + (size_t)i * MULTIBOOT_MODULE_SIZE;
        st_le32(md, (uint32_t)next);
        st_le32(md + 4, (uint32_t)(next + mf.size));
        st_le32(md + 8, area_addr(area, str));
        st_le32(md + 12, 0);
        next = align_up(next + mf.size, PAGE_4K);
    }
    st_le32(mbi + 20, (uint32_t)cfg->nmodules);
    st_le32(mbi + 24, area_addr(area, mods_at));
    st_le32(mbi + 0, flags);

    /* A GDT is not required by the spec (GDTR "may be invalid"), but the
     * descriptor caches need a table to agree with should the kernel
     * reload a segment register before its own LGDT. */
    uint8_t gdt[MULTIBOOT_GDT_SIZE];
    memset(gdt, 0, sizeof gdt);
    st_le64(gdt + MULTIBOOT_CS, 0x00CF9B000000FFFFull);
    st_le64(gdt + MULTIBOOT_DS, 0x00CF93000000FFFFull);
    /* The GDT with the info area right after it (the modules went in
     * above, once their addresses were known). */
    if (sink_put(sink, gdt_addr, gdt, sizeof gdt, err, errlen) != 0 ||
        sink_put(sink, area->base, area->buf, area->used, err, errlen) != 0)
        goto out;

    /* Spec 3.2 "Machine state": EAX magic, EBX info, flat 32-bit segments,
     * CR0.PG=0, CR0.PE=1, EFLAGS.IF=0 and VM=0. */
    cpu->long_mode = false;
    cpu->rip = entry;
    cpu->rsp = stack_top;
    cpu->rax = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu->rbx = area->base;
    cpu->rflags = 0x2;
    cpu->cr0 = 0x11; /* ET | PE */
    cpu->gdt_base = gdt_addr;
    cpu->gdt_limit = sizeof gdt - 1;
    cpu->cs = MULTIBOOT_CS;
    cpu->ds = MULTIBOOT_DS;
    cpu->cs_seg = (struct boot_segment){MULTIBOOT_CS, 0, 0xFFFFFFFFu, BOOT_SEG_AR_CODE32};
    cpu->data_seg = (struct boot_segment){MULTIBOOT_DS, 0, 0xFFFFFFFFu, BOOT_SEG_AR_DATA32};

    info->info_addr = area->base;
    info->kernel_start = kstart;
    info->kernel_end = kend;
    info->entry = entry;
    info->nmodules = cfg->nmodules;
    info->modules_end = next;
    rc = 0;
out:
    free(segs);
    if (area)
        free(area->buf);
    free(area);
    loader_file_close(&kf);
    return rc;
}

int multiboot_load(struct physmem *pm, const struct multiboot_config *cfg,
                   struct boot_cpu_state *cpu, struct multiboot_boot_info *info, char *err,
                   size_t errlen)
{
    struct mb_sink sink = {.pm = pm};
    if (!pm) {
        snprintf(err, errlen, "multiboot: no guest memory");
        return -1;
    }
    return load_into(&sink, cfg, cpu, info, err, errlen);
}

int multiboot_load_list(const struct multiboot_config *cfg, uint8_t **list, size_t *len,
                        struct multiboot_boot_info *info, char *err, size_t errlen)
{
    *list = NULL;
    *len = 0;
    struct mb_list l = {0};
    struct mb_sink sink = {.list = &l};
    struct boot_cpu_state cpu;
    if (list_reserve(&l, MULTIBOOT_LIST_HEADER_SIZE) != 0) {
        snprintf(err, errlen, "multiboot: out of host memory for the load list");
        return -1;
    }
    l.len = MULTIBOOT_LIST_HEADER_SIZE;
    if (load_into(&sink, cfg, &cpu, info, err, errlen) != 0) {
        free(l.buf);
        return -1;
    }
    st_le32(l.buf, MULTIBOOT_LIST_MAGIC);
    st_le32(l.buf + 4, (uint32_t)cpu.rip);
    st_le32(l.buf + 8, (uint32_t)cpu.rbx);
    st_le32(l.buf + 12, (uint32_t)cpu.rsp);
    st_le32(l.buf + 16, l.nchunks);
    *list = l.buf;
    *len = l.len;
    return 0;
}
