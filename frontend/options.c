#define _DEFAULT_SOURCE /* timegm(), tm_gmtoff */
#include "frontend/options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "bios/smbios.h"
#include "cpu/cpuid.h"
#include "cpu/log.h"

void options_usage(FILE *out)
{
    fputs("usage: turtles [options]\n"
          "x86-64 PC emulator with software VMX (nested virtualization).\n\n"
          "Machine:\n"
          "  -m SIZE              guest RAM, e.g. 512M, 6G (16M..64G; default 128M)\n"
          "  -smp N               number of vCPUs (1..8)\n"
          "  -cpu MODEL[,vmx=on|off]  CPU model ('-cpu help' lists them)\n"
          "  -accel tcg[,tb-size=MiB][,thread=single]  host memory for decoded code\n"
          "                       (1.." TB_SIZE_MAX_MIB_TEXT " MiB; default 256; 0: default)\n"
          "  -bios FILE           firmware ROM image mapped below 4 GiB\n"
          "  -kernel FILE         Linux bzImage or multiboot kernel to boot directly\n"
          "  -initrd FILE         initial ramdisk for -kernel\n"
          "  -append CMDLINE      kernel command line\n"
          "  -device isa-debug-exit[,iobase=PORT,iosize=N]\n"
          "                       guest writes V to PORT -> exit status (V << 1) | 1\n"
          "  -vga std|none        standard VGA with Bochs VBE (PCI 1234:1111; default std,\n"
          "                       none with -nodefaults); -device VGA is the same as -vga std\n"
          "  -nodefaults          no default devices (the VGA)\n"
          "  -cdrom FILE          ISO image in the IDE CD-ROM (secondary master)\n"
          "  -hda/-hdb/-hdc/-hdd FILE  disk image (raw or qcow2) as IDE disk 0-3\n"
          "  -drive file=FILE[,if=ide][,media=disk|cdrom][,index=0-3][,format=raw|qcow2]\n"
          "         [,readonly=on][,snapshot=on][,if=virtio|none,id=ID][,serial=S]\n"
          "         [,bootindex=N]  (bootindex: firmware boot priority, lowest first,\n"
          "                       ahead of -boot order)\n"
          "  -device virtio-blk-pci,drive=ID[,serial=S][,bootindex=N]  the -drive\n"
          "                       if=none,id=ID as virtio-blk\n"
          "  -device ide-hd|ide-cd,drive=ID[,bus=ide.0|ide.1][,unit=0|1][,bootindex=N]\n"
          "                       the -drive if=none,id=ID as an IDE disk / CD-ROM\n"
          "  -snapshot            guest writes go to a temporary overlay, deleted at exit\n"
          "  -fw_cfg [name=]NAME,string=STR|file=PATH  a file for the firmware (fw_cfg)\n"
          "  -smbios type=0|1,FIELD=VALUE...  SMBIOS BIOS/system strings for the firmware\n"
          "  -uuid UUID           the machine's UUID (SMBIOS type 1, fw_cfg)\n"
          "  -boot [order=]DRIVES[,menu=on|off][,splash-time=MS][,reboot-timeout=MS]\n"
          "                       firmware boot order (a c d n; default cad), boot menu,\n"
          "                       wait after a failed boot (-1: forever, the default)\n"
          "  -turtles-screen-text FILE  write the VGA text screen to FILE when turtles stops\n"
          "  -device pc-testdev   QEMU's test device for kvm-unit-tests (ports 0xe0-0xeb,\n"
          "                       IRQ lines at 0x2000-0x2017, MMIO at 0xff000000)\n"
          "  -no-reboot           exit (status 0) when the guest reboots\n"
          "  -debugcon stdio|file:PATH|null  Bochs/QEMU debug console (port 0xe9)\n"
          "  -device isa-debugcon,iobase=PORT  move the debug console to PORT (SeaBIOS:\n"
          "                       0x402); its output goes where -debugcon says (default stdio)\n"
          "Network (none unless asked for):\n"
          "  -netdev user,id=ID[,net=ADDR/BITS][,host=ADDR][,dhcpstart=ADDR][,dns=ADDR]\n"
          "         [,restrict=on][,ipv6=off][,hostfwd=[tcp|udp]:[HADDR]:HPORT-[GADDR]:GPORT]...\n"
          "                       user-mode network through libslirp (default 10.0.2.0/24,\n"
          "                       host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15)\n"
          "  -device e1000|virtio-net-pci,netdev=ID[,mac=MAC]  a NIC on that network\n"
          "  -nic user[,model=e1000|virtio-net-pci][,mac=MAC][,-netdev user options]\n"
          "  -nic none            no NIC (the default)\n"
          "  -object filter-dump,id=F,netdev=ID,file=PATH  pcap capture of ID's frames\n"
          "Display and serial:\n"
          "  -nographic           no display; serial on stdio (Ctrl-A x quits)\n"
          "  -display none        no display (screendump still works)\n"
          "  -display sdl[,window-close=on|off]  an SDL2 window with the VGA screen, keyboard\n"
          "                       and mouse (click grabs, Ctrl-Alt-G releases); closing it\n"
          "                       quits unless window-close=off. Default: sdl when $DISPLAY or\n"
          "                       $WAYLAND_DISPLAY is set and SDL starts, else as -nographic\n"
          "  -name NAME           the machine's name (window title)\n"
          "  -serial stdio|file:PATH|null|pty\n"
          "Time:\n"
          "  -icount shift=N|auto[,sleep=on|off]  instruction-count clock: 2^N ns per\n"
          "                       instruction (N 0..10), auto follows host speed; sleep=on\n"
          "                       lets idle time pass in host time (default without -icount:\n"
          "                       shift=0, sleep=off: deterministic)\n"
          "  -rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS][,clock=host|vm]\n"
          "                       RTC start (default 2026-01-01T00:00:00, fixed); clock=host:\n"
          "                       the machine clock follows host time (not deterministic)\n"
          "Debugging:\n"
          "  -d ITEMS             log items (comma list): int, cpu_reset, vmexit, guest_errors,\n"
          "                       exec, unimp, io, irq\n"
          "  -D FILE              write the log to FILE instead of stderr\n"
          "  -gdb tcp:[HOST]:PORT gdb stub on HOST:PORT (no HOST: 127.0.0.1 only)\n"
          "  -s                   same as -gdb tcp::1234\n"
          "  -S                   start paused: the monitor's c (cont) or gdb resumes\n"
          "  -monitor stdio|unix:PATH,server,nowait|none\n"
          "                       the monitor (help lists its commands); with -nographic it\n"
          "                       shares stdio with the serial console (Ctrl-A c switches)\n"
          "  -turtles-monitor-script FILE  run monitor commands from FILE, one a line\n"
          "                       (a command that resumes returns when the machine stops)\n"
          "  -turtles-stats       print instructions executed, MIPS and peak RSS at exit\n"
          "  -turtles-max-insns N stop (status 5) after exactly N instructions on any vCPU\n"
          "                       (events that retire none and idle steps count too)\n"
          "  -turtles-trace-from N  with -d exec: log blocks from instruction N on\n"
          "  -turtles-undefined intel|random  flags the SDM leaves undefined after an\n"
          "                       instruction: Intel's values (default), or seeded\n"
          "                       pseudo-random bits (finds software that reads them)\n"
          "  -help, --help        this text\n"
          "  -version             version\n",
          out);
}

