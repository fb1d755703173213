/* Standard VGA with the Bochs VBE extensions (devices/vga.h). Register
 * semantics follow the IBM VGA Technical Reference as FreeVGA describes it;
 * the VBE interface follows Bochs' vbe.h register set. */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "devices/vga.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Sequencer (SR), graphics controller (GR), CRTC and attribute bits used. */
#define SR_MAP_MASK 2
#define SR_MEMORY_MODE 4
#define SR4_ODD_EVEN_OFF 0x04 /* set: sequential addressing */
#define SR4_CHAIN4 0x08
#define GR_SET_RESET 0
#define GR_ENABLE_SET_RESET 1
#define GR_COLOR_COMPARE 2
#define GR_DATA_ROTATE 3
#define GR_READ_MAP 4
#define GR_MODE 5
#define GR_MISC 6
#define GR_COLOR_DONT_CARE 7
#define GR_BIT_MASK 8
#define CR_PROTECT 0x11 /* bit 7: CR0-CR7 are write-protected (CR7 bit 4 excepted) */
#define ST01_DISP_ENABLE 0x01
#define ST01_V_RETRACE 0x08

static bool vbe_enabled(const struct vga *v)
{
    return (v->vbe[VBE_ENABLE] & VBE_ENABLED) != 0;
}

bool vga_vbe_active(const struct vga *v)
{
    return vbe_enabled(v);
}

/* ---- dirty tracking for the display ---- */

static inline void mark_dirty(struct vga *v, uint64_t off)
{
    uint64_t page = off / VGA_DIRTY_PAGE;
    v->dirty_pages[page / 64] |= 1ull << (page % 64);
}

static void mark_dirty_range(struct vga *v, uint64_t off, uint64_t len)
{
    if (!len)
        return;
    for (uint64_t p = off / VGA_DIRTY_PAGE; p <= (off + len - 1) / VGA_DIRTY_PAGE; p++)
        v->dirty_pages[p / 64] |= 1ull << (p % 64);
}

bool vga_range_dirty(const struct vga *v, uint64_t start, uint64_t len)
{
    if (!len || start >= VGA_VRAM_SIZE)
        return false;
    if (len > VGA_VRAM_SIZE - start)
        len = VGA_VRAM_SIZE - start;
    for (uint64_t p = start / VGA_DIRTY_PAGE; p <= (start + len - 1) / VGA_DIRTY_PAGE; p++)
        if (v->dirty_pages[p / 64] & (1ull << (p % 64)))
            return true;
    return false;
}

bool vga_any_dirty(const struct vga *v)
{
    if (v->regs_dirty)
        return true;
    for (size_t i = 0; i < sizeof(v->dirty_pages) / sizeof(v->dirty_pages[0]); i++)
        if (v->dirty_pages[i])
            return true;
    return false;
}

void vga_clear_dirty(struct vga *v)
{
    memset(v->dirty_pages, 0, sizeof(v->dirty_pages));
    v->regs_dirty = false;
}

void vga_mark_all_dirty(struct vga *v)
{
    memset(v->dirty_pages, 0xff, sizeof(v->dirty_pages));
    v->regs_dirty = true;
}

/* ---- video memory through the legacy window ---- */

/* The offset inside the selected memory map (GR6 bits 3:2), or -1 when the
 * address lies outside it. */
static int64_t map_offset(const struct vga *v, uint32_t addr)
{
    switch ((v->gr[GR_MISC] >> 2) & 3) {
    case 0: return addr;                                         /* A0000-BFFFF */
    case 1: return addr < 0x10000 ? (int64_t)addr : -1;          /* A0000-AFFFF */
    case 2: return addr >= 0x10000 && addr < 0x18000 ? (int64_t)addr - 0x10000 : -1;
    default: return addr >= 0x18000 ? (int64_t)addr - 0x18000 : -1; /* B8000-BFFFF */
    }
}

