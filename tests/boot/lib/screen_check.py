#!/usr/bin/env python3
"""Reads turtles' screendumps for the display tests, with no imaging library: a PNG is
decoded here (zlib + the PNG row filters), a PPM (P6) read directly.

  screen_check.py info FILE            "WIDTHxHEIGHT mode=rgb8 rows=N bands=B fg=P"
      rows: pixel rows holding any pixel unlike the background (the most common colour);
      bands: runs of such rows (text lines); fg: pixels unlike the background.
  screen_check.py compare DUMP WINDOW  the window capture (a PPM cut from the X root
      window at the window's place) against the screendump, scaled to the window with the
      aspect kept as the SDL backend does: prints "mismatch=N of fg=M" (sampled pixels
      whose colour differs by more than 48 in a channel, and sampled pixels of the dump
      unlike its background); exit status 1 when N > M / 10, so a blank or shifted window
      fails however little the screen shows.
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype != 2 or interlace:
        raise SystemExit(f"{path}: depth {depth} colour type {ctype} interlace {interlace}: "
                         "expected 8-bit RGB, not interlaced")
    raw = zlib.decompress(idat)
    stride = w * 3
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 0xff
        rows.append(bytes(line))
        prev = line
    return w, h, rows


def read_ppm(path):
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise SystemExit(f"{path}: not an 8-bit P6 PPM")
    w, h = int(fields[1]), int(fields[2])
    return w, h, [data[pos + y * w * 3:pos + (y + 1) * w * 3] for y in range(h)]


def read_any(path):
    return read_png(path) if open(path, "rb").read(4) == b"\x89PNG" else read_ppm(path)


def info(path):
    w, h, rows = read_any(path)
    counts = {}
    for r in rows[::4]:
        for x in range(0, len(r), 3):
            px = r[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    bg = max(counts, key=counts.get)
    nonempty, bands, fg, last = 0, 0, 0, False
    for r in rows:
        n = sum(1 for x in range(0, len(r), 3) if r[x:x + 3] != bg)
        fg += n
        if n:
            nonempty += 1
            bands += 0 if last else 1
        last = n > 0
    print(f"{w}x{h} mode=rgb8 rows={nonempty} bands={bands} fg={fg}")


def compare(dump, window):
    fw, fh, frows = read_any(dump)
    ww, wh, wrows = read_any(window)
    scale = min(ww / fw, wh / fh)
    dw, dh = int(fw * scale), int(fh * scale)
    ox, oy = (ww - dw) // 2, (wh - dh) // 2
    counts = {}
    for r in frows:
        for x in range(0, len(r), 3):
            counts[r[x:x + 3]] = counts.get(r[x:x + 3], 0) + 1
    bg = max(counts, key=counts.get)
    bad = total = fg = 0
    for y in range(0, dh, 2):
        sy = min(fh - 1, int((y + 0.5) / scale))
        for x in range(0, dw, 2):
            sx = min(fw - 1, int((x + 0.5) / scale))
            a = frows[sy][sx * 3:sx * 3 + 3]
            b = wrows[oy + y][(ox + x) * 3:(ox + x) * 3 + 3]
            total += 1
            fg += a != bg
            if max(abs(a[i] - b[i]) for i in range(3)) > 48:
                bad += 1
    print(f"mismatch={bad} of fg={fg} (samples {total}) window={ww}x{wh} picture={dw}x{dh}")
    return 0 if fg > 0 and bad * 10 <= fg else 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "info":
        info(sys.argv[2])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
