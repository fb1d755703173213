/* kvm-exits: measures the two costs that dominate nested virtualization, from inside L1.
 *
 * The L2 guest runs in 32-bit protected mode without paging. It executes CPUID (an exit that
 * L1's KVM handles every time, on VMX and on SVM) a given number of times, then fills 64 MiB of
 * its memory with a pattern and checksums it back (L2 page faults on first touch resolved
 * through EPT/NPT, then plain memory traffic). Between phases it reports its counters and the
 * checksum through OUT instructions (KVM_EXIT_IO), where this program takes a timestamp.
 *
 * usage: kvm-exits [CPUID_COUNT [MIB]]    (defaults: 100000 and 64)
 * Prints "kvm-exits: ok cpuid=N ..." when the guest's counts and checksum match. */
#include "kvmtest.h"

#include <termios.h>

#define GDT_GPA 0x0800
#define PARAMS_GPA 0x0f00 /* u32 cpuid_count, u32 dword_count: read by the guest */
#define CODE_GPA 0x1000
#define STACK_TOP 0x8000
#define DATA_GPA 0x100000 /* the filled and checksummed area */

#define PORT_START 0x20
#define PORT_CPUID_DONE 0x21
#define PORT_FILL_DONE 0x22
#define PORT_SUM_DONE 0x23

/* 32-bit code at CODE_GPA (offsets relative to it). */
static const uint8_t guest_code[] = {
    0x31, 0xc0,                         /* 00: xor eax, eax                                */
    0xe7, 0x20,                         /* 02: out 0x20, eax     ; PORT_START               */
    0x8b, 0x3d, 0x00, 0x0f, 0x00, 0x00, /* 04: mov edi, [0xf00]  ; cpuid_count              */
    0x31, 0xf6,                         /* 0a: xor esi, esi      ; executed CPUIDs          */
    0x31, 0xc0,                         /* 0c: xor eax, eax      ; leaf 0                   */
    0x31, 0xc9,                         /* 0e: xor ecx, ecx                                 */
    0x0f, 0xa2,                         /* 10: cpuid             ; exit to L1, every time   */
    0x46,                               /* 12: inc esi                                      */
    0x39, 0xfe,                         /* 13: cmp esi, edi                                 */
    0x72, 0xf5,                         /* 15: jb 0x0c                                      */
    0x89, 0xf0,                         /* 17: mov eax, esi                                 */
    0xe7, 0x21,                         /* 19: out 0x21, eax     ; PORT_CPUID_DONE          */
    0x8b, 0x0d, 0x04, 0x0f, 0x00, 0x00, /* 1b: mov ecx, [0xf04]  ; dword_count              */
    0xbf, 0x00, 0x00, 0x10, 0x00,       /* 21: mov edi, 0x100000 ; DATA_GPA                 */
    0x31, 0xc0,                         /* 26: xor eax, eax      ; i                        */
    0x69, 0xd0, 0xb1, 0x79, 0x37, 0x9e, /* 28: imul edx, eax, 0x9e3779b1                    */
    0x89, 0x14, 0x87,                   /* 2e: mov [edi+eax*4], edx                         */
    0x40,                               /* 31: inc eax                                      */
    0x39, 0xc8,                         /* 32: cmp eax, ecx                                 */
    0x72, 0xf2,                         /* 34: jb 0x28                                      */
    0xe7, 0x22,                         /* 36: out 0x22, eax     ; PORT_FILL_DONE           */
    0x31, 0xdb,                         /* 38: xor ebx, ebx      ; sum                      */
    0x31, 0xc0,                         /* 3a: xor eax, eax                                 */
    0xc1, 0xc3, 0x05,                   /* 3c: rol ebx, 5                                   */
    0x03, 0x1c, 0x87,                   /* 3f: add ebx, [edi+eax*4]                         */
    0x40,                               /* 42: inc eax                                      */
    0x39, 0xc8,                         /* 43: cmp eax, ecx                                 */
    0x72, 0xf5,                         /* 45: jb 0x3c                                      */
    0x89, 0xd8,                         /* 47: mov eax, ebx                                 */
    0xe7, 0x23,                         /* 49: out 0x23, eax     ; PORT_SUM_DONE            */
    0xf4,                               /* 4b: hlt               ; KVM_EXIT_HLT             */
    0xeb, 0xfd,                         /* 4c: jmp 0x4b                                     */
};

static uint32_t rol32(uint32_t v, unsigned n)
{
    return (v << n) | (v >> (32 - n));
}

/* The checksum the guest computes, over the pattern it writes. */
static uint32_t expected_checksum(uint32_t dwords)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < dwords; i++)
        sum = rol32(sum, 5) + i * 0x9e3779b1u;
    return sum;
}