static uint8_t plane_byte(uint32_t latch, unsigned p)
{
    return (uint8_t)(latch >> (8 * p));
}

static uint32_t expand_bits(uint8_t nibble)
{
    uint32_t r = 0;
    for (unsigned p = 0; p < 4; p++)
        if (nibble & (1u << p))
            r |= 0xffu << (8 * p);
    return r;
}

static uint8_t vga_mem_readb(struct vga *v, uint32_t addr)
{
    if (vbe_enabled(v)) {
        uint64_t off = (uint64_t)v->vbe[VBE_BANK] * 0x10000 + (addr & 0xffff);
        return addr < 0x10000 && off < VGA_VRAM_SIZE ? v->vram[off] : 0xff;
    }
    int64_t a = map_offset(v, addr);
    if (a < 0)
        return 0xff;
    if (v->seq[SR_MEMORY_MODE] & SR4_CHAIN4)
        return v->vram[a];
    if (!(v->seq[SR_MEMORY_MODE] & SR4_ODD_EVEN_OFF)) {
        /* Odd/even: address bit 0 picks plane 0/1 (or 2/3 by the read map
         * select), the rest addresses within the plane. */
        unsigned plane = (v->gr[GR_READ_MAP] & 2) | (a & 1);
        return v->vram[((uint64_t)a >> 1) * 4 + plane];
    }
    uint32_t latch;
    memcpy(&latch, &v->vram[(uint64_t)a * 4], 4);
    v->latch = latch;
    if (!(v->gr[GR_MODE] & 0x08))
        return plane_byte(latch, v->gr[GR_READ_MAP] & 3);
    /* Read mode 1: a bit is 1 where every plane that is not "don't care"
     * matches the color compare register. */
    uint32_t cmp = expand_bits(v->gr[GR_COLOR_COMPARE] & 0xf);
    uint32_t care = expand_bits(v->gr[GR_COLOR_DONT_CARE] & 0xf);
    uint32_t diff = (latch ^ cmp) & care;
    return (uint8_t)~(diff | diff >> 8 | diff >> 16 | diff >> 24);
}

static uint32_t apply_function(const struct vga *v, uint32_t val)
{
    switch ((v->gr[GR_DATA_ROTATE] >> 3) & 3) {
    case 1: return val & v->latch;
    case 2: return val | v->latch;
    case 3: return val ^ v->latch;
    default: return val;
    }
}

static void vga_mem_writeb(struct vga *v, uint32_t addr, uint8_t val)
{
    if (vbe_enabled(v)) {
        uint64_t off = (uint64_t)v->vbe[VBE_BANK] * 0x10000 + (addr & 0xffff);
        if (addr < 0x10000 && off < VGA_VRAM_SIZE) {
            v->vram[off] = val;
            mark_dirty(v, off);
        }
        return;
    }
    int64_t a = map_offset(v, addr);
    if (a < 0)
        return;
    uint8_t map_mask = v->seq[SR_MAP_MASK] & 0xf;
    if (v->seq[SR_MEMORY_MODE] & SR4_CHAIN4) {
        /* Chain-4 (mode 13h): address bits 1:0 pick the plane. */
        if (map_mask & (1u << (a & 3))) {
            v->vram[a] = val;
            mark_dirty(v, (uint64_t)a);
        }
        return;
    }
    if (!(v->seq[SR_MEMORY_MODE] & SR4_ODD_EVEN_OFF)) {
        /* Odd/even: even addresses reach planes 0 and 2, odd ones 1 and 3. */
        uint8_t mask = map_mask & ((a & 1) ? 0x0a : 0x05);
        mark_dirty(v, ((uint64_t)a >> 1) * 4);
        for (unsigned p = 0; p < 4; p++)
            if (mask & (1u << p))
                v->vram[((uint64_t)a >> 1) * 4 + p] = val;
        return;
    }
    uint8_t bit_mask = v->gr[GR_BIT_MASK];
    unsigned rot = v->gr[GR_DATA_ROTATE] & 7;
    uint8_t rotated = (uint8_t)((val >> rot) | (val << ((8 - rot) & 7)));
    uint32_t data;
    switch (v->gr[GR_MODE] & 3) {
    case 0: {
        uint32_t sr = expand_bits(v->gr[GR_SET_RESET] & 0xf);
        uint32_t esr = expand_bits(v->gr[GR_ENABLE_SET_RESET] & 0xf);
        data = (rotated * 0x01010101u & ~esr) | (sr & esr);
        data = apply_function(v, data);
        break;
    }
    case 1: /* the latches as they are */
        data = v->latch;
        bit_mask = 0xff;
        break;
    case 2:
        data = apply_function(v, expand_bits(val & 0xf));
        break;
    default: /* 3: the rotated data ANDed with the bit mask is the mask */
        bit_mask &= rotated;
        data = apply_function(v, expand_bits(v->gr[GR_SET_RESET] & 0xf));
        break;
    }
    uint32_t m = bit_mask * 0x01010101u;
    data = (data & m) | (v->latch & ~m);
    mark_dirty(v, (uint64_t)a * 4);
    for (unsigned p = 0; p < 4; p++)
        if (map_mask & (1u << p))
            v->vram[(uint64_t)a * 4 + p] = plane_byte(data, p);
}