static int bad(const char *what, const char *val)
{
    fprintf(stderr, "turtles: %s: '%s'\n", what, val ? val : "(missing)");
    return 2;
}

/* SIZE with optional K/M/G/T suffix; plain numbers are MiB as in QEMU. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0)
        return false;
    uint64_t mult = 1ull << 20;
    switch (*end) {
    case 'k': case 'K': mult = 1ull << 10; end++; break;
    case 'm': case 'M': mult = 1ull << 20; end++; break;
    case 'g': case 'G': mult = 1ull << 30; end++; break;
    case 't': case 'T': mult = 1ull << 40; end++; break;
    case 'b': case 'B': mult = 1; end++; break;
    case '\0': break;
    default: return false;
    }
    if (*end)
        return false;
    *out = (uint64_t)(v * (double)mult);
    return true;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false; /* strtoull would take "-1" as a huge number */
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > max)
        return false;
    *out = v;
    return true;
}

/* QEMU's isa-debugcon: only iobase is taken; the chardev property is
 * accepted and ignored, -debugcon names the host side. */
static int parse_debugcon_device(struct options *o, const char *spec)
{
    if (!o->debugcon)
        o->debugcon = "stdio";
    for (const char *p = strchr(spec, ','); p && *p == ',';) {
        p++;
        size_t len = strcspn(p, ",");
        char item[64];
        if (len >= sizeof(item))
            return bad("bad -device isa-debugcon property", p);
        memcpy(item, p, len);
        item[len] = 0;
        uint64_t v;
        if (!strncmp(item, "iobase=", 7) && parse_uint(item + 7, 0xffff, &v))
            o->debugcon_base = (uint16_t)v;
        else if (strncmp(item, "chardev=", 8))
            return bad("bad -device isa-debugcon property", item);
        p += len;
    }
    return 0;
}

static bool prop_is(const char *p, size_t len, const char *key, const char **val)
{
    size_t k = strlen(key);
    if (len > k && !strncmp(p, key, k) && p[k] == '=') {
        *val = p + k + 1;
        return true;
    }
    return false;
}

/* bootindex=N (QEMU's property): N orders the firmware's boot devices,
 * lowest first, ahead of the -boot order. */
#define BOOTINDEX_MAX 9999
#define BOOTINDEX_MAX_TEXT "9999"
static int parse_bootindex(const char *v, int *out)
{
    uint64_t n;
    if (!parse_uint(v, BOOTINDEX_MAX, &n))
        return -1;
    *out = (int)n;
    return 0;
}

/* The -drive if=none,id=ID that a -device names: NULL after one line. */
static struct drive_opt *find_drive_for_device(struct options *o, const char *dev,
                                               const char *id, size_t idlen)
{
    for (int i = 0; i < o->ndrives; i++) {
        struct drive_opt *d = &o->drives[i];
        if (d->if_none && d->id && strlen(d->id) == idlen && !strncmp(d->id, id, idlen)) {
            if (d->virtio || d->ide_device) {
                fprintf(stderr, "turtles: -device %s: drive already in use: '%.*s'\n", dev,
                        (int)idlen, id);
                return NULL;
            }
            return d;
        }
    }
    fprintf(stderr, "turtles: -device %s: no -drive if=none with that id (give -drive first): "
                    "'%.*s'\n", dev, (int)idlen, id);
    return NULL;
}

/* -device virtio-blk-pci,drive=ID[,serial=S]: the -drive if=none,id=ID
 * becomes a virtio-blk disk. The drive must come first, as in QEMU. */
static int parse_virtio_blk_device(struct options *o, const char *spec)
{
    const char *p = spec + 14;
    const char *drive = NULL, *serial = NULL;
    size_t dlen = 0, slen = 0;
    int bootindex = -1;
    while (*p == ',') {
        p++;
        size_t len = strcspn(p, ",");
        if (len > 6 && !strncmp(p, "drive=", 6)) {
            drive = p + 6;
            dlen = len - 6;
        } else if (len > 7 && !strncmp(p, "serial=", 7)) {
            serial = p + 7;
            slen = len - 7;
        } else if (len > 10 && !strncmp(p, "bootindex=", 10)) {
            char v[16];
            if (len - 10 >= sizeof(v))
                return bad("-device virtio-blk-pci: bootindex takes 0.." BOOTINDEX_MAX_TEXT, p);
            memcpy(v, p + 10, len - 10);
            v[len - 10] = 0;
            if (parse_bootindex(v, &bootindex) < 0)
                return bad("-device virtio-blk-pci: bootindex takes 0.." BOOTINDEX_MAX_TEXT, v);
        } else if (!(len > 3 && !strncmp(p, "id=", 3)) && !(len > 5 && !strncmp(p, "addr=", 5)) &&
                   !(len > 4 && !strncmp(p, "bus=", 4))) {
            return bad("unknown -device virtio-blk-pci property", p);
        }
        p += len;
    }
    if (!drive)
        return bad("-device virtio-blk-pci needs drive=ID", spec);
    struct drive_opt *d = find_drive_for_device(o, "virtio-blk-pci", drive, dlen);
    if (!d)
        return 2;
    if (d->cdrom)
        return bad("-device virtio-blk-pci: a media=cdrom drive is for ide-cd", d->id);
    d->virtio = true;
    if (bootindex >= 0)
        d->bootindex = bootindex;
    if (serial) {
        char *s = strndup(serial, slen);
        if (!s)
            return bad("out of memory", spec);
        d->serial = s;
    }
    return 0;
}