/* Runs the vCPU to its next OUT to PORT; returns the value written. */
static uint32_t run_to_port(struct kvmtest_vcpu *vcpu, uint16_t port, const char *phase)
{
    KVM_IOCTL(vcpu->fd, KVM_RUN, 0);
    struct kvm_run *run = vcpu->run;
    if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT || run->io.port != port ||
        run->io.size != 4)
        kvmtest_unexpected_exit(vcpu, phase);
    return kvmtest_io_value(run);
}

/* Prints a phase mark and waits until the serial port has sent it: otherwise, with one vCPU,
 * the line can sit in the tty buffer while L2 runs and reach the harness phases late. Not
 * checked: stdout need not be a terminal. */
static void mark(const char *what)
{
    printf("kvm-exits: mark %s\n", what);
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
}

static uint32_t parse_count(const char *s, const char *what, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || v == 0 || v > max) {
        errno = 0;
        kvmtest_die("bad %s '%s' (1..%lu)", what, s, max);
    }
    return (uint32_t)v;
}

int main(int argc, char **argv)
{
    struct kvmtest_vm vm;
    struct kvmtest_vcpu vcpu;
    uint32_t cpuid_count = 100000, mib = 64;

    kvmtest_name = "kvm-exits";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1)
        cpuid_count = parse_count(argv[1], "CPUID count", 100000000);
    if (argc > 2)
        mib = parse_count(argv[2], "MiB", 1024);
    uint32_t dwords = mib * (1024u * 1024u / 4u);

    kvmtest_vm_create(&vm, DATA_GPA + (size_t)mib * 1024 * 1024);
    kvmtest_write_gdt(vm.mem, GDT_GPA);
    memcpy(vm.mem + PARAMS_GPA, &cpuid_count, 4);
    memcpy(vm.mem + PARAMS_GPA + 4, &dwords, 4);
    memcpy(vm.mem + CODE_GPA, guest_code, sizeof(guest_code));
    kvmtest_vcpu_create(&vm, &vcpu, 0);
    kvmtest_enter_protected_mode(&vcpu, GDT_GPA, 0, 0, CODE_GPA, STACK_TOP);

    /* The "mark" lines let a harness time each phase on its own (host) clock from the serial
     * log (bench/nested.sh): the guest's clock runs at each emulator's own pace. The guest's
     * timestamps are taken around the runs only, so that the printing does not count in them. */
    run_to_port(&vcpu, PORT_START, "entering L2");
    mark("cpuid-begin");
    double t0 = kvmtest_now();
    uint32_t cpuids = run_to_port(&vcpu, PORT_CPUID_DONE, "CPUID loop");
    double t1 = kvmtest_now();
    mark("cpuid-end");
    double t1b = kvmtest_now();
    uint32_t filled = run_to_port(&vcpu, PORT_FILL_DONE, "memory fill");
    double t2 = kvmtest_now();
    mark("fill-end");
    double t2b = kvmtest_now();
    uint32_t sum = run_to_port(&vcpu, PORT_SUM_DONE, "memory checksum");
    double t3 = kvmtest_now();
    mark("sum-end");
    KVM_IOCTL(vcpu.fd, KVM_RUN, 0);
    if (vcpu.run->exit_reason != KVM_EXIT_HLT)
        kvmtest_unexpected_exit(&vcpu, "final HLT");

    double cpuid_s = t1 - t0, fill_s = t2 - t1b, sum_s = t3 - t2b;
    printf("kvm-exits: cpuid loop: %u exits in %.3f s (%.0f exits/s, %.2f us each)\n", cpuids, cpuid_s,
           cpuids / cpuid_s, cpuid_s * 1e6 / cpuids);
    printf("kvm-exits: fill %u MiB: %.3f s (%.1f MiB/s)\n", mib, fill_s, mib / fill_s);
    printf("kvm-exits: checksum %u MiB: %.3f s (%.1f MiB/s), guest sum 0x%08x\n", mib, sum_s, mib / sum_s, sum);

    errno = 0;
    if (cpuids != cpuid_count)
        kvmtest_die("guest executed %u CPUIDs, expected %u", cpuids, cpuid_count);
    if (filled != dwords)
        kvmtest_die("guest filled %u dwords, expected %u", filled, dwords);
    uint32_t want = expected_checksum(dwords);
    if (sum != want)
        kvmtest_die("guest checksum 0x%08x, expected 0x%08x", sum, want);
    /* The guest's writes must be in the memory this program gave KVM, word for word. */
    const uint32_t *data = (const uint32_t *)(vm.mem + DATA_GPA);
    for (uint32_t i = 0; i < dwords; i++)
        if (data[i] != i * 0x9e3779b1u)
            kvmtest_die("guest memory word %u at gpa 0x%x is 0x%08x, expected 0x%08x", i, DATA_GPA + 4 * i,
                        data[i], i * 0x9e3779b1u);

    printf("kvm-exits: ok cpuid=%u cpuid_rate=%.0f/s fill_mib=%u fill_s=%.3f sum_s=%.3f sum=0x%08x\n", cpuids,
           cpuids / cpuid_s, mib, fill_s, sum_s, sum);
    return 0;
}