static uint64_t legacy_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= (uint64_t)vga_mem_readb(opaque, (uint32_t)(offset + i)) << (8 * i);
    return r;
}

static void legacy_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        vga_mem_writeb(opaque, (uint32_t)(offset + i), (uint8_t)(value >> (8 * i)));
}

/* ---- linear framebuffer (BAR0) and expansion ROM ---- */

static uint64_t lfb_read(void *opaque, uint64_t offset, unsigned size)
{
    struct vga *v = opaque;
    uint64_t r = 0;
    if (offset + size <= VGA_VRAM_SIZE)
        memcpy(&r, &v->vram[offset], size); /* little-endian, as the guest sees it */
    return r;
}

static void lfb_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct vga *v = opaque;
    if (offset + size <= VGA_VRAM_SIZE) {
        memcpy(&v->vram[offset], &value, size);
        mark_dirty_range(v, offset, size);
    }
}

static uint64_t rom_read(void *opaque, uint64_t offset, unsigned size)
{
    struct vga *v = opaque;
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= (uint64_t)(offset + i < v->rom_len ? v->rom[offset + i] : 0xff) << (8 * i);
    return r;
}

/* ---- VBE ---- */

static unsigned vbe_bytes_per_pixel(unsigned bpp)
{
    return bpp <= 8 ? 1 : (bpp + 7) / 8;
}

static void vbe_update_layout(struct vga *v)
{
    unsigned bpp = v->vbe[VBE_BPP];
    uint32_t width = v->vbe[VBE_VIRT_WIDTH] ? v->vbe[VBE_VIRT_WIDTH] : v->vbe[VBE_XRES];
    v->vbe_line_bytes = bpp == 4 ? width / 2 : width * vbe_bytes_per_pixel(bpp);
    uint32_t height = v->vbe_line_bytes ? VGA_VRAM_SIZE / v->vbe_line_bytes : 0;
    v->vbe[VBE_VIRT_HEIGHT] = (uint16_t)(height > 0xffff ? 0xffff : height);
    uint64_t x = v->vbe[VBE_X_OFFSET], y = v->vbe[VBE_Y_OFFSET];
    uint64_t start = y * v->vbe_line_bytes + (bpp == 4 ? x / 2 : x * vbe_bytes_per_pixel(bpp));
    v->vbe_start = start < VGA_VRAM_SIZE ? (uint32_t)start : 0;
}

