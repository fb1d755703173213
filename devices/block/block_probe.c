/* Recognising image formats from their first bytes. */
#include <string.h>

#include "devices/block/block_impl.h"

const char *block_probe_format(const uint8_t *b, size_t n)
{
    if (n >= 4 && !memcmp(b, "QFI\xfb", 4))
        return "qcow2";
    if (n >= 4 && !memcmp(b, "KDMV", 4))
        return "vmdk";
    if (n >= 21 && !memcmp(b, "# Disk DescriptorFile", 21))
        return "vmdk";
    if (n >= 8 && !memcmp(b, "vhdxfile", 8))
        return "vhdx";
    if (n >= 8 && !memcmp(b, "conectix", 8))
        return "vpc";
    if (n >= 4 && !memcmp(b, "QED\0", 4))
        return "qed";
    if (n >= 0x44 && b[0x40] == 0x7f && b[0x41] == 0x10 && b[0x42] == 0xda && b[0x43] == 0xbe)
        return "vdi";
    return NULL;
}
