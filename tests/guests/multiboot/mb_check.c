/* Multiboot v1 test kernel: checks what the loader (bios/multiboot.c) hands
 * over when tests/boot/multiboot.sh runs it with
 *   -m 128M -append "mbtest check=1" -initrd "DIR/a.bin arg,DIR/b.bin"
 * where a.bin is "MODA" plus 5000 bytes and b.bin is "MODB" plus 96 bytes.
 * Each check prints a line on COM1; the kernel exits through isa-debug-exit
 * with 0 when all pass and with the number of failed checks otherwise.
 * Field offsets: Multiboot 0.6.96, section 3.3. */
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define BOOTLOADER_MAGIC 0x2BADB002u

#define INFO_MEMORY 0x001u
#define INFO_CMDLINE 0x004u
#define INFO_MODS 0x008u
#define INFO_MEM_MAP 0x040u

#define RAM_BYTES (128u << 20)
#define MODA_SIZE 5004u
#define MODB_SIZE 100u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};

struct mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};

/* One memory-map entry; `size` does not count itself. */
struct __attribute__((packed)) mb_mmap {
    uint32_t size;
    uint64_t base, length;
    uint32_t type;
};

extern char kernel_end[];

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void puts_com1(const char *s)
{
    while (*s)
        outb(COM1, (uint8_t)*s++);
}

static void put_hex(uint32_t v)
{
    puts_com1("0x");
    for (int i = 28; i >= 0; i -= 4)
        outb(COM1, (uint8_t)"0123456789abcdef"[(v >> i) & 15]);
}

static unsigned failures;

static void check(int ok, const char *what)
{
    puts_com1(ok ? "mbtest: ok   " : "mbtest: FAIL ");
    puts_com1(what);
    puts_com1("\n");
    if (!ok)
        failures++;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static uint32_t str_len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int ends_with(const char *s, const char *tail)
{
    uint32_t ls = str_len(s), lt = str_len(tail);
    return lt <= ls && str_eq(s + ls - lt, tail);
}

static int bytes_eq(const void *a, const char *b, uint32_t n)
{
    const char *p = a;
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != b[i])
            return 0;
    return 1;
}

static void check_module(const struct mb_module *m, const char *magic, uint32_t size,
                         const char *name_tail, uint32_t not_below)
{
    puts_com1("mbtest: module ");
    put_hex(m->mod_start);
    puts_com1("-");
    put_hex(m->mod_end);
    puts_com1(" '");
    puts_com1((const char *)m->string);
    puts_com1("'\n");
    check((m->mod_start & 0xfff) == 0, "module start is page aligned");
    check(m->mod_start >= not_below, "module does not overlap what precedes it");
    check(m->mod_end - m->mod_start == size, "module size is the file size");
    check(bytes_eq((const void *)m->mod_start, magic, 4), "module contents");
    check(ends_with((const char *)m->string, name_tail), "module string is its -initrd item");
}

/* The firmware may keep the top of RAM for its tables (QEMU reserves 128
 * KiB there), so the RAM above 1 MiB must be usable up to within 1 MiB of
 * the end of -m, and mem_upper must describe that same range. */
static void check_mmap(const struct mb_info *mbi)
{
    int low_ok = 0, high_ok = 0;
    uint64_t high_len = 0;
    uint64_t usable = 0;
    uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p < end) {
        const struct mb_mmap *e = (const struct mb_mmap *)p;
        puts_com1("mbtest: mmap ");
        put_hex((uint32_t)e->base);
        puts_com1(" len ");
        put_hex((uint32_t)e->length);
        puts_com1(" type ");
        put_hex(e->type);
        puts_com1("\n");
        if (e->type == 1) {
            usable += e->length;
            if (e->base == 0 && e->length >= 0x9f000 && e->length <= 0xa0000)
                low_ok = 1;
            if (e->base == 0x100000 && e->length >= RAM_BYTES - 0x200000 &&
                e->length <= RAM_BYTES - 0x100000) {
                high_ok = 1;
                high_len = e->length;
            }
        }
        p += e->size + 4;
    }
    check(mbi->mmap_length % 24 == 0 && mbi->mmap_length > 0, "memory map length");
    check(low_ok, "memory map: conventional memory below 640 KiB");
    check(high_ok, "memory map: RAM from 1 MiB to (nearly) the end of -m");
    check(mbi->mem_upper == (uint32_t)(high_len >> 10), "mem_upper is the RAM at 1 MiB");
    check(usable <= RAM_BYTES, "memory map: no more usable RAM than -m");
}

void mb_main(uint32_t magic, const struct mb_info *mbi)
{
    puts_com1("mbtest: multiboot kernel running\n");
    check(magic == BOOTLOADER_MAGIC, "EAX holds the boot loader magic");
    if (magic == BOOTLOADER_MAGIC) {
        uint32_t want = INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MEM_MAP;
        check((mbi->flags & want) == want, "info flags: memory, cmdline, modules, mmap");
        check(mbi->mem_lower >= 600 && mbi->mem_lower <= 640, "mem_lower (KiB below 640K)");
        puts_com1("mbtest: cmdline '");
        puts_com1((const char *)mbi->cmdline);
        puts_com1("'\n");
        /* GRUB, QEMU and turtles put the kernel's path before -append. */
        check(ends_with((const char *)mbi->cmdline, "mbtest check=1"), "command line");
        check(mbi->mods_count == 2, "two modules");
        if (mbi->mods_count == 2) {
            const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
            check_module(&m[0], "MODA", MODA_SIZE, "a.bin arg", (uint32_t)kernel_end);
            check_module(&m[1], "MODB", MODB_SIZE, "b.bin", m[0].mod_end);
        }
        check_mmap(mbi);
    }
    puts_com1(failures ? "mbtest: FAILED\n" : "mbtest: all checks passed\n");
    outb(DEBUG_EXIT, (uint8_t)failures);
    for (;;)
        __asm__ volatile("hlt");
}
