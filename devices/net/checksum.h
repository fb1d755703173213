/* The Internet checksum (RFC 1071) as NICs insert it for a driver that
 * offloads it: e1000's IXSM/TXSM and TSO, virtio-net's NEEDS_CSUM. */
#ifndef TURTLES_DEVICES_NET_CHECKSUM_H
#define TURTLES_DEVICES_NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The ones'-complement sum of buf as big-endian 16-bit words (an odd last
 * byte is padded with zero), added to `sum`, not folded. */
uint32_t inet_sum(const uint8_t *buf, size_t len, uint32_t sum);
/* Folds a sum to 16 bits and complements it: the checksum to store. */
uint16_t inet_fold(uint32_t sum);
/* Stores a 16-bit big-endian value. */
static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
