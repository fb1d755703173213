/* The Internet checksum (devices/net/checksum.h). */
#include "devices/net/checksum.h"

uint32_t inet_sum(const uint8_t *buf, size_t len, uint32_t sum)
{
    size_t i = 0;
    for (; i + 1 < len; i += 2) {
        sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
        if (sum & 0x80000000u) /* fold early: no overflow whatever the length */
            sum = (sum & 0xffff) + (sum >> 16);
    }
    if (i < len)
        sum += (uint32_t)buf[i] << 8;
    return sum;
}

uint16_t inet_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
