/* kvm-ipi: inter-processor interrupts between two L2 vCPUs through L1's in-kernel x2APIC.
 *
 * KVM_CREATE_IRQCHIP gives the VM an in-kernel local APIC per vCPU. KVM_SET_CPUID2 exposes
 * x2APIC; each vCPU (one host thread each) switches its APIC to x2APIC mode by writing
 * IA32_APIC_BASE, software-enables it, then the two vCPUs play ping-pong: vCPU 0 sends a fixed
 * IPI (vector 0x40) through the ICR MSR 0x830, vCPU 1's IDT handler counts it and vCPU 1 answers
 * with one of its own, N times. Only one IPI is ever in flight, so none merges with a pending
 * one. At the end each vCPU reports how many it sent and received through OUT instructions.
 *
 * usage: kvm-ipi [N]    (default 1000 IPIs each way)
 * Prints "kvm-ipi: ok sent=2N received=2N". */
#include "kvmtest.h"

#include <pthread.h>
#include <signal.h>

#define GDT_GPA 0x0800
#define PARAMS_GPA 0x0f00 /* u32 ipi_count */
#define CODE_GPA 0x1000
#define HANDLER_GPA (CODE_GPA + 0x100)
#define SPURIOUS_HANDLER_GPA (CODE_GPA + 0x120)
#define IDT_GPA 0x2000
#define BLOCK_GPA(id) (0x3000 + 0x40 * (id)) /* per vCPU: u32 received, ready, sent */
#define STACK_TOP(id) (0x8000 - 0x1000 * (id))
#define GUEST_MEM_SIZE 0x10000

#define IPI_VECTOR 0x40
#define SPURIOUS_VECTOR 0xff
#define PORT_SENT 0x11
#define PORT_RECEIVED 0x12

/* 32-bit code at CODE_GPA, run by both vCPUs. On entry ESI = own block, EDI = peer's block,
 * EBX = peer's x2APIC ID (= its vCPU id under KVM), EBP = role: 0 for the initiator, which sends
 * first, 1 for the responder, which answers each IPI with one of its own. A vCPU waiting for an
 * IPI halts (a HLT exit to L1, woken by the IPI), so neither spins while the other needs the
 * same L1 CPU. ESI stays fixed: the handler uses it. Block: +0 received, +4 ready, +8 sent. */