/* -accel tcg[,tb-size=MiB][,thread=single]: turtles is one software CPU,
 * which QEMU calls TCG. tb-size bounds the decoded-block cache as it bounds
 * QEMU's translation cache (0: the default); the vCPUs take turns in one
 * host thread, so thread=multi is refused. */
static int parse_accel(struct options *o, const char *spec)
{
    size_t name_len = strcspn(spec, ",");
    if (name_len != 3 || strncmp(spec, "tcg", 3))
        return bad("unsupported -accel (only tcg)", spec);
    for (const char *p = spec + name_len; *p == ',';) {
        p++;
        size_t len = strcspn(p, ",");
        char item[64];
        if (len >= sizeof(item))
            return bad("unsupported -accel tcg property", p);
        memcpy(item, p, len);
        item[len] = 0;
        uint64_t mib;
        if (!strncmp(item, "tb-size=", 8)) {
            if (!parse_uint(item + 8, TB_SIZE_MAX_MIB, &mib))
                return bad("-accel tcg,tb-size: expected MiB, 0.." TB_SIZE_MAX_MIB_TEXT, item);
            o->tb_size = mib << 20;
        } else if (strcmp(item, "thread=single")) {
            return bad("unsupported -accel tcg property (tb-size=MiB, thread=single)", item);
        }
        p += len;
    }
    return 0;
}

/* -device ide-hd|ide-cd,drive=ID[,bus=ide.0|ide.1][,unit=0|1][,bootindex=N]
 * [,serial=S][,id=...]: the -drive if=none,id=ID as an IDE disk or CD-ROM
 * on the PIIX3 controller (ide.0: primary channel, ide.1: secondary; unit
 * 1 is the slave). Without bus= it takes the first free position. */
static int parse_ide_device(struct options *o, const char *spec, bool cdrom)
{
    const char *dev = cdrom ? "ide-cd" : "ide-hd";
    char copy[512];
    if (strlen(spec + 6) >= sizeof copy) {
        fprintf(stderr, "turtles: -device %s: too long: '%s'\n", dev, spec);
        return 2;
    }
    strcpy(copy, spec + 6);
    const char *drive = NULL, *serial = NULL;
    int bus = -1, unit = -1, bootindex = -1;
    for (char *p = copy; *p;) {
        size_t len = strcspn(p, ",");
        char *next = p + len;
        if (*next)
            *next++ = 0;
        const char *v;
        if (!len) {
            /* the comma after the device name */
        } else if (prop_is(p, len, "drive", &v)) {
            drive = v;
        } else if (prop_is(p, len, "bus", &v)) {
            if (strcmp(v, "ide.0") && strcmp(v, "ide.1")) {
                fprintf(stderr, "turtles: -device %s: bus takes ide.0 or ide.1: '%s'\n", dev, v);
                return 2;
            }
            bus = v[4] - '0';
        } else if (prop_is(p, len, "unit", &v)) {
            if (strcmp(v, "0") && strcmp(v, "1")) {
                fprintf(stderr, "turtles: -device %s: unit takes 0 or 1: '%s'\n", dev, v);
                return 2;
            }
            unit = v[0] - '0';
        } else if (prop_is(p, len, "bootindex", &v)) {
            if (parse_bootindex(v, &bootindex) < 0) {
                fprintf(stderr, "turtles: -device %s: bootindex takes 0..%d: '%s'\n", dev,
                        BOOTINDEX_MAX, v);
                return 2;
            }
        } else if (prop_is(p, len, "serial", &v)) {
            serial = v;
        } else if (!prop_is(p, len, "id", &v)) {
            fprintf(stderr, "turtles: unknown -device %s property: '%s'\n", dev, p);
            return 2;
        }
        p = next;
    }
    if (!drive) {
        fprintf(stderr, "turtles: -device %s needs drive=ID: '%s'\n", dev, spec);
        return 2;
    }
    if (unit >= 0 && bus < 0) {
        fprintf(stderr, "turtles: -device %s: unit= needs bus=ide.0 or ide.1\n", dev);
        return 2;
    }
    struct drive_opt *d = find_drive_for_device(o, dev, drive, strlen(drive));
    if (!d)
        return 2;
    if (!cdrom && d->cdrom) {
        fprintf(stderr, "turtles: -device ide-hd: drive '%s' is media=cdrom (use ide-cd)\n",
                drive);
        return 2;
    }
    if (cdrom && !d->cdrom) {
        d->cdrom = true;
        d->readonly = true; /* a CD-ROM drive cannot write */
    }
    d->ide_device = true;
    d->index = bus < 0 ? -1 : bus * 2 + (unit < 0 ? 0 : unit);
    if (bootindex >= 0)
        d->bootindex = bootindex;
    if (serial && !(d->serial = strdup(serial))) /* kept as long as the options */
        return bad("out of memory", spec);
    return 0;
}

static int parse_device(struct options *o, const char *spec)
{
    int nic = net_parse_nic_device(&o->net, spec);
    if (nic != 1)
        return nic;
    if (!strncmp(spec, "isa-debugcon", 12) && (!spec[12] || spec[12] == ','))
        return parse_debugcon_device(o, spec);
    if (!strncmp(spec, "virtio-blk-pci", 14) && (!spec[14] || spec[14] == ','))
        return parse_virtio_blk_device(o, spec);
    if ((!strncmp(spec, "ide-hd", 6) || !strncmp(spec, "ide-cd", 6)) &&
        (!spec[6] || spec[6] == ','))
        return parse_ide_device(o, spec, spec[4] == 'c');
    if (!strcmp(spec, "VGA")) {
        o->vga = "std";
        return 0;
    }
    if (!strcmp(spec, "pc-testdev")) {
        o->testdev = true;
        return 0;
    }
    if (strncmp(spec, "isa-debug-exit", 14) || (spec[14] && spec[14] != ','))
        return bad("unsupported -device", spec);
    o->debug_exit = true;
    const char *p = spec + 14;
    while (*p == ',') {
        p++;
        const char *eq = strchr(p, '=');
        const char *next = strchr(p, ',');
        if (!eq || (next && eq > next))
            return bad("bad -device property", p);
        size_t klen = (size_t)(eq - p);
        char val[32];
        size_t vlen = next ? (size_t)(next - eq - 1) : strlen(eq + 1);
        if (vlen >= sizeof(val))
            return bad("bad -device value", eq + 1);
        memcpy(val, eq + 1, vlen);
        val[vlen] = 0;
        uint64_t v;
        if (klen == 6 && !strncmp(p, "iobase", 6) && parse_uint(val, 0xffff, &v))
            o->debug_exit_base = (uint16_t)v;
        else if (klen == 6 && !strncmp(p, "iosize", 6) && parse_uint(val, 4, &v) && v)
            o->debug_exit_size = (uint16_t)v;
        else
            return bad("bad -device isa-debug-exit property", p);
        p = next ? next : p + strlen(p);
    }
    /* The ports must exist: iobase + iosize - 1 at most 0xffff. */
    if ((unsigned)o->debug_exit_base + o->debug_exit_size > 0x10000u) {
        fprintf(stderr, "turtles: -device isa-debug-exit: ports 0x%x-0x%x pass 0xffff\n",
                o->debug_exit_base, (unsigned)o->debug_exit_base + o->debug_exit_size - 1);
        return 2;
    }
    return 0;
}

