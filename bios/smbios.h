/* SMBIOS tables for the firmware, as QEMU hands them to SeaBIOS through
 * fw_cfg: the structure table ("etc/smbios/smbios-tables") and a 2.1-style
 * 32-bit entry point ("etc/smbios/smbios-anchor", "_SM_"/"_DMI_"), whose
 * table address the firmware fills in when it places the tables. DMTF
 * DSP0134 (SMBIOS 2.8) gives every layout used here.
 *
 * Structures: type 0 (BIOS), 1 (system, with the -smbios type=1 fields and
 * the UUID), 3 (chassis), 4 (one processor per vCPU), 16 (memory array),
 * 17 (one memory device), 19 (one mapped range per RAM region), 32 (boot
 * status) and 127 (end). */
#ifndef TURTLES_BIOS_SMBIOS_H
#define TURTLES_BIOS_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_ANCHOR_LEN 31
#define SMBIOS_STRING_MAX 64

/* The user-visible strings (NULL: turtles' default). */
struct smbios_config {
    const char *bios_vendor, *bios_version, *bios_date;  /* type 0 */
    const char *manufacturer, *product, *version, *serial, *sku, *family; /* type 1 */
    uint8_t uuid[16];          /* type 1: the UUID's bytes as written (RFC 4122 order) */
    int ncpus;
    uint32_t cpuid_1_eax, cpuid_1_edx;
    uint64_t ram_below_4g, ram_above_4g;
};

/* Builds the structure table into *table (malloc'ed, *table_len bytes) and
 * the entry point into anchor. Returns 0, or -1 when out of memory. */
int smbios_build(const struct smbios_config *cfg, uint8_t **table, size_t *table_len,
                 uint8_t anchor[SMBIOS_ANCHOR_LEN]);

/* Parses a UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into its 16 bytes
 * in the order written. Returns 0 or -1. */
int smbios_parse_uuid(const char *s, uint8_t out[16]);

#endif