static uint16_t vbe_read(struct vga *v)
{
    unsigned i = v->vbe_index;
    if (i >= VBE_NUM_REGS)
        return 0;
    if (v->vbe[VBE_ENABLE] & VBE_GETCAPS) {
        if (i == VBE_XRES)
            return VBE_MAX_XRES;
        if (i == VBE_YRES)
            return VBE_MAX_YRES;
        if (i == VBE_BPP)
            return VBE_MAX_BPP;
    }
    if (i == VBE_VIDEO_MEMORY_64K)
        return VGA_VRAM_SIZE / 0x10000;
    return v->vbe[i];
}

static void vbe_write(struct vga *v, uint16_t val)
{
    v->regs_dirty = true;
    switch (v->vbe_index) {
    case VBE_ID:
        if (val >= VBE_ID0 && val <= VBE_ID5)
            v->vbe[VBE_ID] = val;
        break;
    case VBE_XRES:
        if (val <= VBE_MAX_XRES && (val & 7) == 0)
            v->vbe[VBE_XRES] = val;
        break;
    case VBE_YRES:
        if (val <= VBE_MAX_YRES)
            v->vbe[VBE_YRES] = val;
        break;
    case VBE_BPP:
        if (val == 0)
            val = 8;
        if (val == 4 || val == 8 || val == 15 || val == 16 || val == 24 || val == 32)
            v->vbe[VBE_BPP] = val;
        break;
    case VBE_BANK:
        if ((uint32_t)val * 0x10000 < VGA_VRAM_SIZE)
            v->vbe[VBE_BANK] = val;
        break;
    case VBE_ENABLE: {
        bool was = vbe_enabled(v);
        v->vbe[VBE_ENABLE] = val & (VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC |
                                    VBE_LFB_ENABLED | VBE_NOCLEARMEM);
        if ((val & VBE_ENABLED) && !was) {
            v->vbe[VBE_VIRT_WIDTH] = v->vbe[VBE_XRES];
            v->vbe[VBE_X_OFFSET] = v->vbe[VBE_Y_OFFSET] = 0;
            vbe_update_layout(v);
            if (!(val & VBE_NOCLEARMEM)) {
                uint64_t used = (uint64_t)v->vbe_line_bytes * v->vbe[VBE_YRES];
                used = used < VGA_VRAM_SIZE ? used : VGA_VRAM_SIZE;
                memset(v->vram, 0, used);
                mark_dirty_range(v, 0, used);
            }
            /* A VBE mode is a packed-pixel graphics mode: the legacy window
             * is a bank window, the VGA side shows graphics. */
            v->gr[GR_MISC] = (uint8_t)((v->gr[GR_MISC] & ~0x0c) | 0x05);
            v->seq[SR_MEMORY_MODE] |= SR4_CHAIN4 | SR4_ODD_EVEN_OFF;
        }
        if (!(val & VBE_ENABLED))
            v->vbe[VBE_BANK] = 0;
        break;
    }
    case VBE_VIRT_WIDTH:
        if (val >= v->vbe[VBE_XRES] || !vbe_enabled(v)) {
            v->vbe[VBE_VIRT_WIDTH] = val;
            vbe_update_layout(v);
        }
        break;
    case VBE_X_OFFSET:
    case VBE_Y_OFFSET:
        v->vbe[v->vbe_index] = val;
        vbe_update_layout(v);
        break;
    default: /* VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only */
        break;
    }
}

/* ---- VGA registers ---- */

