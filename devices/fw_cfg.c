/* fw_cfg: keyed blobs behind a selector/data port pair and a DMA engine. */
#include "devices/fw_cfg.h"

#include <stdlib.h>
#include <string.h>

#define DMA_CHUNK 4096
#define DMA_MAX_ZERO_FILL (64u * 1024)

static struct fw_cfg_entry *entry_slot(struct fw_cfg *fw, uint16_t key)
{
    uint16_t idx = key & (uint16_t)~(FW_CFG_ARCH_LOCAL | FW_CFG_WRITE_CHANNEL);
    if (key & FW_CFG_ARCH_LOCAL)
        return idx < FW_CFG_FILE_FIRST ? &fw->arch_entries[idx] : NULL;
    return idx < FW_CFG_MAX_ENTRIES ? &fw->entries[idx] : NULL;
}

const struct fw_cfg_entry *fw_cfg_entry(const struct fw_cfg *fw, uint16_t key)
{
    return entry_slot((struct fw_cfg *)fw, key);
}

static int set_entry(struct fw_cfg *fw, uint16_t key, const void *data, size_t len, bool writable)
{
    struct fw_cfg_entry *e = entry_slot(fw, key);
    if (!e || len > UINT32_MAX)
        return -1;
    uint8_t *copy = NULL;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return -1;
        memcpy(copy, data, len);
    }
    free(e->data);
    e->data = copy;
    e->len = (uint32_t)len;
    e->writable = writable;
    return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
    return set_entry(fw, key, data, len, false);
}

int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_string(struct fw_cfg *fw, uint16_t key, const char *s)
{
    return fw_cfg_add_bytes(fw, key, s, strlen(s) + 1);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FW_CFG_FILE_DIR: be32 count, then per file be32 size, be16 select,
 * be16 reserved, char name[56]. */
static int rebuild_file_dir(struct fw_cfg *fw)
{
    size_t len = 4 + (size_t)fw->nfiles * 64;
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return -1;
    put_be32(dir, fw->nfiles);
    for (uint32_t i = 0; i < fw->nfiles; i++) {
        uint8_t *d = dir + 4 + i * 64;
        uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + i);
        put_be32(d, fw->entries[key].len);
        d[4] = (uint8_t)(key >> 8);
        d[5] = (uint8_t)key;
        memcpy(d + 8, fw->file_names[i], FW_CFG_FILE_NAME_LEN);
    }
    int rc = set_entry(fw, FW_CFG_FILE_DIR, dir, len, false);
    free(dir);
    return rc;
}

int fw_cfg_find_file(const struct fw_cfg *fw, const char *name)
{
    for (uint32_t i = 0; i < fw->nfiles; i++)
        if (strncmp(fw->file_names[i], name, FW_CFG_FILE_NAME_LEN) == 0)
            return (int)(FW_CFG_FILE_FIRST + i);
    return -1;
}

static int add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len,
                    bool writable)
{
    if (strlen(name) >= FW_CFG_FILE_NAME_LEN)
        return -1;
    int key = fw_cfg_find_file(fw, name);
    if (key < 0) {
        if (fw->nfiles >= FW_CFG_MAX_FILES)
            return -1;
        key = (int)(FW_CFG_FILE_FIRST + fw->nfiles);
        memset(fw->file_names[fw->nfiles], 0, FW_CFG_FILE_NAME_LEN);
        strcpy(fw->file_names[fw->nfiles], name);
        fw->nfiles++;
    }
    if (set_entry(fw, (uint16_t)key, data, len, writable) != 0)
        return -1;
    return rebuild_file_dir(fw) == 0 ? key : -1;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len)
{
    return add_file(fw, name, data, len, false);
}

int fw_cfg_add_file_writable(struct fw_cfg *fw, const char *name, const void *data, size_t len)
{
    return add_file(fw, name, data, len, true);
}

int fw_cfg_set_e820(struct fw_cfg *fw, const struct fw_cfg_e820_entry *e, size_t n)
{
    if (n > 128)
        return -1;
    uint8_t buf[128 * 20];
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = buf + i * 20;
        for (int b = 0; b < 8; b++) {
            p[b] = (uint8_t)(e[i].addr >> (8 * b));
            p[8 + b] = (uint8_t)(e[i].len >> (8 * b));
        }
        for (int b = 0; b < 4; b++)
            p[16 + b] = (uint8_t)(e[i].type >> (8 * b));
    }
    return fw_cfg_add_file(fw, "etc/e820", buf, n * 20) < 0 ? -1 : 0;
}

static void select_key(struct fw_cfg *fw, uint16_t key)
{
    fw->cur_key = key;
    fw->cur_offset = 0;
}

static uint8_t read_data_byte(struct fw_cfg *fw)
{
    const struct fw_cfg_entry *e = entry_slot(fw, fw->cur_key);
    if (!e || fw->cur_offset >= e->len)
        return 0;   /* past the end or no such key: zeros */
    return e->data[fw->cur_offset++];
}

/* DMA (QEMU fw_cfg spec, "FWCfgDmaAccess"): descriptor of be32 control,
 * be32 length, be64 address; control is written back as 0 or ERROR. */
