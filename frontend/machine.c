#define _POSIX_C_SOURCE 200809L
/* Assembling the PC and running it. */
#include "frontend/machine.h"
#include "frontend/monitor_views.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/acpi_tables.h"
#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/log.h"
#include "cpu/tsc.h"
#include "vmx_emul/vmx.h"
#include "frontend/display.h"
#include "frontend/debugger.h"
#include "frontend/gdbstub.h"
#include "frontend/monitor_loop.h"
#include "frontend/platform.h"
#include "frontend/serial_backend.h"
#include "vmx_emul/vmx_nonroot.h"

/* The vCPU whose turn it is (for log lines), or vCPU 0 between turns. */
static const struct cpu *running_cpu(const struct machine *m)
{
    return m->clock.turn_opaque ? m->clock.turn_opaque : &m->cpus[0];
}

/* -d guest_errors: an access to a port no device decodes (it reads as all
 * ones and writes are lost, as on a PC). */
static void log_unassigned_port(struct machine *m, uint16_t port, bool write, uint32_t value,
                                unsigned size)
{
    const struct cpu *c = running_cpu(m);
    if (write)
        cpu_log(c, "guest_errors: cpu%d rip=%016llx: OUT 0x%x to unassigned port 0x%04x "
                   "(size %u)\n",
                c->index, (unsigned long long)c->rip, value, port, size);
    else
        cpu_log(c, "guest_errors: cpu%d rip=%016llx: IN from unassigned port 0x%04x (size %u)\n",
                c->index, (unsigned long long)c->rip, port, size);
}

/* -d io (or the monitor's `trace io`): one line per port access, with
 * the handler that took it. */
static void log_port(const struct machine *m, const struct cpu *c, uint16_t port, bool write,
                     uint32_t value, unsigned size)
{
    unsigned h = m->io.map[port];
    const char *name = h && m->io.handlers[h - 1].name ? m->io.handlers[h - 1].name : "none";
    cpu_log(c, "io: cpu%d rip=%016llx %s port 0x%04x size %u value 0x%x (%s)\n", c->index,
            (unsigned long long)c->rip, write ? "out" : "in", port, size, value, name);
}

static uint32_t io_in(void *opaque, uint16_t port, unsigned size)
{
    struct machine *m = opaque;
    if ((m->opt.log_mask & LOG_GUEST_ERRORS) && !m->io.map[port])
        log_unassigned_port(m, port, false, 0, size);
    uint32_t value = iobus_read(&m->io, port, size);
    const struct cpu *c = running_cpu(m);
    if (c->log_mask & LOG_IO)
        log_port(m, c, port, false, value, size);
    return value;
}

static void io_out(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct machine *m = opaque;
    if ((m->opt.log_mask & LOG_GUEST_ERRORS) && !m->io.map[port])
        log_unassigned_port(m, port, true, value, size);
    const struct cpu *c = running_cpu(m);
    if (c->log_mask & LOG_IO)
        log_port(m, c, port, true, value, size);
    iobus_write(&m->io, port, value, size);
}

/* -d guest_errors: physical memory with neither RAM nor a device behind
 * it (reads as all ones, writes are lost). */
static void log_unassigned_memory(void *opaque, uint64_t paddr, bool write, unsigned size)
{
    const struct machine *m = opaque;
    const struct cpu *c = running_cpu(m);
    cpu_log(c, "guest_errors: cpu%d rip=%016llx: %s unassigned memory at 0x%llx (size %u)\n",
            c->index, (unsigned long long)c->rip, write ? "write to" : "read from",
            (unsigned long long)paddr, size);
}

/* -d guest_errors: a device ignored what the guest programmed. */
void machine_log_guest_error(void *opaque, const char *device, const char *what)
{
    const struct machine *m = opaque;
    const struct cpu *c = running_cpu(m);
    cpu_log(c, "guest_errors: cpu%d rip=%016llx: %s: %s\n", c->index, (unsigned long long)c->rip,
            device, what);
}