/* QEMU's -icount: shift=N (0..10, 2^N ns per instruction) or auto (the
 * shift follows host speed), sleep=on (default: idle time passes in host
 * time) or off (the clock jumps to the next timer). */
#define ICOUNT_MAX_SHIFT 10

static int parse_icount(struct options *o, const char *spec)
{
    char buf[128];
    if (strlen(spec) >= sizeof(buf) || !*spec)
        return bad("bad -icount", spec);
    strcpy(buf, spec);
    if (strspn(buf, ",") == strlen(buf))
        return bad("bad -icount", spec);
    o->icount = true;
    o->icount_sleep = true;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (!strncmp(tok, "shift=", 6)) {
            if (!strcmp(tok + 6, "auto"))
                o->icount_auto = true;
            else if (parse_uint(tok + 6, ICOUNT_MAX_SHIFT, &v))
                o->icount_shift = (unsigned)v;
            else
                return bad("bad -icount shift (0..10 or auto)", tok + 6);
        } else if (!strcmp(tok, "sleep=on")) {
            o->icount_sleep = true;
        } else if (!strcmp(tok, "sleep=off")) {
            o->icount_sleep = false;
        } else if (!strcmp(tok, "auto")) {
            o->icount_auto = true;
        } else if (parse_uint(tok, ICOUNT_MAX_SHIFT, &v) && tok == buf) {
            o->icount_shift = (unsigned)v; /* QEMU's short form -icount N */
        } else {
            return bad("bad -icount option (shift=N|auto, sleep=on|off)", tok);
        }
    }
    return 0;
}

/* -rtc base=DATE in QEMU's two spellings, taken as UTC. */
static bool parse_rtc_date(const char *s, uint64_t *epoch)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6 && s[n] == 0) {
    } else {
        memset(&tm, 0, sizeof(tm));
        n = 0;
        if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || s[n])
            return false;
    }
    if (tm.tm_year < 1970 || tm.tm_year > 2099 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 59 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
        return false;
    int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    /* timegm normalizes 2026-02-31 into March: refuse such dates. */
    if (t == (time_t)-1 || tm.tm_year != year - 1900 || tm.tm_mon != mon - 1 ||
        tm.tm_mday != mday)
        return false;
    *epoch = (uint64_t)t;
    return true;
}

/* QEMU's -rtc: base=utc|localtime start the RTC at the host's current time,
 * base=DATE at that date; clock=host makes the machine clock follow host
 * time, clock=vm (default) the instruction count. Without base the RTC
 * starts at the fixed RTC_DEFAULT_START_EPOCH (devices/rtc.h), so runs are
 * reproducible. */
static int parse_rtc(struct options *o, const char *spec)
{
    char buf[128];
    if (strlen(spec) >= sizeof(buf) || !*spec)
        return bad("bad -rtc", spec);
    strcpy(buf, spec);
    if (strspn(buf, ",") == strlen(buf))
        return bad("bad -rtc", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!strncmp(tok, "base=", 5)) {
            const char *base = tok + 5;
            time_t now = time(NULL);
            if (!strcmp(base, "utc")) {
                o->rtc_start_epoch = (uint64_t)now;
            } else if (!strcmp(base, "localtime")) {
                struct tm lt;
                if (!localtime_r(&now, &lt))
                    return bad("cannot read the host's local time for -rtc", base);
                o->rtc_start_epoch = (uint64_t)((int64_t)now + lt.tm_gmtoff);
            } else if (!parse_rtc_date(base, &o->rtc_start_epoch)) {
                return bad("bad -rtc base (utc, localtime, or YYYY-MM-DD[THH:MM:SS] from 1970-01-01 to "
                           "2099-12-31)",
                           base);
            }
            o->rtc_base = spec;
        } else if (!strcmp(tok, "clock=host")) {
            o->rtc_clock_host = true;
        } else if (!strcmp(tok, "clock=vm") || !strcmp(tok, "clock=rt")) {
            o->rtc_clock_host = false;
        } else if (!strcmp(tok, "driftfix=none") || !strcmp(tok, "driftfix=slew")) {
            ; /* nothing drifts: the RTC and the machine share one clock */
        } else {
            return bad("bad -rtc option (base=..., clock=host|vm)", tok);
        }
    }
    return 0;
}

/* -display none | sdl[,window-close=on|off] (QEMU's spelling). */
static int parse_display(struct options *o, const char *val)
{
    size_t len = strcspn(val, ",");
    if (len == 4 && !strncmp(val, "none", 4)) {
        o->display = "none";
    } else if (len == 3 && !strncmp(val, "sdl", 3)) {
        o->display = "sdl";
    } else {
        fprintf(stderr, "turtles: -display %s: unsupported display (sdl or none)\n", val);
        return -1;
    }
    for (const char *p = val + len; *p == ',';) {
        p++;
        size_t n = strcspn(p, ",");
        if (!strcmp(o->display, "sdl") && n == 16 && !strncmp(p, "window-close=off", n)) {
            o->window_close_off = true;
        } else if (!strcmp(o->display, "sdl") && n == 15 && !strncmp(p, "window-close=on", n)) {
            o->window_close_off = false;
        } else {
            fprintf(stderr, "turtles: -display %s: unsupported property '%.*s'\n", val, (int)n,
                    p);
            return -1;
        }
        p += n;
    }
    return 0;
}