static void dma_transfer(struct fw_cfg *fw)
{
    struct physmem *pm = fw->env.mem;
    uint64_t desc = fw->dma_addr;
    fw->dma_addr = 0;
    if (!pm)
        return;
    uint8_t raw[16];
    physmem_read_buf(pm, desc, raw, sizeof(raw));
    uint32_t control = get_be32(raw);
    uint32_t length = get_be32(raw + 4);
    uint64_t addr = (uint64_t)get_be32(raw + 8) << 32 | get_be32(raw + 12);
    bool error = false;

    if (control & FW_CFG_DMA_CTL_SELECT)
        select_key(fw, (uint16_t)(control >> 16));

    struct fw_cfg_entry *e = entry_slot(fw, fw->cur_key);
    uint32_t avail = (e && fw->cur_offset < e->len) ? e->len - fw->cur_offset : 0;
    if (control & FW_CFG_DMA_CTL_READ) {
        /* Entry bytes first, then zeros for what lies past the end. The
         * zero fill is capped: firmware never reads past an entry, and an
         * unbounded fill would let a guest stall the emulator with one
         * 4 GiB descriptor. */
        uint32_t data_len = length < avail ? length : avail;
        uint32_t zero_len = length - data_len;
        if (zero_len > DMA_MAX_ZERO_FILL)
            zero_len = DMA_MAX_ZERO_FILL;
        if (data_len) {
            physmem_write_buf(pm, addr, e->data + fw->cur_offset, data_len);
            fw->cur_offset += data_len;
            addr += data_len;
        }
        uint8_t zeros[DMA_CHUNK];
        memset(zeros, 0, sizeof(zeros));
        while (zero_len) {
            uint32_t n = zero_len < DMA_CHUNK ? zero_len : DMA_CHUNK;
            physmem_write_buf(pm, addr, zeros, n);
            addr += n;
            zero_len -= n;
        }
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        if (!e || !e->writable) {
            error = true;
        } else {
            /* Bytes beyond the entry's end are dropped unread. */
            uint32_t n = length < avail ? length : avail;
            if (n) {
                physmem_read_buf(pm, addr, e->data + fw->cur_offset, n);
                fw->cur_offset += n;
            }
        }
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        fw->cur_offset += length < avail ? length : avail;
    }

    uint8_t status[4];
    put_be32(status, error ? FW_CFG_DMA_CTL_ERROR : 0);
    physmem_write_buf(pm, desc, status, sizeof(status));
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

uint32_t fw_cfg_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct fw_cfg *fw = opaque;
    if (port == FW_CFG_IO_BASE + 1) {
        /* Successive bytes of the stream, first byte lowest (string I/O). */
        uint32_t v = 0;
        for (unsigned i = 0; i < size && i < 4; i++)
            v |= (uint32_t)read_data_byte(fw) << (8 * i);
        return v;
    }
    if (port >= FW_CFG_DMA_IO_BASE && port < FW_CFG_DMA_IO_BASE + 8) {
        /* Reading the DMA register returns the "QEMU CFG" signature. */
        static const char sig[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};
        uint32_t v = 0;
        unsigned off = port - FW_CFG_DMA_IO_BASE;
        for (unsigned i = 0; i < size && off + i < 8; i++)
            v |= (uint32_t)(uint8_t)sig[off + i] << (8 * i);
        return v;
    }
    return 0;
}

void fw_cfg_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct fw_cfg *fw = opaque;
    if (port == FW_CFG_IO_BASE) {
        select_key(fw, (uint16_t)value);
        return;
    }
    if (port == FW_CFG_DMA_IO_BASE && size == 4) {
        /* The guest stores big-endian data: the I/O value is byte-swapped. */
        fw->dma_addr = (uint64_t)bswap32(value) << 32;
        return;
    }
    if (port == FW_CFG_DMA_IO_BASE + 4 && size == 4) {
        fw->dma_addr |= bswap32(value);
        dma_transfer(fw);
        return;
    }
    /* Data port writes were removed from the interface; ignored. */
    device_guest_error(&fw->env, "fw_cfg", "write to the data port or a partial DMA address "
                                           "register ignored");
}

void fw_cfg_reset(struct fw_cfg *fw)
{
    select_key(fw, FW_CFG_SIGNATURE);
    fw->dma_addr = 0;
}

void fw_cfg_init(struct fw_cfg *fw, const struct device_env *env)
{
    memset(fw, 0, sizeof(*fw));
    if (env)
        fw->env = *env;
    fw_cfg_add_bytes(fw, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(fw, FW_CFG_ID, FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    uint8_t uuid[16] = {0};
    fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof(uuid));
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, 0);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, 0);
    rebuild_file_dir(fw);
    fw_cfg_reset(fw);
    if (env && env->io) {
        iobus_register(env->io, FW_CFG_IO_BASE, 2, fw, fw_cfg_io_read, fw_cfg_io_write, "fw_cfg");
        iobus_register(env->io, FW_CFG_DMA_IO_BASE, 8, fw, fw_cfg_io_read, fw_cfg_io_write,
                       "fw_cfg-dma");
    }
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
    for (unsigned i = 0; i < FW_CFG_MAX_ENTRIES; i++)
        free(fw->entries[i].data);
    for (unsigned i = 0; i < FW_CFG_FILE_FIRST; i++)
        free(fw->arch_entries[i].data);
    memset(fw, 0, sizeof(*fw));
}