static const uint8_t guest_code[] = {
    /* Enter x2APIC mode from xAPIC mode: set EXTD (bit 10) with EN (bit 11). SDM Vol.3A 10.12.5 */
    0xb9, 0x1b, 0x00, 0x00, 0x00,             /* 00: mov ecx, 0x1b     ; IA32_APIC_BASE      */
    0x0f, 0x32,                               /* 05: rdmsr                                   */
    0x0d, 0x00, 0x0c, 0x00, 0x00,             /* 07: or eax, 0xc00     ; EN | EXTD           */
    0x0f, 0x30,                               /* 0c: wrmsr                                   */
    /* Software-enable the APIC (SVR bit 8), spurious vector 0xff. SDM Vol.3A 10.9 */
    0xb9, 0x0f, 0x08, 0x00, 0x00,             /* 0e: mov ecx, 0x80f    ; x2APIC SVR          */
    0xb8, 0xff, 0x01, 0x00, 0x00,             /* 13: mov eax, 0x1ff                          */
    0x31, 0xd2,                               /* 18: xor edx, edx                            */
    0x0f, 0x30,                               /* 1a: wrmsr                                   */
    0xb9, 0x08, 0x08, 0x00, 0x00,             /* 1c: mov ecx, 0x808    ; x2APIC TPR          */
    0x31, 0xc0,                               /* 21: xor eax, eax                            */
    0x0f, 0x30,                               /* 23: wrmsr                                   */
    0xc7, 0x46, 0x04, 0x01, 0x00, 0x00, 0x00, /* 25: mov dword [esi+4], 1 ; ready            */
    0x85, 0xed,                               /* 2c: test ebp, ebp                           */
    0x75, 0x1f,                               /* 2e: jnz 0x4f          ; responder           */
    /* Initiator: a software-disabled APIC would drop the first IPI, so wait for the peer's. */
    0xf3, 0x90,                               /* 30: pause                                   */
    0x83, 0x7f, 0x04, 0x01,                   /* 32: cmp dword [edi+4], 1                    */
    0x75, 0xf8,                               /* 36: jne 0x30                                */
    0xe8, 0x38, 0x00, 0x00, 0x00,             /* 38: call 0x75         ; send                */
    0x8b, 0x46, 0x08,                         /* 3d: mov eax, [esi+8]  ; sent                */
    0xe8, 0x42, 0x00, 0x00, 0x00,             /* 40: call 0x87         ; wait received>=sent */
    0x3b, 0x05, 0x00, 0x0f, 0x00, 0x00,       /* 45: cmp eax, [0xf00]  ; ipi_count           */
    0x72, 0xeb,                               /* 4b: jb 0x38                                 */
    0xeb, 0x19,                               /* 4d: jmp 0x68          ; report              */
    /* Responder: wait for IPI number sent+1, answer it. */
    0x8b, 0x46, 0x08,                         /* 4f: mov eax, [esi+8]  ; sent                */
    0x40,                                     /* 52: inc eax                                 */
    0xe8, 0x2f, 0x00, 0x00, 0x00,             /* 53: call 0x87         ; wait received>=eax  */
    0xe8, 0x18, 0x00, 0x00, 0x00,             /* 58: call 0x75         ; send                */
    0x8b, 0x46, 0x08,                         /* 5d: mov eax, [esi+8]                        */
    0x3b, 0x05, 0x00, 0x0f, 0x00, 0x00,       /* 60: cmp eax, [0xf00]                        */
    0x72, 0xe7,                               /* 66: jb 0x4f                                 */
    /* Report and stop. */
    0xfa,                                     /* 68: cli                                     */
    0x8b, 0x46, 0x08,                         /* 69: mov eax, [esi+8]                        */
    0xe7, 0x11,                               /* 6c: out 0x11, eax     ; PORT_SENT           */
    0x8b, 0x06,                               /* 6e: mov eax, [esi]                          */
    0xe7, 0x12,                               /* 70: out 0x12, eax     ; PORT_RECEIVED       */
    0xf4,                                     /* 72: hlt               ; stays in L1's KVM   */
    0xeb, 0xfd,                               /* 73: jmp 0x72                                */
    /* send: ICR = vector 0x40, fixed, physical, level=assert; EDX = destination.
     * SDM Vol.3A 10.12.9. IF is 0 here. */
    0xb9, 0x30, 0x08, 0x00, 0x00,             /* 75: mov ecx, 0x830    ; x2APIC ICR          */
    0xb8, 0x40, 0x40, 0x00, 0x00,             /* 7a: mov eax, 0x4040                         */
    0x89, 0xda,                               /* 7f: mov edx, ebx                            */
    0x0f, 0x30,                               /* 81: wrmsr             ; send the IPI        */
    0xff, 0x46, 0x08,                         /* 83: inc dword [esi+8] ; sent               */
    0xc3,                                     /* 86: ret                                     */
    /* wait_received: until [esi] >= eax. STI's one-instruction interrupt shadow makes
     * "sti; hlt" atomic, so an IPI arriving after the check wakes the HLT. SDM Vol.2B STI. */
    0xfa,                                     /* 87: cli                                     */
    0x39, 0x06,                               /* 88: cmp [esi], eax                          */
    0x73, 0x04,                               /* 8a: jae 0x90                                */
    0xfb,                                     /* 8c: sti                                     */
    0xf4,                                     /* 8d: hlt               ; woken by the IPI    */
    0xeb, 0xf7,                               /* 8e: jmp 0x87                                */
    0xc3,                                     /* 90: ret               ; with IF=0           */
};