/* -d ITEM[,ITEM...] (QEMU's item names where they exist). */
static int parse_log_items(const char *spec, uint32_t *mask)
{
    static const struct { const char *name; uint32_t bit; } items[] = {
        {"int", LOG_INT}, {"cpu_reset", LOG_CPU_RESET}, {"guest_errors", LOG_GUEST_ERRORS},
        {"exec", LOG_EXEC}, {"unimp", LOG_UNIMP}, {"vmexit", LOG_VMEXIT},
        {"io", LOG_IO}, {"irq", LOG_IRQ},
    };
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
            if (!strcmp(tok, items[i].name)) {
                *mask |= items[i].bit;
                found = true;
            }
        if (!found) {
            fprintf(stderr, "turtles: unknown -d item (int, cpu_reset, guest_errors, exec, "
                            "unimp, vmexit, io, irq): '%s'\n", tok);
            return -1;
        }
    }
    return 0;
}

/* -gdb DEVICE as QEMU spells it: "tcp:HOST:PORT", "tcp:[IPV6]:PORT",
 * "tcp::PORT" or a bare PORT. The stub gives full control of the guest, so
 * without a HOST it listens on 127.0.0.1 only (QEMU would take every
 * interface); "tcp:0.0.0.0:PORT" asks for them. HOST is resolved when the
 * stub starts. Returns the port, or -1; the host goes to host[hsize]. */
static int parse_gdb_spec(const char *spec, char *host, size_t hsize)
{
    const char *p = spec;
    host[0] = '\0';
    if (!strncmp(p, "tcp:", 4)) {
        p += 4;
        const char *h = p, *hend;
        if (*p == '[') { /* an IPv6 address */
            h = p + 1;
            hend = strchr(h, ']');
            if (!hend || hend[1] != ':')
                return -1;
            p = hend + 2;
        } else {
            hend = strrchr(p, ':');
            if (!hend)
                return -1;
            p = hend + 1;
        }
        size_t hlen = (size_t)(hend - h);
        if (hlen >= hsize || memchr(h, ',', hlen))
            return -1;
        memcpy(host, h, hlen);
        host[hlen] = '\0';
    }
    char *end;
    long port = strtol(p, &end, 10);
    if (end == p || *end || port < 1 || port > 65535)
        return -1;
    return (int)port;
}

/* -drive file=FILE[,if=ide][,media=disk|cdrom][,index=N][,format=raw]
 * [,readonly=on|off][,cache=...][,id=...]: QEMU's spelling for what turtles
 * has (IDE disks and CD-ROMs). */
static int add_drive(struct options *o, const char *file, bool cdrom, int index)
{
    if (o->ndrives >= MAX_DRIVES)
        return bad("too many drives", file ? file : "");
    o->drives[o->ndrives++] = (struct drive_opt){.file = file, .cdrom = cdrom, .index = index,
                                                 .readonly = cdrom, .bootindex = -1};
    return 0;
}

/* Parsers that keep pointers into their own copy of the argument (file=,
 * name=, ...): the copy stays with the options when the option is taken,
 * and goes when it is refused (turtles then exits with status 2). */
typedef int (*copy_parser)(struct options *o, const char *arg, char *spec);
static int parse_with_copy(struct options *o, const char *arg, copy_parser parse)
{
    char *spec = strdup(arg);
    if (!spec)
        return bad("out of memory", arg);
    int r = parse(o, arg, spec);
    if (r)
        free(spec);
    return r;
}

static int parse_drive_spec(struct options *o, const char *arg, char *spec)
{
    struct drive_opt d = {.index = -1, .bootindex = -1};
    bool media_given = false, ro_given = false;
    for (char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        char *next = p + len;
        if (*next)
            *next++ = 0;
        const char *v;
        if (prop_is(p, len, "file", &v)) {
            d.file = *v ? v : NULL;
        } else if (prop_is(p, len, "if", &v)) {
            if (!strcmp(v, "virtio"))
                d.virtio = true;
            else if (!strcmp(v, "none"))
                d.if_none = true;
            else if (strcmp(v, "ide"))
                return bad("unsupported -drive interface (ide, virtio or none)", v);
        } else if (prop_is(p, len, "media", &v)) {
            if (!strcmp(v, "cdrom"))
                d.cdrom = true;
            else if (strcmp(v, "disk"))
                return bad("-drive media takes disk or cdrom", v);
            media_given = true;
        } else if (prop_is(p, len, "index", &v)) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 0 || n > 3)
                return bad("-drive index takes 0..3", v);
            d.index = (int)n;
        } else if (prop_is(p, len, "format", &v)) {
            if (strcmp(v, "raw") && strcmp(v, "qcow2"))
                return bad("unsupported -drive format (raw or qcow2)", v);
            d.format = v;
        } else if (prop_is(p, len, "snapshot", &v)) {
            if (!strcmp(v, "on"))
                d.snapshot = true;
            else if (strcmp(v, "off"))
                return bad("-drive snapshot takes on or off", v);
        } else if (prop_is(p, len, "readonly", &v)) {
            if (!strcmp(v, "on"))
                d.readonly = true;
            else if (strcmp(v, "off"))
                return bad("-drive readonly takes on or off", v);
            ro_given = true;
        } else if (prop_is(p, len, "id", &v)) {
            d.id = v;
        } else if (prop_is(p, len, "bootindex", &v)) {
            if (parse_bootindex(v, &d.bootindex) < 0)
                return bad("-drive bootindex takes 0.." BOOTINDEX_MAX_TEXT, v);
        } else if (prop_is(p, len, "serial", &v)) {
            d.serial = v;
        } else if (prop_is(p, len, "cache", &v) || prop_is(p, len, "aio", &v) ||
                   prop_is(p, len, "discard", &v) || prop_is(p, len, "werror", &v) ||
                   prop_is(p, len, "rerror", &v)) {
            /* accepted: turtles' I/O is synchronous, flushes reach the disk */
        } else {
            return bad("unknown -drive property", p);
        }
        p = next;
    }
    if (!d.file && !d.cdrom)
        return bad("-drive needs file= (or media=cdrom for an empty drive)", arg);
    (void)media_given;
    if (d.cdrom && !ro_given)
        d.readonly = true;
    if (d.if_none && !d.id)
        return bad("-drive if=none needs id= (for -device ...,drive=ID)", arg);
    if (d.virtio && d.cdrom)
        return bad("-drive: a CD-ROM is an IDE drive (if=ide, or if=none for -device ide-cd)",
                   arg);
    if ((d.virtio || d.if_none) && d.index >= 0)
        return bad("-drive: index= is for IDE drives", arg);
    if (o->ndrives >= MAX_DRIVES)
        return bad("too many drives", arg);
    o->drives[o->ndrives++] = d;
    return 0;
}