/* -d cpu_reset: the state a RESET or INIT discards, as QEMU logs it. */
static void log_cpu_reset(const struct cpu *c, const char *what)
{
    if (!(c->log_mask & LOG_CPU_RESET))
        return;
    cpu_log(c, "CPU %s (CPU %d)\n", what, c->index);
    cpu_log_state(c);
}

/* A write hit a page holding decoded code: drop its blocks, and make a vCPU
 * that is running one of them leave it after the current instruction. */
static void on_code_write(void *opaque, uint64_t page)
{
    struct machine *m = opaque;
    block_invalidate_page(m->blocks, page);
    for (int i = 0; i < m->ncpus; i++) {
        const struct block *b = m->cpus[i].cur_block;
        if (b && ((b->paddr & ~0xfffull) == page || (b->straddles && b->page2 == page)))
            m->cpus[i].stop_block = true;
    }
}

void machine_request_stop(struct machine *m, enum machine_stop why, int status,
                          const char *message)
{
    /* The first stop wins, with its own status and line (README). */
    if (m->stop != STOP_NONE)
        return;
    m->stop = why;
    m->exit_status = status;
    m->stop_message = message;
    for (int i = 0; i < m->ncpus; i++) {
        m->cpus[i].quantum_end = 0;
        m->cpus[i].stop_block = true;
    }
}

void machine_request_reset(struct machine *m)
{
    if (m->opt.no_reboot) {
        machine_request_stop(m, STOP_RESET, 0, "guest requested a reset (-no-reboot): exiting");
        return;
    }
    m->reset_requested = true;
    for (int i = 0; i < m->ncpus; i++) {
        m->cpus[i].quantum_end = 0;
        m->cpus[i].stop_block = true;
    }
}

void machine_watches_changed(struct machine *m)
{
    for (int i = 0; i < m->ncpus; i++)
        debug_watch_attach(&m->cpus[i], m->watches.n ? &m->watches : NULL);
    if (m->dbg)
        debugger_update_hooks(m->dbg); /* the hook that reports a watchpoint hit */
}

void machine_signal_stop(struct machine *m, int signo)
{
    if (m->stop != STOP_NONE)
        return; /* the machine is already stopping for another reason */
    m->stop = STOP_SIGNAL;
    m->exit_status = EXIT_SIGNAL;
    m->stop_message = signo == SIGINT ? "interrupted (SIGINT): stopping" : "terminated: stopping";
    for (int i = 0; i < m->ncpus; i++) {
        m->cpus[i].quantum_end = 0;
        m->cpus[i].stop_block = true;
    }
}

#define BIOS_MAX_SIZE (16ull << 20) /* a flash chip's worth below 4 GiB */

static int setup_bios(struct machine *m, const char *path)
{
    char err[512];
    uint64_t size;
    if (loader_read_whole("-bios", path, BIOS_MAX_SIZE, &m->bios_image, &size, err,
                          sizeof(err)) < 0) {
        fprintf(stderr, "turtles: %s%s\n", err,
                m->opt.bios_default ? " (the default firmware: apt-get install seabios)" : "");
        return -1;
    }
    m->bios_size = (size_t)size;
    if (m->bios_size & 0xffff) {
        fprintf(stderr, "turtles: -bios '%s': %llu bytes; a ROM image is a multiple of 64 KiB, "
                        "at most 16 MiB\n",
                path, (unsigned long long)size);
        return -1;
    }
    /* The whole image ends at 4 GiB; its last 128 KiB (or all of a smaller
     * image) also appear below 1 MiB, as on a PC, where the i440FX's PAM
     * registers choose between it and shadow RAM (setup_shadowing). */
    physmem_add_rom(&m->mem, PHYS_4G - m->bios_size, m->bios_size, m->bios_image, "bios");
    return 0;
}