static uint8_t vga_port_readb(struct vga *v, uint16_t port)
{
    /* Monochrome or color CRTC/status addresses, by misc output bit 0; the
     * other set does not respond (reads as all ones). */
    bool color = v->misc & 1;
    if ((port >= 0x3b0 && port <= 0x3bf && color) || (port >= 0x3d0 && port <= 0x3df && !color))
        return 0xff;
    switch (port) {
    case 0x3c0: return v->attr_index;
    case 0x3c1: return v->attr[v->attr_index & 0x1f];
    case 0x3c2: return 0x10; /* input status 0: switch sense (a color monitor) */
    case 0x3c3: return 1;    /* VGA enable */
    case 0x3c4: return v->seq_index;
    case 0x3c5: return v->seq[v->seq_index & 7];
    case 0x3c6: return v->pel_mask;
    case 0x3c7: return v->dac_state;
    case 0x3c8: return v->dac_write_index;
    case 0x3c9: {
        uint8_t r = v->dac[v->dac_read_index * 3 + v->dac_component];
        if (++v->dac_component == 3) {
            v->dac_component = 0;
            v->dac_read_index++;
        }
        return r;
    }
    case 0x3ca: return v->feature;
    case 0x3cc: return v->misc;
    case 0x3ce: return v->gr_index;
    case 0x3cf: return v->gr[v->gr_index & 0xf];
    case 0x3b4: case 0x3d4: return v->crtc_index;
    case 0x3b5: case 0x3d5: return v->crtc[v->crtc_index & 0x1f];
    case 0x3ba: case 0x3da:
        /* Input status 1: the retrace bits toggle on each read so polling
         * loops end; reading also resets the attribute flip-flop. */
        v->attr_data_next = false;
        v->status_toggle ^= ST01_DISP_ENABLE | ST01_V_RETRACE;
        return v->status_toggle;
    default: return 0xff;
    }
}

static void vga_port_writeb(struct vga *v, uint16_t port, uint8_t val)
{
    bool color = v->misc & 1;
    if ((port >= 0x3b0 && port <= 0x3bf && color) || (port >= 0x3d0 && port <= 0x3df && !color))
        return;
    v->regs_dirty = true;
    switch (port) {
    case 0x3c0:
        if (!v->attr_data_next)
            v->attr_index = val & 0x3f;
        else if ((v->attr_index & 0x1f) < 0x15)
            v->attr[v->attr_index & 0x1f] = val;
        v->attr_data_next = !v->attr_data_next;
        break;
    case 0x3c2: v->misc = val; break;
    case 0x3c4: v->seq_index = val & 7; break;
    case 0x3c5: v->seq[v->seq_index & 7] = val; break;
    case 0x3c6: v->pel_mask = val; break;
    case 0x3c7:
        v->dac_read_index = val;
        v->dac_component = 0;
        v->dac_state = 3;
        break;
    case 0x3c8:
        v->dac_write_index = val;
        v->dac_component = 0;
        v->dac_state = 0;
        break;
    case 0x3c9:
        v->dac[v->dac_write_index * 3 + v->dac_component] =
            (v->vbe[VBE_ENABLE] & VBE_8BIT_DAC) ? val : (val & 0x3f);
        if (++v->dac_component == 3) {
            v->dac_component = 0;
            v->dac_write_index++;
        }
        break;
    case 0x3ce: v->gr_index = val & 0xf; break;
    case 0x3cf: v->gr[v->gr_index & 0xf] = val; break;
    case 0x3b4: case 0x3d4: v->crtc_index = val & 0x1f; break;
    case 0x3b5: case 0x3d5: {
        unsigned i = v->crtc_index & 0x1f;
        if ((v->crtc[CR_PROTECT] & 0x80) && i <= 7) {
            if (i == 7) /* only the line compare bit 8 stays writable */
                v->crtc[7] = (uint8_t)((v->crtc[7] & ~0x10) | (val & 0x10));
            break;
        }
        v->crtc[i] = val;
        break;
    }
    case 0x3ba: case 0x3da: v->feature = val; break;
    default: break;
    }
}

static uint32_t vga_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct vga *v = opaque;
    if (port == VGA_VBE_INDEX_PORT)
        return v->vbe_index;
    if (port == VGA_VBE_DATA_PORT || port == VGA_VBE_DATA_PORT + 1)
        return vbe_read(v);
    uint32_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= (uint32_t)vga_port_readb(v, (uint16_t)(port + i)) << (8 * i);
    return r;
}