/* -fw_cfg [name=]NAME,string=STR | -fw_cfg [name=]NAME,file=PATH: a file for
 * the firmware (QEMU's spelling; e.g. etc/sercon-port, opt/...). */
static int parse_fw_cfg(struct options *o, const char *arg, char *spec)
{
    struct fw_cfg_user u = {0};
    for (char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        char *next = p + len;
        if (*next)
            *next++ = 0;
        const char *v;
        if (prop_is(p, len, "name", &v))
            u.name = v;
        else if (prop_is(p, len, "string", &v))
            u.string = v;
        else if (prop_is(p, len, "file", &v))
            u.file = v;
        else if (!u.name && p == spec && !strchr(p, '='))
            u.name = p;
        else
            return bad("unknown -fw_cfg property", p);
        p = next;
    }
    if (!u.name || !*u.name || strlen(u.name) >= 56)
        return bad("-fw_cfg needs name=NAME (at most 55 characters)", arg);
    if (!u.string == !u.file)
        return bad("-fw_cfg needs exactly one of string= and file=", arg);
    if (o->nfw_cfg_user >= MAX_FW_CFG_USER)
        return bad("too many -fw_cfg options", arg);
    o->fw_cfg_user[o->nfw_cfg_user++] = u;
    return 0;
}

/* -smbios type=0[,vendor=S][,version=S][,date=S] |
 * -smbios type=1[,manufacturer=S][,product=S][,version=S][,serial=S][,uuid=U]
 *                [,sku=S][,family=S] (QEMU's spelling). Values may not contain
 * commas. */
static int parse_smbios(struct options *o, const char *arg, char *spec)
{
    int type = -1;
    for (char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        char *next = p + len;
        if (*next)
            *next++ = 0;
        const char *v;
        if (prop_is(p, len, "type", &v)) {
            if (strcmp(v, "0") && strcmp(v, "1"))
                return bad("-smbios: only type=0 and type=1 can be set", v);
            type = v[0] - '0';
        } else if (type == 0 && prop_is(p, len, "vendor", &v)) {
            o->smbios_bios_vendor = v;
        } else if (type == 0 && prop_is(p, len, "version", &v)) {
            o->smbios_bios_version = v;
        } else if (type == 0 && prop_is(p, len, "date", &v)) {
            o->smbios_bios_date = v;
        } else if (type == 1 && prop_is(p, len, "manufacturer", &v)) {
            o->smbios_manufacturer = v;
        } else if (type == 1 && prop_is(p, len, "product", &v)) {
            o->smbios_product = v;
        } else if (type == 1 && prop_is(p, len, "version", &v)) {
            o->smbios_version = v;
        } else if (type == 1 && prop_is(p, len, "serial", &v)) {
            o->smbios_serial = v;
        } else if (type == 1 && prop_is(p, len, "sku", &v)) {
            o->smbios_sku = v;
        } else if (type == 1 && prop_is(p, len, "family", &v)) {
            o->smbios_family = v;
        } else if (type == 1 && prop_is(p, len, "uuid", &v)) {
            uint8_t u[16];
            if (smbios_parse_uuid(v, u) < 0)
                return bad("-smbios: bad uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", v);
            o->uuid = v;
        } else {
            return bad(type < 0 ? "-smbios needs type= first" : "unknown -smbios property", p);
        }
        p = next;
    }
    if (type < 0)
        return bad("-smbios needs type=0 or type=1", arg);
    return 0;
}

/* -boot [order=]DRIVES[,menu=on|off][,splash-time=MS][,reboot-timeout=MS]
 * [,strict=on|off]: QEMU's spelling. DRIVES: up to three of a (floppy),
 * c (first hard disk), d (CD-ROM), n (network), in order. */
static long parse_ms(const char *p, size_t len, long lo, long hi)
{
    char buf[16];
    if (len == 0 || len >= sizeof(buf))
        return LONG_MIN;
    memcpy(buf, p, len);
    buf[len] = 0;
    char *end;
    long v = strtol(buf, &end, 10);
    return *end || v < lo || v > hi ? LONG_MIN : v;
}