/* 0xC0000-0xFFFFF as the i440FX's PAM registers (at their reset values
 * now) map it: devices/pam_shadow.h. */
static int setup_shadowing(struct machine *m)
{
    if (pam_shadow_init(&m->pam, &m->mem, m->bios_image, m->bios_size) < 0) {
        fprintf(stderr, "turtles: out of memory regions for the shadow RAM segments\n");
        return -1;
    }
    pam_shadow_apply(&m->pam, &m->platform->host_bridge.pci.config[I440FX_PAM0]);
    return 0;
}

void machine_pam_changed(void *opaque, const uint8_t pam[I440FX_NUM_PAM])
{
    struct machine *m = opaque;
    pam_shadow_apply(&m->pam, pam);
    /* Code decoded from the ROM may now be RAM with other contents. */
    block_flush_all(m->blocks);
    for (int i = 0; i < m->ncpus; i++) {
        tlb_flush_all(&m->cpus[i].tlb);
        m->cpus[i].stop_block = true;
    }
}

static void load_boot_segment(struct segment *s, const struct boot_segment *b)
{
    s->sel = b->selector;
    s->base = b->base;
    s->limit = b->limit;
    s->attr = b->ar;
}

/* Put vCPU 0 in the state the direct-boot loader asked for. */
static void apply_boot_state(struct machine *m)
{
    const struct boot_cpu_state *b = &m->boot.cpu;
    struct cpu *c = &m->cpus[0];
    c->rip = b->rip;
    c->gpr[R_SP] = b->rsp;
    c->gpr[R_AX] = b->rax;
    c->gpr[R_BX] = b->rbx;
    c->gpr[R_SI] = b->rsi;
    c->gpr[R_DX] = 0;
    c->rflags = b->rflags | 2;
    c->cr0 = b->cr0;
    c->cr3 = b->cr3;
    c->cr4 = b->cr4;
    c->efer = b->efer;
    c->gdtr.base = b->gdt_base;
    c->gdtr.limit = b->gdt_limit;
    c->idtr.base = 0;
    c->idtr.limit = 0;
    load_boot_segment(&c->seg[S_CS], &b->cs_seg);
    for (int i = 0; i < 6; i++)
        if (i != S_CS)
            load_boot_segment(&c->seg[i], &b->data_seg);
    cpu_update_mode(c);
    tlb_flush_all(&c->tlb);
}

static int setup_direct_boot(struct machine *m)
{
    struct direct_boot_config cfg = {
        .kernel = m->opt.kernel,
        .initrd = m->opt.initrd,
        .append = m->opt.append,
        .ncpus = m->ncpus,
        .bios_rom = m->opt.bios != NULL,
        .cache = &m->images,
    };
    char err[512] = "";
    if (direct_boot_setup(&m->mem, &cfg, &m->boot, err, sizeof(err)) < 0) {
        fprintf(stderr, "turtles: %s\n", err[0] ? err : "cannot load the kernel");
        return -1;
    }
    m->have_boot_state = true;
    return 0;
}

/* Without firmware nobody programs the PIIX3's PIRQ routing: do what the
 * ACPI tables promise (bios/acpi_tables.h). */
static void route_pci_links(struct machine *m)
{
    for (int k = 0; k < 4; k++)
        pci_config_write(&m->platform->pci, 0, PIIX3_DEVFN, PIIX3_PIRQRC + (unsigned)k,
                         acpi_pirq_isa_irq[k], 1);
}

static int boot_setup(struct machine *m)
{
    for (int i = 0; i < m->ncpus; i++) {
        cpu_reset(&m->cpus[i], false);
        m->cpus[i].wait_for_sipi = i > 0;
    }
    if (m->opt.kernel && !m->kernel_via_firmware) {
        /* A reset reloads the kernel into cleared RAM. */
        if (m->booted_once && physmem_clear_ram(&m->mem) < 0)
            return -1;
        block_flush_all(m->blocks);
        /* What firmware leaves behind: 0xC0000-0xFFFFF shadow RAM, readable
         * and writable (the loaders put tables there, e.g. the ACPI RSDP). */
        for (unsigned r = 0; r < I440FX_NUM_PAM; r++)
            pci_config_write(&m->platform->pci, 0, I440FX_DEVFN, I440FX_PAM0 + r,
                             r ? 0x33 : 0x30, 1);
        if (setup_direct_boot(m) < 0)
            return -1;
        /* What firmware leaves for the OS: MTRRs enabled with write-back as
         * the default type (SeaBIOS does the same), identical on every vCPU. */
        for (int i = 0; i < m->ncpus; i++)
            m->cpus[i].mtrr_def_type = 0xc06;
        apply_boot_state(m);
        route_pci_links(m);
    }
    m->booted_once = true;
    for (int i = 0; i < m->ncpus; i++)
        tlb_flush_all(&m->cpus[i].tlb);
    return 0;
}

int machine_init(struct machine *m, const struct options *opt)
{
    memset(m, 0, sizeof(*m));
    m->opt = *opt;
    m->log = stderr;
    m->a20 = true;
    const struct cpu_model *model = cpu_model_find(opt->cpu_model);
    if (!model) {
        fprintf(stderr, "turtles: unknown CPU model '%s'\n", opt->cpu_model);
        return -1;
    }
    if (opt->debug_log) {
        int fd = output_file_open("-D", opt->debug_log);
        if (fd < 0)
            return -1;
        m->log = fdopen(fd, "w");
        if (!m->log) {
            fprintf(stderr, "turtles: -D '%s': %s\n", opt->debug_log, strerror(errno));
            close(fd);
            return -1;
        }
    }
    uint32_t log_mask = opt->log_mask;
    uint64_t low_limit = opt->ram_size > 0xe0000000ull ? 0xc0000000ull : 0xe0000000ull;
    if (physmem_init(&m->mem, opt->ram_size, low_limit) < 0) {
        fprintf(stderr, "turtles: -m: cannot reserve %llu MiB of guest RAM: %s\n",
                (unsigned long long)(opt->ram_size >> 20), strerror(errno));
        return -1;
    }
    m->mem.on_code_write = on_code_write;
    m->mem.code_write_opaque = m;
    if (log_mask & LOG_GUEST_ERRORS) {
        m->mem.on_unassigned = log_unassigned_memory;
        m->mem.unassigned_opaque = m;
    }
    iobus_init(&m->io);
    machine_time_init(&m->time, &m->clock, opt);
    m->blocks = block_cache_new(opt->tb_size ? opt->tb_size : BLOCK_CACHE_DEFAULT_BYTES);
    m->platform = calloc(1, sizeof(struct platform));
    if (!m->blocks || !m->platform) {
        fprintf(stderr, "turtles: out of memory\n");
        return -1;
    }
    m->ncpus = opt->smp;
    for (int i = 0; i < m->ncpus; i++) {
        struct cpu *c = &m->cpus[i];
        c->index = i;
        c->model = model;
        c->vmx_off = opt->vmx_off;
        c->blocks = m->blocks;
        c->bus = (struct cpu_bus){.mem = &m->mem, .clock = &m->clock, .opaque = m,
                                  .io_in = io_in, .io_out = io_out, .a20 = &m->a20};
        c->peers = m->cpu_ptrs;
        c->npeers = m->ncpus;
        c->log_file = m->log;
        c->log_mask = log_mask;
        c->log_exec_from = opt->trace_from;
        if (opt->undefined_random)
            cpu_set_undefined_random(c, 0x756e646566ull + (uint64_t)c->index);
        m->cpu_ptrs[i] = c;
    }
    /* The display decides whether the firmware mirrors its screen on the
     * serial port (fw_cfg's nographic), so it opens before the platform. */
    bool display_failed;
    char display_note[160];
    m->display = display_open(&m->opt, &display_failed, display_note, sizeof(display_note));
    if (display_failed)
        return -1;
    if (platform_init(m) < 0)
        return -1;
    display_attach(m->display, m->platform->vga, &m->platform->kbd);
    if (opt->bios && setup_bios(m, opt->bios) < 0)
        return -1;
    if (setup_shadowing(m) < 0)
        return -1;
    if (boot_setup(m) < 0)
        return -1;
    bool failed;
    m->mon = monitor_new(m, opt, &failed);
    if (failed)
        return -1;
    if (!m->mon && !opt->gdb_port && opt->gdb_wait) {
        fprintf(stderr, "turtles: -S: nothing could resume the machine (no gdb stub, and the "
                        "monitor shares a stdin that is no terminal)\n");
        return -1;
    }
    if (m->mon || opt->gdb_port) {
        /* -S, or a script: the first command runs before the guest's
         * first instruction. */
        m->dbg = debugger_new(m, opt->gdb_wait || opt->monitor_script);
        if (!m->dbg) {
            fprintf(stderr, "turtles: out of memory\n");
            return -1;
        }
        m->dbg->mon = m->mon;
        monitor_views_attach(m); /* vmcs diff keeps its copy while a monitor is there */
    }
    if (opt->gdb_port) {
        m->gdb = gdbstub_new(m, m->dbg, opt->gdb_host, opt->gdb_port);
        if (!m->gdb)
            return -1;
        m->dbg->gdb = m->gdb;
    }
    if (display_note[0])
        fprintf(stderr, "%s\n", display_note);
    return 0;
}

void machine_destroy(struct machine *m)
{
    gdbstub_free(m->gdb);
    m->gdb = NULL;
    display_close(m->display);
    m->display = NULL;
    debugger_free(m->dbg);
    m->dbg = NULL;
    monitor_free(m->mon);
    m->mon = NULL;
    if (m->platform)
        platform_destroy(m);
    free(m->platform);
    block_cache_free(m->blocks);
    physmem_destroy(&m->mem);
    free(m->bios_image);
    loader_cache_free(&m->images);
    if (m->log && m->log != stderr)
        fclose(m->log);
}

static void machine_reset(struct machine *m);

void machine_system_reset(struct machine *m)
{
    machine_request_reset(m);
    if (m->reset_requested)
        machine_reset(m);
}

static void machine_reset(struct machine *m)
{
    m->reset_requested = false;
    if (m->insns_total - m->insns_at_reset < RESET_STORM_INSNS)
        m->storm_resets++;
    else
        m->storm_resets = 1;
    m->insns_at_reset = m->insns_total;
    for (int i = 0; i < m->ncpus; i++)
        log_cpu_reset(&m->cpus[i], "Reset");
    if (m->storm_resets >= RESET_STORM_COUNT) {
        if (m->stop == STOP_NONE) {
            snprintf(m->stop_text, sizeof(m->stop_text),
                     "reset storm: %u resets in a row, each within %llu instructions of the last",
                     m->storm_resets, (unsigned long long)RESET_STORM_INSNS);
            machine_request_stop(m, STOP_ERROR, EXIT_RESET_STORM, m->stop_text);
        }
        return;
    }
    m->a20 = true;
    platform_reset(m);
    if (boot_setup(m) < 0)
        machine_request_stop(m, STOP_ERROR, 1, NULL);
}

/* INIT and SIPI (SDM Vol.3A 9.4.4, 11.6.1): INIT puts an AP in
 * wait-for-SIPI and restarts the BSP at the reset vector (SDM Vol.3A 9.1,
 * as hardware and KVM do: only APs wait for a SIPI); a SIPI starts a
 * waiting vCPU in real mode at vector << 12. */
static void handle_init_sipi(struct cpu *c)
{
    if (c->vmx && vmx_nonroot_init_sipi(c)) return; /* exit reasons 3/4 in non-root; INIT blocked in root */
    if (c->init_pending) {
        c->init_pending = false;
        log_cpu_reset(c, "INIT");
        cpu_reset(c, true); /* keeps IA32_APIC_BASE and its BSP flag */
        c->wait_for_sipi = !(c->apic_base & APIC_BASE_BSP);
    }
    if (c->sipi_pending && c->wait_for_sipi) {
        c->sipi_pending = false;
        c->wait_for_sipi = false;
        c->seg[S_CS].sel = (uint16_t)(c->sipi_vector << 8);
        c->seg[S_CS].base = (uint64_t)c->sipi_vector << 12;
        c->rip = 0;
        c->halted = false;
        cpu_update_mode(c);
    }
}

/* What -turtles-max-insns counts for a vCPU (README): its retired
 * instructions plus the events that retired none (cpu->events_total:
 * exceptions and VM exits unwinding an instruction, and the machine's idle
 * steps, see below), so that the limit is reached even by a guest that
 * faults or waits forever. */
static uint64_t limit_units(const struct cpu *c)
{
    return c->icount + c->events_total;
}

static void check_insn_limit(struct machine *m, const struct cpu *c)
{
    if (m->opt.max_insns && limit_units(c) >= m->opt.max_insns)
        machine_request_stop(m, STOP_INSN_LIMIT, EXIT_INSN_LIMIT, "instruction limit reached");
}

/* The length of c's next turn: the quantum, cut short so that the turn
 * ends exactly at -turtles-max-insns (cpu_run never overshoots its budget). */
static uint64_t turn_budget(const struct machine *m, const struct cpu *c)
{
    uint64_t budget = m->time.quantum;
    if (m->opt.max_insns) {
        uint64_t used = limit_units(c);
        uint64_t left = used < m->opt.max_insns ? m->opt.max_insns - used : 0;
        if (left < budget)
            budget = left;
    }
    return budget;
}

/* Every vCPU is idle: could any of them still be woken? An idle vCPU runs
 * no code, so the interrupt routing (LVT, I/O APIC, HPET) cannot change
 * until one wakes: if none can, none ever will. */
static bool some_vcpu_may_wake(struct machine *m)
{
    bool nmi_or_init = platform_may_send_nmi_or_init(m);
    for (int i = 0; i < m->ncpus; i++)
        if (cpu_may_wake_later(&m->cpus[i], nmi_or_init, platform_may_interrupt(m, i)))
            return true;
    return false;
}

bool machine_display_tick(struct machine *m, bool paused)
{
    /* display_tick itself keeps to the refresh rate. */
    if (!m->display || !display_tick(m->display, paused, m->cpus[0].vmx_nonroot))
        return false;
    machine_request_stop(m, STOP_USER_QUIT, 0, "quit (display window closed)");
    return true;
}

/* How long an idle machine waits for a host socket before its clock
 * skips to the next timer (host milliseconds). */
#define NET_IDLE_WAIT_MS 2

