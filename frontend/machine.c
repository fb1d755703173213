/* Assembling the PC and running it. */
#include "frontend/machine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"

static uint32_t io_in(void *opaque, uint16_t port, unsigned size)
{
    struct machine *m = opaque;
    return iobus_read(&m->io, port, size);
}

static void io_out(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct machine *m = opaque;
    iobus_write(&m->io, port, value, size);
}

static void on_code_write(void *opaque, uint64_t page)
{
    struct machine *m = opaque;
    block_invalidate_page(m->blocks, page);
    for (int i = 0; i < m->ncpus; i++) {
        const struct block *b = m->cpus[i].cur_block;
        if (b && (b->paddr & ~0xfffull) == page)
            m->cpus[i].stop_block = true;
    }
}

/* TEMPORARY until devices/uart.c lands: COM1 transmit only. */
static void com1_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct machine *m = opaque;
    (void)size;
    if (port == 0x3f8 && m->serial_out) {
        fputc((int)(value & 0xff), m->serial_out);
        fflush(m->serial_out);
    }
}

static uint32_t com1_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)size;
    return port == 0x3fd ? 0x60 : 0; /* LSR: transmitter empty */
}

static void debug_exit_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct machine *m = opaque;
    (void)port;
    (void)size;
    machine_request_stop(m, STOP_DEBUG_EXIT, (int)(((value << 1) | 1) & 0xff));
}

void machine_request_stop(struct machine *m, enum machine_stop why, int status)
{
    if (m->stop != STOP_NONE)
        return;
    m->stop = why;
    m->exit_status = status;
    for (int i = 0; i < m->ncpus; i++) {
        m->cpus[i].quantum_end = 0;
        m->cpus[i].stop_block = true;
    }
}

static int load_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return -1;
    }
    long len = ftell(f);
    if (len < 0) {
        fclose(f);
        return -1;
    }
    rewind(f);
    *data = malloc(len ? (size_t)len : 1);
    if (!*data) {
        fclose(f);
        return -1;
    }
    if (fread(*data, 1, (size_t)len, f) != (size_t)len) {
        free(*data);
        fclose(f);
        errno = EIO;
        return -1;
    }
    fclose(f);
    *size = (size_t)len;
    return 0;
}

static int setup_bios(struct machine *m, const char *path)
{
    if (load_file(path, &m->bios_image, &m->bios_size) < 0) {
        fprintf(stderr, "turtles: cannot read BIOS image '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (m->bios_size == 0 || m->bios_size > (16u << 20) || (m->bios_size & 0xffff)) {
        fprintf(stderr, "turtles: BIOS image '%s' must be a multiple of 64 KiB, at most 16 MiB\n",
                path);
        return -1;
    }
    /* The whole image ends at 4 GiB; its last 128 KiB (or all of a smaller
     * image) also appear below 1 MiB, as on a PC. */
    physmem_add_rom(&m->mem, PHYS_4G - m->bios_size, m->bios_size, m->bios_image, "bios");
    size_t low = m->bios_size < 0x20000 ? m->bios_size : 0x20000;
    physmem_add_rom(&m->mem, 0x100000 - low, low, m->bios_image + m->bios_size - low,
                    "bios-low");
    return 0;
}

int machine_init(struct machine *m, const struct options *opt)
{
    memset(m, 0, sizeof(*m));
    m->opt = *opt;
    m->serial_out = stdout;
    m->log = stderr;
    m->a20 = true;
    const struct cpu_model *model = cpu_model_find(opt->cpu_model);
    if (!model) {
        fprintf(stderr, "turtles: unknown CPU model '%s'\n", opt->cpu_model);
        return -1;
    }
    if (physmem_init(&m->mem, opt->ram_size, 0xc0000000ull) < 0) {
        fprintf(stderr, "turtles: cannot allocate %llu MiB of guest RAM: %s\n",
                (unsigned long long)(opt->ram_size >> 20), strerror(errno));
        return -1;
    }
    m->mem.on_code_write = on_code_write;
    m->mem.code_write_opaque = m;
    iobus_init(&m->io);
    clock_init(&m->clock, opt->icount_shift, false);
    m->blocks = block_cache_new();
    if (!m->blocks) {
        fprintf(stderr, "turtles: out of memory\n");
        return -1;
    }
    m->ncpus = opt->smp;
    for (int i = 0; i < m->ncpus; i++) {
        struct cpu *c = &m->cpus[i];
        c->index = i;
        c->model = model;
        c->blocks = m->blocks;
        c->bus = (struct cpu_bus){.mem = &m->mem, .clock = &m->clock, .opaque = m,
                                  .io_in = io_in, .io_out = io_out, .a20 = &m->a20};
        c->peers = m->cpu_ptrs;
        m->cpu_ptrs[i] = c;
        cpu_reset(c, false);
        if (i > 0)
            c->wait_for_sipi = true;
    }
    for (int i = 0; i < m->ncpus; i++)
        m->cpus[i].npeers = m->ncpus;

    iobus_register(&m->io, 0x3f8, 8, m, com1_read, com1_write, "com1");
    if (opt->debug_exit)
        iobus_register(&m->io, opt->debug_exit_base, opt->debug_exit_size, m, NULL,
                       debug_exit_write, "isa-debug-exit");
    if (opt->bios && setup_bios(m, opt->bios) < 0)
        return -1;
    if (opt->kernel) {
        fprintf(stderr, "turtles: -kernel is not supported yet\n");
        return -1;
    }
    return 0;
}

void machine_destroy(struct machine *m)
{
    block_cache_free(m->blocks);
    physmem_destroy(&m->mem);
    free(m->bios_image);
}

#define QUANTUM 100000

int machine_run(struct machine *m)
{
    while (m->stop == STOP_NONE) {
        bool all_idle = true;
        for (int i = 0; i < m->ncpus && m->stop == STOP_NONE; i++) {
            struct cpu *c = &m->cpus[i];
            if (c->shutdown) {
                machine_request_stop(m, STOP_TRIPLE_FAULT, 3);
                m->stop_message = "triple fault";
                break;
            }
            if (c->halted || c->wait_for_sipi)
                continue;
            all_idle = false;
            c->quantum_end = c->icount + QUANTUM;
            if (m->opt.max_insns && c->quantum_end > m->opt.max_insns)
                c->quantum_end = m->opt.max_insns;
            uint64_t n = cpu_run(c);
            clock_advance_insns(&m->clock, n);
            if (m->opt.max_insns && c->icount >= m->opt.max_insns) {
                machine_request_stop(m, STOP_INSN_LIMIT, 4);
                m->stop_message = "instruction limit reached";
            }
        }
        if (all_idle && m->stop == STOP_NONE) {
            if (m->clock.next_deadline == UINT64_MAX) {
                machine_request_stop(m, STOP_ERROR, 5);
                m->stop_message = "all vCPUs halted with no timer armed";
                break;
            }
            clock_advance_to(&m->clock, m->clock.next_deadline);
        }
    }
    for (int i = 0; i < m->ncpus; i++)
        if (m->cpus[i].shutdown && m->stop == STOP_TRIPLE_FAULT)
            break;
    if (m->stop_message)
        fprintf(stderr, "turtles: %s\n", m->stop_message);
    return m->exit_status;
}