/* Vector 0x40 handler at HANDLER_GPA. */
static const uint8_t ipi_handler[] = {
    0xf0, 0xff, 0x06,             /* 00: lock inc dword [esi] ; count it          */
    0x50,                         /* 03: push eax                                 */
    0x51,                         /* 04: push ecx                                 */
    0x52,                         /* 05: push edx                                 */
    0xb9, 0x0b, 0x08, 0x00, 0x00, /* 06: mov ecx, 0x80b       ; x2APIC EOI        */
    0x31, 0xc0,                   /* 0b: xor eax, eax                             */
    0x31, 0xd2,                   /* 0d: xor edx, edx                             */
    0x0f, 0x30,                   /* 0f: wrmsr                ; EOI (must be 0)   */
    0x5a,                         /* 11: pop edx                                  */
    0x59,                         /* 12: pop ecx                                  */
    0x58,                         /* 13: pop eax                                  */
    0xcf,                         /* 14: iretd                                    */
};

/* Vector 0xff handler: a spurious interrupt takes no EOI. SDM Vol.3A 10.9 */
static const uint8_t spurious_handler[] = {
    0xcf, /* iretd */
};

/* A 32-bit interrupt gate, present, DPL 0. SDM Vol.3A 6.11 (Figure 6-2). */
static void set_interrupt_gate(uint8_t *mem, unsigned vector, uint32_t offset)
{
    uint32_t gate[2];
    gate[0] = ((uint32_t)KVMTEST_SEL_CODE32 << 16) | (offset & 0xffff);
    gate[1] = (offset & 0xffff0000u) | 0x8e00u;
    memcpy(mem + IDT_GPA + 8 * vector, gate, sizeof(gate));
}

/* Every vCPU gets the supported CPUID with x2APIC forced on and its own APIC ID. */
static void set_cpuid(struct kvmtest_vm *vm, struct kvmtest_vcpu *vcpu, uint32_t id)
{
    int nent = 64;
    struct kvm_cpuid2 *cpuid;

    for (;;) {
        cpuid = calloc(1, sizeof(*cpuid) + (size_t)nent * sizeof(cpuid->entries[0]));
        if (!cpuid)
            kvmtest_die("out of memory");
        cpuid->nent = (uint32_t)nent;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            break;
        if (errno != E2BIG || nent >= 4096)
            kvmtest_die("ioctl KVM_GET_SUPPORTED_CPUID");
        free(cpuid);
        nent *= 2;
    }
    for (uint32_t i = 0; i < cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
        if (e->function == 1) {
            e->ecx |= 1u << 21;                          /* x2APIC. SDM Vol.2A CPUID leaf 1 */
            e->ebx = (e->ebx & 0x00ffffffu) | (id << 24); /* initial APIC ID */
        } else if (e->function == 0xb || e->function == 0x1f) {
            e->edx = id; /* x2APIC ID */
        }
    }
    KVM_IOCTL(vcpu->fd, KVM_SET_CPUID2, cpuid);
    free(cpuid);
}

struct vcpu_thread {
    struct kvmtest_vcpu vcpu;
    int id;
    uint32_t sent;
    uint32_t received;
};

static void *run_vcpu(void *arg)
{
    struct vcpu_thread *t = arg;
    char where[32];

    snprintf(where, sizeof(where), "vCPU %d", t->id);
    for (int reports = 0; reports < 2;) {
        KVM_IOCTL(t->vcpu.fd, KVM_RUN, 0);
        struct kvm_run *run = t->vcpu.run;
        if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4)
            kvmtest_unexpected_exit(&t->vcpu, where);
        if (run->io.port == PORT_SENT)
            t->sent = kvmtest_io_value(run);
        else if (run->io.port == PORT_RECEIVED)
            t->received = kvmtest_io_value(run);
        else
            kvmtest_unexpected_exit(&t->vcpu, where);
        reports++;
    }
    /* The guest now halts with IF=0 inside L1's KVM; this vCPU is not run again. */
    return NULL;
}