static void vga_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct vga *v = opaque;
    if (port == VGA_VBE_INDEX_PORT) {
        v->vbe_index = (uint16_t)value;
        return;
    }
    if (port == VGA_VBE_DATA_PORT || port == VGA_VBE_DATA_PORT + 1) {
        vbe_write(v, (uint16_t)value);
        return;
    }
    /* A word write to an index port writes the index, then the data. */
    for (unsigned i = 0; i < size; i++)
        vga_port_writeb(v, (uint16_t)(port + i), (uint8_t)(value >> (8 * i)));
}

/* ---- BAR2: QEMU's stdvga MMIO registers ---- */

static uint64_t mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct vga *v = opaque;
    if (offset >= 0x400 && offset < 0x420)
        return vga_io_read(v, (uint16_t)(0x3c0 + offset - 0x400), size);
    if (offset >= 0x500 && offset < 0x500 + 2 * VBE_NUM_REGS) {
        uint16_t save = v->vbe_index;
        v->vbe_index = (uint16_t)((offset - 0x500) / 2);
        uint16_t r = vbe_read(v);
        v->vbe_index = save;
        return r;
    }
    if (offset == 0x600)
        return 8;          /* size of the extended register block */
    if (offset == 0x604)
        return 0x1e1e1e1e; /* framebuffer byte order: little-endian */
    return 0;
}

static void mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct vga *v = opaque;
    if (offset >= 0x400 && offset < 0x420) {
        vga_io_write(v, (uint16_t)(0x3c0 + offset - 0x400), (uint32_t)value, size);
    } else if (offset >= 0x500 && offset < 0x500 + 2 * VBE_NUM_REGS) {
        uint16_t save = v->vbe_index;
        v->vbe_index = (uint16_t)((offset - 0x500) / 2);
        vbe_write(v, (uint16_t)value);
        v->vbe_index = save;
    }
}

/* physmem_remap() finds a region by opaque and name pointer: one object each. */
static const char lfb_name[] = "vga-lfb", mmio_name[] = "vga-mmio", rom_name[] = "vga-rom";

static void vga_bar_remap(struct pci_device *dev, int bar, uint64_t addr)
{
    struct vga *v = dev->opaque;
    uint64_t size = addr == PCI_BAR_UNMAPPED ? 0 : dev->bars[bar].size;
    uint64_t base = addr == PCI_BAR_UNMAPPED ? 0 : addr;
    if (bar == 0)
        physmem_remap(v->mem, v, lfb_name, base, size);
    else if (bar == 2)
        physmem_remap(v->mem, v, mmio_name, base, size);
    else if (bar == PCI_ROM_SLOT)
        physmem_remap(v->mem, v, rom_name, base, size);
}

/* ---- life cycle ---- */

void vga_reset(struct vga *v)
{
    memset(v->seq, 0, sizeof(v->seq));
    memset(v->gr, 0, sizeof(v->gr));
    memset(v->crtc, 0, sizeof(v->crtc));
    memset(v->attr, 0, sizeof(v->attr));
    memset(v->vbe, 0, sizeof(v->vbe));
    v->vbe[VBE_ID] = VBE_ID5;
    v->vbe[VBE_BPP] = 8;
    v->misc = 0;
    v->seq[SR_MAP_MASK] = 0xf;
    v->gr[GR_BIT_MASK] = 0xff;
    v->pel_mask = 0xff;
    v->seq_index = v->gr_index = v->crtc_index = v->attr_index = 0;
    v->attr_data_next = false;
    v->dac_read_index = v->dac_write_index = v->dac_component = v->dac_state = 0;
    v->feature = v->status_toggle = 0;
    v->latch = 0;
    v->vbe_index = 0;
    v->vbe_line_bytes = v->vbe_start = 0;
    vga_mark_all_dirty(v);
}