static int parse_boot(struct options *o, const char *spec)
{
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        const char *v = eq ? eq + 1 : p;
        size_t vlen = len - (size_t)(v - p);
        if (!eq || (klen == 5 && !strncmp(p, "order", 5)) || (klen == 4 && !strncmp(p, "once", 4))) {
            if (vlen == 0 || vlen > 3 || strspn(v, "acdn") < vlen)
                return bad("-boot order takes up to 3 of a, c, d, n", spec);
            memcpy(o->boot_order, v, vlen);
            o->boot_order[vlen] = 0;
        } else if (klen == 4 && !strncmp(p, "menu", 4)) {
            if (vlen == 2 && !strncmp(v, "on", 2))
                o->boot_menu = true;
            else if (vlen == 3 && !strncmp(v, "off", 3))
                o->boot_menu = false;
            else
                return bad("-boot menu takes on or off", spec);
        } else if (klen == 11 && !strncmp(p, "splash-time", 11)) {
            long ms = parse_ms(v, vlen, 0, 65535);
            if (ms == LONG_MIN)
                return bad("-boot splash-time takes 0..65535 (ms)", spec);
            o->boot_splash_ms = (int32_t)ms;
        } else if (klen == 14 && !strncmp(p, "reboot-timeout", 14)) {
            long ms = parse_ms(v, vlen, -1, 65535);
            if (ms == LONG_MIN)
                return bad("-boot reboot-timeout takes -1..65535 (ms)", spec);
            o->boot_reboot_timeout = (int32_t)ms;
        } else if (klen == 6 && !strncmp(p, "strict", 6)) {
            if (!(vlen == 2 && !strncmp(v, "on", 2)) && !(vlen == 3 && !strncmp(v, "off", 3)))
                return bad("-boot strict takes on or off", spec);
        } else {
            return bad("unknown -boot property", p);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int options_parse(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->ram_size = 128ull << 20;
    o->smp = 1;
    strcpy(o->boot_order, "cad"); /* QEMU's pc default: hard disk, floppy, CD-ROM */
    o->boot_splash_ms = -1;
    o->boot_reboot_timeout = -1;
    o->cpu_model = cpu_models[0]->name;
    o->serial = NULL;
    o->debug_exit_base = 0x501;
    o->debug_exit_size = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-')
            a++; /* QEMU accepts --opt as -opt */
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() do { if (!val) return bad("missing value for option", a); i++; } while (0)
        if (!strcmp(a, "-help") || !strcmp(a, "-h")) {
            options_usage(stdout);
            return 1;
        } else if (!strcmp(a, "-version")) {
            puts("turtles " TURTLES_VERSION);
            return 1;
        } else if (!strcmp(a, "-m")) {
            NEED_VALUE();
            const char *v = val;
            if (!strncmp(v, "size=", 5))
                v += 5;
            if (!parse_size(v, &o->ram_size) || o->ram_size < (16ull << 20) ||
                o->ram_size > (64ull << 30))
                return bad("invalid -m size (16M..64G)", val);
            o->ram_size = (o->ram_size + 0xfffff) & ~0xfffffull;
        } else if (!strcmp(a, "-smp")) {
            NEED_VALUE();
            uint64_t v;
            const char *p = val;
            if (!strncmp(p, "cpus=", 5))
                p += 5;
            char num[16];
            size_t n = strcspn(p, ",");
            if (n == 0 || n >= sizeof(num))
                return bad("invalid -smp", val);
            memcpy(num, p, n);
            num[n] = 0;
            if (!parse_uint(num, 8, &v) || v < 1)
                return bad("invalid -smp (1..8)", val);
            o->smp = (int)v;
        } else if (!strcmp(a, "-cpu")) {
            NEED_VALUE();
            if (!strcmp(val, "help")) {
                for (int k = 0; cpu_models[k]; k++)
                    printf("%-16s %s\n", cpu_models[k]->name, cpu_models[k]->description);
                return 1;
            }
            /* NAME[,vmx=on|off]: the name is looked up in place, so nothing
             * is allocated and the model keeps its own static name. */
            size_t name_len = strcspn(val, ",");
            char name[64];
            if (name_len == 0 || name_len >= sizeof(name))
                return bad("unknown CPU model (see -cpu help)", val);
            memcpy(name, val, name_len);
            name[name_len] = 0;
            for (const char *p = val + name_len; *p == ',';) {
                p++;
                size_t len = strcspn(p, ",");
                if (len == 7 && !strncmp(p, "vmx=off", 7))
                    o->vmx_off = true;
                else if (len == 4 && !strncmp(p, "-vmx", 4))
                    o->vmx_off = true;
                else if (len == 6 && !strncmp(p, "vmx=on", 6))
                    o->vmx_off = false;
                else if (len == 4 && !strncmp(p, "+vmx", 4))
                    o->vmx_off = false;
                else
                    return bad("unsupported -cpu property", p);
                p += len;
            }
            const struct cpu_model *model = NULL;
            if (!strcmp(name, "host") || !strcmp(name, "max"))
                model = cpu_models[0];
            else if (!(model = cpu_model_find(name)))
                return bad("unknown CPU model (see -cpu help)", name);
            o->cpu_model = model->name;
        } else if (!strcmp(a, "-bios")) {
            NEED_VALUE();
            o->bios = val;
        } else if (!strcmp(a, "-kernel")) {
            NEED_VALUE();
            o->kernel = val;
        } else if (!strcmp(a, "-initrd")) {
            NEED_VALUE();
            o->initrd = val;
        } else if (!strcmp(a, "-append")) {
            NEED_VALUE();
            o->append = val;
        } else if (!strcmp(a, "-serial")) {
            NEED_VALUE();
            if (strcmp(val, "stdio") && strcmp(val, "null") && strcmp(val, "pty") &&
                strcmp(val, "none") && strncmp(val, "file:", 5) && strcmp(val, "mon:stdio"))
                return bad("unsupported -serial backend", val);
            if (o->nserial >= 4)
                return bad("at most 4 -serial options (COM1-COM4)", val);
            if (o->nserial == 0)
                o->serial = val;
            else
                o->serial_more[o->nserial - 1] = val;
            o->nserial++;
        } else if (!strcmp(a, "-display")) {
            NEED_VALUE();
            if (parse_display(o, val) < 0)
                return 2;
        } else if (!strcmp(a, "-name")) {
            NEED_VALUE();
            /* QEMU: -name NAME or -name guest=NAME[,...] */
            const char *n = !strncmp(val, "guest=", 6) ? val + 6 : val;
            size_t len = strcspn(n, ",");
            if (len == 0 || len >= sizeof(o->name_buf))
                return bad("expected a machine name (1-63 characters)", val);
            memcpy(o->name_buf, n, len);
            o->name_buf[len] = 0;
            o->name = o->name_buf;
        } else if (!strcmp(a, "-vga")) {
            NEED_VALUE();
            if (strcmp(val, "std") && strcmp(val, "none"))
                return bad("unsupported -vga (std or none)", val);
            o->vga = val;
        } else if (!strcmp(a, "-cdrom")) {
            NEED_VALUE();
            int r = add_drive(o, *val ? val : NULL, true, 2);
            if (r)
                return r;
        } else if (!strcmp(a, "-hda") || !strcmp(a, "-hdb") || !strcmp(a, "-hdc") ||
                   !strcmp(a, "-hdd")) {
            NEED_VALUE();
            int r = add_drive(o, val, false, a[3] - 'a');
            if (r)
                return r;
        } else if (!strcmp(a, "-snapshot")) {
            o->snapshot = true;
        } else if (!strcmp(a, "-drive")) {
            NEED_VALUE();
            int r = parse_with_copy(o, val, parse_drive_spec);
            if (r)
                return r;
        } else if (!strcmp(a, "-fw_cfg")) {
            NEED_VALUE();
            int r = parse_with_copy(o, val, parse_fw_cfg);
            if (r)
                return r;
        } else if (!strcmp(a, "-smbios")) {
            NEED_VALUE();
            int r = parse_with_copy(o, val, parse_smbios);
            if (r)
                return r;
        } else if (!strcmp(a, "-uuid")) {
            NEED_VALUE();
            uint8_t u[16];
            if (smbios_parse_uuid(val, u) < 0)
                return bad("bad -uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", val);
            o->uuid = val;
        } else if (!strcmp(a, "-boot")) {
            NEED_VALUE();
            int r = parse_boot(o, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-nodefaults")) {
            o->nodefaults = true;
        } else if (!strcmp(a, "-turtles-screen-text")) {
            NEED_VALUE();
            o->screen_text = val;
        } else if (!strcmp(a, "-nographic")) {
            o->nographic = true;
        } else if (!strcmp(a, "-no-reboot")) {
            o->no_reboot = true;
        } else if (!strcmp(a, "-device")) {
            NEED_VALUE();
            int r = parse_device(o, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-netdev")) {
            NEED_VALUE();
            int r = net_parse_netdev(&o->net, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-nic")) {
            NEED_VALUE();
            int r = net_parse_nic(&o->net, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-object")) {
            NEED_VALUE();
            int r = net_parse_object(&o->net, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-debugcon")) {
            NEED_VALUE();
            o->debugcon = val;
        } else if (!strcmp(a, "-icount")) {
            NEED_VALUE();
            int r = parse_icount(o, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-rtc")) {
            NEED_VALUE();
            int r = parse_rtc(o, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-d")) {
            NEED_VALUE();
            o->debug_flags = val;
            if (parse_log_items(val, &o->log_mask) < 0)
                return 2;
        } else if (!strcmp(a, "-D")) {
            NEED_VALUE();
            o->debug_log = val;
        } else if (!strcmp(a, "-gdb")) { /* gdb stub (frontend/gdbstub.c) */
            NEED_VALUE();
            o->gdb_port = parse_gdb_spec(val, o->gdb_host, sizeof(o->gdb_host));
            if (o->gdb_port < 0)
                return bad("-gdb: expected tcp::PORT or tcp:HOST:PORT", val);
        } else if (!strcmp(a, "-s")) {
            o->gdb_port = 1234;
            o->gdb_host[0] = '\0';
        } else if (!strcmp(a, "-S")) {
            o->gdb_wait = true;
        } else if (!strcmp(a, "-monitor")) { /* frontend/monitor.c */
            NEED_VALUE();
            if (strcmp(val, "stdio") && strcmp(val, "none") && strncmp(val, "unix:", 5))
                return bad("-monitor: expected stdio, unix:PATH,server,nowait or none", val);
            if (!strncmp(val, "unix:", 5) && (val[5] == '\0' || val[5] == ','))
                return bad("-monitor unix: no socket path given", val);
            o->monitor = val;
        } else if (!strcmp(a, "-turtles-monitor-script")) {
            NEED_VALUE();
            o->monitor_script = val;
        } else if (!strcmp(a, "-accel")) {
            NEED_VALUE();
            int r = parse_accel(o, val);
            if (r)
                return r;
        } else if (!strcmp(a, "-machine") || !strcmp(a, "-M")) {
            NEED_VALUE(); /* one machine: accepted for QEMU compatibility */
        } else if (!strcmp(a, "-nodefaults") || !strcmp(a, "-enable-kvm") ||
                   !strcmp(a, "-no-hpet")) {
            if (!strcmp(a, "-enable-kvm"))
                return bad("not available: turtles is a software emulator", a);
        } else if (!strcmp(a, "-turtles-stats")) {
            o->stats = true;
        } else if (!strcmp(a, "-turtles-trace-from")) {
            NEED_VALUE();
            if (!parse_uint(val, UINT64_MAX, &o->trace_from))
                return bad("invalid instruction count", val);
        } else if (!strcmp(a, "-turtles-undefined")) {
            NEED_VALUE();
            if (!strcmp(val, "random"))
                o->undefined_random = true;
            else if (!strcmp(val, "intel"))
                o->undefined_random = false;
            else
                return bad("expected intel or random", val);
        } else if (!strcmp(a, "-turtles-max-insns")) {
            NEED_VALUE();
            if (!parse_uint(val, UINT64_MAX, &o->max_insns))
                return bad("invalid instruction count", val);
        } else {
            return bad("unknown option (see --help)", argv[i]);
        }
#undef NEED_VALUE
    }
    int net_status = net_options_finish(&o->net);
    if (net_status)
        return net_status;
    if (o->debugcon && !o->debugcon_base)
        o->debugcon_base = 0xe9;
    if (!o->serial)
        o->serial = (o->nographic || o->display) ? "stdio" : "stdio";
    if (o->initrd && !o->kernel)
        return bad("-initrd needs -kernel", o->initrd);
    if (o->append && !o->kernel)
        return bad("-append needs -kernel", o->append);
    /* stdio has one reader: the monitor there and the serial console
     * there too is a conflict, unless they share it (-nographic's
     * mon:stdio, where Ctrl-A c switches between them). */
    bool monitor_stdio = o->monitor && !strcmp(o->monitor, "stdio");
    bool serial_stdio = o->nserial > 0 && !strcmp(o->serial, "stdio");
    for (int k = 0; k + 1 < o->nserial; k++)
        if (!strcmp(o->serial_more[k], "stdio") || !strcmp(o->serial_more[k], "mon:stdio"))
            serial_stdio = true;
    if (monitor_stdio && o->nographic)
        return bad("-nographic already shares stdio between the serial console and the "
                   "monitor (Ctrl-A c); drop -monitor stdio", o->monitor);
    if (monitor_stdio && serial_stdio)
        return bad("stdio is already a serial console; -serial mon:stdio shares it with the "
                   "monitor", "-monitor stdio");
    /* Sharing: the monitor's input comes through COM1's stdio backend and
     * Ctrl-A c switches between them. -monitor stdio with the default
     * serial console starts on the monitor side. */
    if (!o->monitor && (o->nographic || (o->nserial > 0 && !strcmp(o->serial, "mon:stdio"))))
        o->monitor_shared = true;
    if (monitor_stdio && o->nserial == 0) {
        o->monitor_shared = true;
        o->monitor_focus = true;
    }
    /* Without a gdb stub or a monitor nothing could ever start a -S machine. */
    bool has_monitor = (o->monitor && strcmp(o->monitor, "none")) || o->monitor_script ||
                       o->monitor_shared;
    if (o->gdb_wait && !o->gdb_port && !has_monitor)
        return bad("-S needs -gdb tcp::PORT, -s or a monitor", "-S");
    /* -nographic's shared terminal is the only monitor, and stdin is no
     * terminal: nothing could ever switch to it and resume the machine. */
    if (o->gdb_wait && !o->gdb_port && !o->monitor_script && !o->monitor && o->monitor_shared &&
        !o->monitor_focus && !isatty(STDIN_FILENO))
        return bad("-S: nothing could resume the machine (stdin is no terminal for -nographic's "
                   "monitor; add -monitor or -gdb)", "-S");
    /* Without -kernel the machine boots through firmware, as a PC does. */
    if (!o->bios && !o->kernel) {
        o->bios = DEFAULT_BIOS_PATH;
        o->bios_default = true;
    }
    if (o->icount && o->rtc_clock_host)
        return bad("-rtc clock=host and -icount each want to drive the one machine clock",
                   "clock=host");
    return 0;
}
