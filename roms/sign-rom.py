#!/usr/bin/env python3
"""Finish an option ROM image: pad it to a multiple of 512 bytes, store the
size (in 512-byte blocks) at offset 2, fix the PnP expansion header's checksum
(the header whose offset is at 1Ah, its length in 16-byte units at +5, its
checksum byte at +9) and the whole ROM's checksum in the last byte, so every
byte sums to 0 modulo 256 (PCI Firmware Specification / PnP BIOS 3.3)."""
import sys

src, dst = sys.argv[1], sys.argv[2]
rom = bytearray(open(src, 'rb').read())
if rom[0:2] != b'\x55\xaa':
    sys.exit('sign-rom: %s has no 55 AA signature' % src)
total = (len(rom) + 1 + 511) // 512 * 512  # at least one byte for the checksum
rom += bytes(total - len(rom))
if len(rom) > 255 * 512:
    sys.exit('sign-rom: %s is too large for an option ROM' % src)
rom[2] = len(rom) // 512
pnp = rom[0x1a] | rom[0x1b] << 8
if pnp:
    if rom[pnp:pnp + 4] != b'$PnP':
        sys.exit('sign-rom: no $PnP header at 0x%x' % pnp)
    n = rom[pnp + 5] * 16
    rom[pnp + 9] = 0
    rom[pnp + 9] = (-sum(rom[pnp:pnp + n])) & 0xff
rom[-1] = 0
rom[-1] = (-sum(rom)) & 0xff
open(dst, 'wb').write(rom)
