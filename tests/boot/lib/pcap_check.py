#!/usr/bin/env python3
"""pcap_check.py PCAP HTTP_PORT GUEST_MAC: checks a filter-dump capture of
the net job: a classic pcap (LINKTYPE_ETHERNET) with non-decreasing time
stamps; the DHCP exchange (the guest's request from GUEST_MAC, slirp's
answer from 10.0.2.2); the guest's TCP connection to 10.0.2.2:HTTP_PORT with
payload coming back; a valid IPv4 header checksum on every IPv4 frame and a
valid TCP checksum on every TCP segment, both directions (the guest's
frames carry checksums that the NIC completed)."""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def main():
    path, port, mac = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3].replace(":", ""))
    data = open(path, "rb").read()
    magic, major, minor, _, _, snaplen, link = struct.unpack("<IHHiIII", data[:24])
    errors = []
    if magic != 0xA1B2C3D4 or (major, minor) != (2, 4) or link != 1:
        print("FAIL: %s is not a pcap 2.4 Ethernet capture" % path)
        return 1
    off, last_ts, n = 24, 0, 0
    seen = {"dhcp_request": False, "dhcp_reply": False, "syn": False, "http_payload": 0}
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        ts = sec * 1000000 + usec
        if ts < last_ts:
            errors.append("frame %d: time stamp goes backwards" % n)
        last_ts = ts
        if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if csum(ip[:ihl]) != 0xFFFF:
            errors.append("frame %d: bad IPv4 header checksum" % n)
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        l4 = ip[ihl:total]
        if proto == 17 and len(l4) >= 8:
            sport, dport = struct.unpack("!HH", l4[:4])
            if sport == 68 and dport == 67 and frame[6:12] == mac:
                seen["dhcp_request"] = True
            if sport == 67 and dport == 68 and src == bytes([10, 0, 2, 2]):
                seen["dhcp_reply"] = True
        if proto == 6 and len(l4) >= 20:
            pseudo = src + dst + struct.pack("!BBH", 0, 6, len(l4))
            if csum(pseudo + l4) != 0xFFFF:
                errors.append("frame %d: bad TCP checksum (%s)" % (n, "from guest" if frame[6:12] == mac else "to guest"))
            sport, dport = struct.unpack("!HH", l4[:4])
            flags = l4[13]
            payload = len(l4) - (l4[12] >> 4) * 4
            if dport == port and flags & 0x02 and src == bytes([10, 0, 2, 15]):
                seen["syn"] = True
            if sport == port:
                seen["http_payload"] += payload
    if not seen["dhcp_request"] or not seen["dhcp_reply"]:
        errors.append("no DHCP exchange in the capture")
    if not seen["syn"]:
        errors.append("no TCP SYN from 10.0.2.15 to port %d" % port)
    if seen["http_payload"] < 1000:
        errors.append("only %d bytes of HTTP payload from port %d" % (seen["http_payload"], port))
    for e in errors[:10]:
        print("FAIL: pcap: " + e)
    if not errors:
        print("pcap: %d frames, %d bytes of HTTP payload, checksums valid" % (n, seen["http_payload"]))
    return 1 if errors else 0


sys.exit(main())