static void on_timeout(int sig)
{
    static const char msg[] = "kvm-ipi: FAIL: timed out (IPIs lost or a vCPU never ran)\n";
    (void)sig;
    ssize_t ignored = write(2, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(1);
}

int main(int argc, char **argv)
{
    struct kvmtest_vm vm;
    struct vcpu_thread threads[2];
    pthread_t tids[2];
    uint32_t ipi_count = 1000;
    unsigned timeout_s = 300;

    kvmtest_name = "kvm-ipi";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) {
        char *end;
        unsigned long v = strtoul(argv[1], &end, 0);
        if (*end || v == 0 || v > 10000000) {
            errno = 0;
            kvmtest_die("bad IPI count '%s'", argv[1]);
        }
        ipi_count = (uint32_t)v;
    }

    kvmtest_vm_create(&vm, GUEST_MEM_SIZE);
    /* The irqchip must exist before the vCPUs, which then get in-kernel local APICs. */
    KVM_IOCTL(vm.vm_fd, KVM_CREATE_IRQCHIP, 0);

    kvmtest_write_gdt(vm.mem, GDT_GPA);
    memcpy(vm.mem + PARAMS_GPA, &ipi_count, 4);
    memcpy(vm.mem + CODE_GPA, guest_code, sizeof(guest_code));
    memcpy(vm.mem + HANDLER_GPA, ipi_handler, sizeof(ipi_handler));
    memcpy(vm.mem + SPURIOUS_HANDLER_GPA, spurious_handler, sizeof(spurious_handler));
    set_interrupt_gate(vm.mem, IPI_VECTOR, HANDLER_GPA);
    set_interrupt_gate(vm.mem, SPURIOUS_VECTOR, SPURIOUS_HANDLER_GPA);

    for (int id = 0; id < 2; id++) {
        struct vcpu_thread *t = &threads[id];
        struct kvm_regs regs;
        memset(t, 0, sizeof(*t));
        t->id = id;
        kvmtest_vcpu_create(&vm, &t->vcpu, id);
        set_cpuid(&vm, &t->vcpu, (uint32_t)id);
        kvmtest_enter_protected_mode(&t->vcpu, GDT_GPA, IDT_GPA, 256 * 8 - 1, CODE_GPA, STACK_TOP(id));
        KVM_IOCTL(t->vcpu.fd, KVM_GET_REGS, &regs);
        regs.rsi = BLOCK_GPA(id);
        regs.rdi = BLOCK_GPA(1 - id);
        regs.rbx = (uint64_t)(1 - id);
        regs.rbp = (uint64_t)id; /* vCPU 0 initiates */
        KVM_IOCTL(t->vcpu.fd, KVM_SET_REGS, &regs);
        if (id != 0) {
            /* An application processor waits for INIT/SIPI until told it is runnable. */
            struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
            KVM_IOCTL(t->vcpu.fd, KVM_SET_MP_STATE, &mp);
        }
    }

    signal(SIGALRM, on_timeout);
    alarm(timeout_s);
    double t0 = kvmtest_now();
    for (int id = 0; id < 2; id++) {
        int err = pthread_create(&tids[id], NULL, run_vcpu, &threads[id]);
        if (err) {
            errno = err;
            kvmtest_die("pthread_create");
        }
    }
    for (int id = 0; id < 2; id++)
        pthread_join(tids[id], NULL);
    double elapsed = kvmtest_now() - t0;
    alarm(0);

    uint32_t sent = 0, received = 0;
    for (int id = 0; id < 2; id++) {
        printf("kvm-ipi: vCPU %d sent %u received %u\n", id, threads[id].sent, threads[id].received);
        sent += threads[id].sent;
        received += threads[id].received;
    }
    errno = 0;
    for (int id = 0; id < 2; id++)
        if (threads[id].sent != ipi_count || threads[id].received != ipi_count)
            kvmtest_die("vCPU %d sent %u and received %u IPIs, expected %u each", id, threads[id].sent,
                        threads[id].received, ipi_count);
    printf("kvm-ipi: %u IPIs in %.3f s (%.1f us per round trip)\n", sent, elapsed, elapsed * 1e6 / ipi_count);
    printf("kvm-ipi: ok sent=%u received=%u\n", sent, received);
    return 0;
}
