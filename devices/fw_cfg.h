/* QEMU's firmware configuration interface (docs/specs/fw_cfg.rst in QEMU):
 * selector 0x510 (16-bit), data 0x511 (8-bit), DMA address 0x514 (64-bit
 * big-endian, written high half first). SeaBIOS and Linux's qemu_fw_cfg
 * read the machine description through it. */
#ifndef TURTLES_DEVICES_FW_CFG_H
#define TURTLES_DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_DMA_IO_BASE 0x514

/* Keys */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MACHINE_ID 0x06
#define FW_CFG_KERNEL_ADDR 0x07
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR 0x0a
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_BOOT_DEVICE 0x0c
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR 0x16
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ACPI_TABLES (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID feature bits */
#define FW_CFG_VERSION_TRADITIONAL 0x01
#define FW_CFG_VERSION_DMA 0x02

/* DMA control bits */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

#define FW_CFG_MAX_FILES 128
#define FW_CFG_FILE_NAME_LEN 56
#define FW_CFG_MAX_ENTRIES (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)

/* e820 entry as QEMU's "etc/e820" file holds it: 20 bytes little-endian. */
#define FW_CFG_E820_RAM 1
#define FW_CFG_E820_RESERVED 2
#define FW_CFG_E820_ACPI 3
#define FW_CFG_E820_NVS 4
struct fw_cfg_e820_entry {
    uint64_t addr, len;
    uint32_t type;
};

/* Entry contents are copies owned by the fw_cfg (freed by fw_cfg_destroy);
 * they are machine configuration, rebuilt from the command line, not
 * guest-visible state. */
struct fw_cfg_entry {
    uint8_t *data;
    uint32_t len;
    bool writable;   /* guest DMA writes allowed (e.g. etc/... write files) */
};

struct fw_cfg {
    struct fw_cfg_entry entries[FW_CFG_MAX_ENTRIES];       /* generic keys */
    struct fw_cfg_entry arch_entries[FW_CFG_FILE_FIRST];   /* 0x8000 + n */
    char file_names[FW_CFG_MAX_FILES][FW_CFG_FILE_NAME_LEN];
    uint32_t nfiles;
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;
    struct device_env env;
};

void fw_cfg_init(struct fw_cfg *fw, const struct device_env *env);
void fw_cfg_destroy(struct fw_cfg *fw);
/* Selector and offset back to the signature; contents are kept. */
void fw_cfg_reset(struct fw_cfg *fw);

/* Returns 0, or -1 (bad key, no memory). Replaces existing contents. */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len);
int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v);   /* little-endian */
int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v);
int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v);
int fw_cfg_add_string(struct fw_cfg *fw, uint16_t key, const char *s); /* with NUL */
/* Add or replace a named file; returns its key, or -1. */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len);
int fw_cfg_add_file_writable(struct fw_cfg *fw, const char *name, const void *data, size_t len);
/* Key of a named file, or -1. */
int fw_cfg_find_file(const struct fw_cfg *fw, const char *name);
/* Serialize e820 entries into "etc/e820". */
int fw_cfg_set_e820(struct fw_cfg *fw, const struct fw_cfg_e820_entry *e, size_t n);
/* Read access to an entry's contents (tests, the monitor). */
const struct fw_cfg_entry *fw_cfg_entry(const struct fw_cfg *fw, uint16_t key);

uint32_t fw_cfg_io_read(void *opaque, uint16_t port, unsigned size);
void fw_cfg_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif
