/* Shared helpers of the in-guest KVM test programs (kvm-hello, kvm-exits, kvm-ipi).
 *
 * These programs run inside the L1 guest and drive its /dev/kvm through the KVM API only
 * (linux/kvm.h), so they work over kvm_intel and kvm_amd alike. Each one is built with
 * `gcc -static -O2` by tests/images/build-images.sh. */
#ifndef TURTLES_KVMTEST_H
#define TURTLES_KVMTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The program's name, for messages; each program sets it first thing in main(). */
static const char *kvmtest_name __attribute__((unused)) = "kvmtest";

__attribute__((format(printf, 1, 2), noreturn)) static inline void kvmtest_die(const char *fmt, ...)
{
    va_list ap;
    int saved = errno;
    fprintf(stderr, "%s: FAIL: ", kvmtest_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (saved)
        fprintf(stderr, " (%s)", strerror(saved));
    fputc('\n', stderr);
    exit(1);
}

/* ioctl that dies with a clear message on failure; WHAT names the request. */
static inline long kvmtest_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
    long r;
    errno = 0;
    r = ioctl(fd, req, arg);
    if (r < 0)
        kvmtest_die("ioctl %s", what);
    return r;
}
#define KVM_IOCTL(fd, req, arg) kvmtest_ioctl((fd), (req), (void *)(uintptr_t)(arg), #req)

struct kvmtest_vm {
    int kvm_fd;
    int vm_fd;
    uint8_t *mem;
    size_t mem_size;
    int run_size;
};

/* Opens /dev/kvm, checks the API version and creates a VM whose guest-physical memory
 * [0, mem_size) is anonymous host memory. */
static inline void kvmtest_vm_create(struct kvmtest_vm *vm, size_t mem_size)
{
    struct kvm_userspace_memory_region region;
    long version;

    memset(vm, 0, sizeof(*vm));
    errno = 0;
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        kvmtest_die("open /dev/kvm (is kvm_intel or kvm_amd loaded?)");
    version = KVM_IOCTL(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        errno = 0;
        kvmtest_die("KVM API version %ld, expected %d", version, KVM_API_VERSION);
    }
    vm->vm_fd = (int)KVM_IOCTL(vm->kvm_fd, KVM_CREATE_VM, 0);
    vm->run_size = (int)KVM_IOCTL(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

    vm->mem_size = mem_size;
    errno = 0;
    vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (vm->mem == MAP_FAILED)
        kvmtest_die("mmap %zu bytes of guest memory", mem_size);

    memset(&region, 0, sizeof(region));
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = mem_size;
    region.userspace_addr = (uintptr_t)vm->mem;
    KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

struct kvmtest_vcpu {
    int fd;
    struct kvm_run *run;
};

static inline void kvmtest_vcpu_create(struct kvmtest_vm *vm, struct kvmtest_vcpu *vcpu, int id)
{
    vcpu->fd = (int)KVM_IOCTL(vm->vm_fd, KVM_CREATE_VCPU, id);
    errno = 0;
    vcpu->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
    if (vcpu->run == MAP_FAILED)
        kvmtest_die("mmap kvm_run of vCPU %d", id);
}

/* A flat 4 GiB segment as the hidden part of a segment register: what a protected-mode guest
 * would have after loading SELECTOR from a GDT entry with base 0, limit 0xfffff, G=1, D/B=1.
 * SDM Vol.3A 3.4.5 (segment descriptors). */
static inline struct kvm_segment kvmtest_flat_segment(uint16_t selector, int code)
{
    struct kvm_segment s;
    memset(&s, 0, sizeof(s));
    s.base = 0;
    s.limit = 0xffffffff;
    s.selector = selector;
    s.type = code ? 0xb : 0x3; /* execute/read accessed, or read/write accessed */
    s.present = 1;
    s.dpl = 0;
    s.db = 1;
    s.s = 1;
    s.l = 0;
    s.g = 1;
    return s;
}

/* The GDT the 32-bit guests use; the selectors below index it. Interrupt delivery and IRET
 * reload CS from memory, so the table must exist in guest memory as well as in the hidden
 * segment state that KVM_SET_SREGS loads. */
#define KVMTEST_SEL_CODE32 0x08
#define KVMTEST_SEL_DATA32 0x10
static inline void kvmtest_write_gdt(uint8_t *mem, uint64_t gdt_gpa)
{
    /* SDM Vol.3A 3.4.5: base 0, limit 0xfffff pages, G=1, D/B=1, P=1, DPL=0, S=1. */
    static const uint64_t gdt[3] = {
        0,
        0x00cf9b000000ffffull, /* 0x08: code, execute/read, accessed */
        0x00cf93000000ffffull, /* 0x10: data, read/write, accessed */
    };
    memcpy(mem + gdt_gpa, gdt, sizeof(gdt));
}

/* Puts VCPU into 32-bit protected mode without paging, flat segments, GDT at GDT_GPA, IDT (if
 * any) at IDT_GPA with IDT_LIMIT; then EIP=ENTRY, ESP=STACK, interrupts off. */
static inline void kvmtest_enter_protected_mode(struct kvmtest_vcpu *vcpu, uint64_t gdt_gpa, uint64_t idt_gpa,
                                         uint16_t idt_limit, uint64_t entry, uint64_t stack)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;

    KVM_IOCTL(vcpu->fd, KVM_GET_SREGS, &sregs);
    sregs.cs = kvmtest_flat_segment(KVMTEST_SEL_CODE32, 1);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = kvmtest_flat_segment(KVMTEST_SEL_DATA32, 0);
    sregs.gdt.base = gdt_gpa;
    sregs.gdt.limit = 3 * 8 - 1;
    sregs.idt.base = idt_gpa;
    sregs.idt.limit = idt_limit;
    sregs.cr0 = 0x11; /* PE, and ET which is fixed to 1 on every CPU since the i486 */
    sregs.cr4 = 0;
    sregs.efer = 0;
    KVM_IOCTL(vcpu->fd, KVM_SET_SREGS, &sregs);

    memset(&regs, 0, sizeof(regs));
    regs.rip = entry;
    regs.rsp = stack;
    regs.rflags = 0x2; /* bit 1 is reserved as 1; IF=0 */
    KVM_IOCTL(vcpu->fd, KVM_SET_REGS, &regs);
}

static inline const char *kvmtest_exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_UNKNOWN: return "UNKNOWN";
    case KVM_EXIT_EXCEPTION: return "EXCEPTION";
    case KVM_EXIT_IO: return "IO";
    case KVM_EXIT_HLT: return "HLT";
    case KVM_EXIT_MMIO: return "MMIO";
    case KVM_EXIT_SHUTDOWN: return "SHUTDOWN (triple fault)";
    case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
    case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    default: return "other";
    }
}

/* Dies describing an exit the program did not expect, with the guest's registers. */
__attribute__((noreturn)) static inline void kvmtest_unexpected_exit(struct kvmtest_vcpu *vcpu, const char *where)
{
    struct kvm_run *run = vcpu->run;
    struct kvm_regs regs;
    char extra[128] = "";

    if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
        snprintf(extra, sizeof(extra), " hardware_entry_failure_reason=0x%llx",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
        snprintf(extra, sizeof(extra), " suberror=%u", run->internal.suberror);
    else if (run->exit_reason == KVM_EXIT_IO)
        snprintf(extra, sizeof(extra), " port=0x%x size=%u direction=%s", run->io.port, run->io.size,
                 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in");
    else if (run->exit_reason == KVM_EXIT_MMIO)
        snprintf(extra, sizeof(extra), " gpa=0x%llx", (unsigned long long)run->mmio.phys_addr);
    if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " rip=0x%llx",
                 (unsigned long long)regs.rip);
    errno = 0;
    kvmtest_die("%s: unexpected exit %u (%s)%s", where, run->exit_reason, kvmtest_exit_name(run->exit_reason),
                extra);
}

/* The 32-bit value an OUT instruction wrote, from the kvm_run I/O data area. */
static inline uint32_t kvmtest_io_value(const struct kvm_run *run)
{
    uint32_t v = 0;
    memcpy(&v, (const uint8_t *)run + run->io.data_offset, run->io.size <= 4 ? run->io.size : 4);
    return v;
}

static inline double kvmtest_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