int machine_run(struct machine *m)
{
    unsigned poll = 0;
    while (m->stop == STOP_NONE) {
        /* gdb and the monitor: a cheap look at their input now and then
         * while the guest runs; serving them while it is paused. */
        if (m->dbg && debugger_round(m->dbg))
            break;
        if (m->stop != STOP_NONE)
            break; /* quit, kill, or a signal while the machine was paused */
        if (m->reset_requested)
            machine_reset(m);
        bool all_idle = true;
        for (int i = 0; i < m->ncpus && m->stop == STOP_NONE && !m->reset_requested &&
                        !debugger_stop_pending(m->dbg);
             i++) {
            struct cpu *c = &m->cpus[i];
            handle_init_sipi(c);
            if (c->shutdown) {
                if (m->opt.no_reboot) {
                    machine_request_stop(m, STOP_TRIPLE_FAULT, EXIT_TRIPLE_FAULT,
                                         "triple fault: CPU shut down (-no-reboot)");
                } else {
                    machine_request_reset(m);
                }
                break;
            }
            if (c->wait_for_sipi)
                continue;
            /* HLT ends only for an event the CPU takes (SDM Vol.2 HLT): an
             * unmasked interrupt or NMI, or in VMX non-root an event that
             * exits (cpu_wakeable asks vmx_emul). */
            if (c->halted && !cpu_wakeable(c))
                continue;
            c->quantum_end = c->icount + debugger_budget(m->dbg, c, turn_budget(m, c));
            m->clock.turn_elapsed_ns = cpu_turn_elapsed_ns;
            m->clock.turn_opaque = c;
            uint64_t n = cpu_run(c);
            m->clock.turn_elapsed_ns = NULL;
            debugger_after_run(m->dbg, i);
            m->insns_total += n;
            if (n)
                all_idle = false;
            machine_time_ran(&m->time, &m->clock, n);
            check_insn_limit(m, c);
        }
        if (m->stop != STOP_NONE)
            break;
        if (debugger_stop_pending(m->dbg))
            continue; /* a breakpoint or a step: gdb or the monitor takes over at the top */
        /* The network: host sockets looked at, received frames handed to
         * the NICs, at this turn boundary (frontend/netdevs.h). */
        struct netdevs *net = &m->platform->net;
        bool net_delivered = net->nbackends && netdevs_poll(net, 0);
        if (all_idle && !m->reset_requested && net->nbackends && !net_delivered &&
            netdevs_await_reply(net)) {
            /* Every vCPU waits, and the guest has just sent something out:
             * give the outside world a moment of host time to answer before
             * machine time skips ahead (a reply from a host server would
             * otherwise come only after the guest's timers ran far ahead). */
            net_delivered = netdevs_poll(net, NET_IDLE_WAIT_MS);
        }
        /* No timer armed but a host socket open: only the network can wake
         * the guest, so the loop keeps waiting on it (above). */
        bool only_net_can_wake = all_idle && net->nbackends && m->clock.next_deadline == UINT64_MAX &&
                                 netdevs_have_io(net) && some_vcpu_may_wake(m);
        if (only_net_can_wake && !net_delivered)
            net_delivered = netdevs_poll(net, NET_IDLE_WAIT_MS); /* sleep on the sockets, not spin */
        if (all_idle && !m->reset_requested && !net_delivered && !only_net_can_wake) {
            /* No timer armed, or no vCPU that any event could wake (IF=0
             * and no NMI or INIT source, waiting for a SIPI that no running
             * vCPU can send): skipping to timer deadlines wakes nobody. */
            if (m->clock.next_deadline == UINT64_MAX || !some_vcpu_may_wake(m)) {
                machine_request_stop(m, STOP_ERROR, EXIT_DEADLOCK,
                                     "all vCPUs halted with interrupts that can never come");
                break;
            }
            machine_time_idle(&m->time, &m->clock);
            /* Each idle step is a unit of every vCPU's -turtles-max-insns
             * count: a guest that only waits (IF=1 behind masked
             * interrupt lines, say) still reaches the limit. */
            for (int i = 0; i < m->ncpus && m->stop == STOP_NONE; i++) {
                m->cpus[i].events_total++;
                check_insn_limit(m, &m->cpus[i]);
            }
            if (m->stop != STOP_NONE)
                break;
        }
        machine_time_adjust(&m->time, &m->clock);
        if (((++poll & 15) == 0 || all_idle) && platform_poll_input(m)) {
            machine_request_stop(m, STOP_USER_QUIT, 0, "quit (Ctrl-A x)");
        }
        machine_display_tick(m, false);
    }
    if (m->stop_message)
        fprintf(stderr, "turtles: %s\n", m->stop_message);
    return m->exit_status;
}