int vga_init(struct vga *v, struct pci_bus *bus, uint8_t devfn, const struct device_env *env,
             const uint8_t *rom, size_t rom_len)
{
    memset(v, 0, sizeof(*v));
    v->mem = env->mem;
    v->rom = rom;
    v->rom_len = rom_len;
    /* Reserved, not committed: an idle screen costs no host memory. */
    void *p = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    v->vram = p;
    vga_reset(v);
    pci_device_init(&v->pci, VGA_PCI_VENDOR, VGA_PCI_DEVICE, 0x02, 0x030000, v);
    v->pci.config[PCI_SUBSYSTEM_VENDOR_ID] = 0xf4; /* 1AF4:1100, as QEMU's */
    v->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 1] = 0x1a;
    v->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 2] = 0x00;
    v->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 3] = 0x11;
    pci_register_bar(&v->pci, 0, VGA_VRAM_SIZE, PCI_BAR_MEM32, true);
    pci_register_bar(&v->pci, 2, VGA_MMIO_BAR_SIZE, PCI_BAR_MEM32, false);
    if (rom && rom_len)
        pci_register_rom_bar(&v->pci, rom_len);
    v->pci.bar_remap = vga_bar_remap;
    if (pci_register_device(bus, &v->pci, devfn) < 0)
        goto fail;
    if (physmem_add_mmio(env->mem, VGA_LEGACY_BASE, VGA_LEGACY_SIZE, v, legacy_read,
                         legacy_write, "vga-legacy") < 0 ||
        physmem_add_mmio(env->mem, 0, 0, v, lfb_read, lfb_write, lfb_name) < 0 ||
        physmem_add_mmio(env->mem, 0, 0, v, mmio_read, mmio_write, mmio_name) < 0 ||
        physmem_add_mmio(env->mem, 0, 0, v, rom_read, NULL, rom_name) < 0)
        goto fail;
    if (iobus_register(env->io, 0x3b0, 0x30, v, vga_io_read, vga_io_write, "vga") < 0 ||
        iobus_register(env->io, VGA_VBE_INDEX_PORT, 3, v, vga_io_read, vga_io_write,
                       "vga-vbe") < 0)
        goto fail;
    return 0;
fail:
    munmap(v->vram, VGA_VRAM_SIZE);
    v->vram = NULL;
    return -1;
}

void vga_destroy(struct vga *v)
{
    if (v->vram)
        munmap(v->vram, VGA_VRAM_SIZE);
    v->vram = NULL;
}

/* ---- what is on screen ---- */

int vga_text_screen(const struct vga *v, char *buf, size_t len, int *cols_out)
{
    if (len)
        buf[0] = 0;
    if (vbe_enabled(v) || (v->gr[GR_MISC] & 1) || (v->attr[0x10] & 1))
        return 0;
    unsigned cols = (unsigned)v->crtc[1] + 1;
    unsigned char_height = (v->crtc[9] & 0x1f) + 1u;
    unsigned vde = v->crtc[0x12] | ((v->crtc[7] & 0x02u) << 7) | ((v->crtc[7] & 0x40u) << 3);
    unsigned rows = (vde + 1) / char_height;
    unsigned stride = v->crtc[0x13] * 2u; /* characters per row in memory */
    unsigned start = (unsigned)v->crtc[0xc] << 8 | v->crtc[0xd];
    if (cols < 2 || rows == 0 || stride == 0)
        return 0;
    size_t n = 0;
    unsigned r;
    for (r = 0; r < rows && n + cols + 2 <= len; r++) {
        for (unsigned c = 0; c < cols; c++) {
            /* Character k is plane 0 of planar offset k (odd/even text). */
            uint64_t k = ((uint64_t)start + (uint64_t)r * stride + c) & 0xffff;
            uint8_t ch = v->vram[k * 4];
            buf[n++] = ch ? (char)ch : ' ';
        }
        buf[n++] = '\n';
    }
    buf[n] = 0;
    if (cols_out)
        *cols_out = (int)cols;
    return (int)r;
}
