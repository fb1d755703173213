/* The command line, in QEMU's spelling (DESIGN.md conventions). */
#ifndef TURTLES_FRONTEND_OPTIONS_H
#define TURTLES_FRONTEND_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "frontend/net_options.h"

#define MAX_DEBUG_EXIT 2
#define TURTLES_VERSION "0.1"
#define MAX_DRIVES 8
/* QEMU's default firmware for the pc machine, from Debian's seabios package. */
#define DEFAULT_BIOS_PATH "/usr/share/seabios/bios-256k.bin"

#define MAX_FW_CFG_USER 16

/* -fw_cfg [name=]NAME,string=STR|file=PATH */
struct fw_cfg_user {
    const char *name;
    const char *string;      /* NULL: file */
    const char *file;
};

/* -drive / -cdrom / -hda..-hdd */
struct drive_opt {
    const char *file;        /* NULL: an empty CD-ROM drive */
    const char *format;      /* raw or qcow2 (NULL: probe) */
    bool snapshot;           /* snapshot=on: writes go to a temporary overlay */
    bool cdrom;              /* media=cdrom */
    bool virtio;             /* if=virtio, or if=none used by -device virtio-blk-pci */
    bool if_none;            /* if=none: waits for a -device that names its id */
    const char *id;          /* id=: for -device ...,drive=ID */
    const char *serial;      /* serial= (virtio-blk GET_ID, IDE IDENTIFY) */
    bool readonly;
    int index;               /* 0-3: primary master, primary slave, secondary master, slave; -1: next free */
    bool ide_device;         /* if=none used by -device ide-hd / ide-cd */
    int bootindex;           /* bootindex=N: the firmware's "bootorder" rank; -1: none */
};
/* -accel tcg,tb-size=MiB: up to 64 GiB, like -m. */
#define TB_SIZE_MAX_MIB 65536
#define TB_SIZE_MAX_MIB_TEXT "65536"

struct options {
    uint64_t ram_size;
    int smp;
    const char *cpu_model;   /* -cpu NAME[,vmx=on|off] */
    bool vmx_off;
    uint64_t tb_size;        /* -accel tcg,tb-size=MiB, in bytes (0: the default) */
    const char *bios;        /* -bios FILE: flat ROM image ending at 4 GiB */
    bool bios_default;       /* no -bios and no -kernel: DEFAULT_BIOS_PATH */
    const char *kernel, *initrd, *append;
    const char *serial;      /* COM1: stdio | file:PATH | null | pty | none */
    const char *serial_more[3]; /* COM2-COM4 from further -serial options (NULL: null) */
    int nserial;             /* how many -serial options were given */
    const char *display;     /* -display none|sdl (NULL: not given) */
    bool window_close_off;   /* -display sdl,window-close=off */
    const char *name;        /* -name NAME (NULL: none) */
    char name_buf[64];
    bool nographic;
    bool no_reboot;
    bool debug_exit;         /* -device isa-debug-exit */
    bool testdev;            /* -device pc-testdev */
    const char *vga;         /* -vga std|none (NULL: std, or none with -nodefaults) */
    bool nodefaults;         /* -nodefaults: no default VGA */
    const char *screen_text; /* -turtles-screen-text FILE: the VGA text screen at exit */
    struct drive_opt drives[MAX_DRIVES];
    int ndrives;
    bool snapshot;           /* -snapshot: every disk's writes go to a temporary overlay */
    struct fw_cfg_user fw_cfg_user[MAX_FW_CFG_USER];
    int nfw_cfg_user;
    /* -smbios type=0,... / type=1,...: strings for the firmware's SMBIOS */
    const char *smbios_bios_vendor, *smbios_bios_version, *smbios_bios_date;
    const char *smbios_manufacturer, *smbios_product, *smbios_version, *smbios_serial;
    const char *smbios_sku, *smbios_family;
    const char *uuid;        /* -uuid or -smbios type=1,uuid= */
    char boot_order[4];      /* -boot order=...: up to 3 of a c d n (default "cad") */
    bool boot_menu;          /* -boot menu=on */
    int32_t boot_splash_ms;  /* -boot splash-time=MS (-1: not given) */
    int32_t boot_reboot_timeout; /* -boot reboot-timeout=MS (-1: wait forever) */
    uint16_t debug_exit_base, debug_exit_size;
    const char *debugcon;    /* -debugcon stdio|file:PATH|null (NULL: none) */
    uint16_t debugcon_base;  /* 0xe9, or -device isa-debugcon,iobase=N */
    bool icount;             /* -icount given: QEMU's defaults (sleep=on) apply */
    unsigned icount_shift;   /* -icount shift=N: 2^N ns per instruction */
    bool icount_auto, icount_sleep;
    const char *rtc_base;    /* -rtc base=utc|localtime|DATE */
    uint64_t rtc_start_epoch; /* RTC seconds since 1970 at machine time 0; 0: default date */
    bool rtc_clock_host;     /* -rtc clock=host: the machine clock follows host time */
    const char *debug_flags; /* -d */
    uint32_t log_mask;       /* -d items as cpu/log.h LOG_* bits */
    const char *debug_log;   /* -D */
    uint64_t max_insns;      /* -turtles-max-insns N (testing aid) */
    uint64_t trace_from;     /* -turtles-trace-from N: -d exec starts at instruction N */
    bool stats;              /* -turtles-stats: instructions, MIPS, peak RSS at exit */
    bool undefined_random;   /* -turtles-undefined random: undefined flags get random bits */
    int gdb_port;            /* -gdb tcp:[HOST]:PORT / -s: gdb stub's port (0: none) */
    char gdb_host[256];      /* -gdb tcp:HOST:PORT: where it listens ("": 127.0.0.1) */
    bool gdb_wait;           /* -S: start paused; the monitor's `c` or gdb resumes */
    /* -monitor stdio|unix:PATH[,server][,nowait]|none (NULL: none, or
     * shared with the serial console on stdio under -nographic). */
    const char *monitor;
    const char *monitor_script; /* -turtles-monitor-script FILE */
    bool monitor_shared;     /* the monitor shares stdio with COM1 (mon:stdio), Ctrl-A c */
    bool monitor_focus;      /* ... and stdin goes to the monitor first */
    struct net_options net;  /* -netdev, -nic, NIC -device, -object filter-dump */
};

/* Parse argv; on error print one line to stderr and return 2; on --help or
 * -version print and return 1; 0 on success. */
int options_parse(struct options *o, int argc, char **argv);
void options_usage(FILE *out);

#endif
