/* kvm-hello: the smallest nested-virtualization check. Runs inside the L1 guest, creates a VM
 * through /dev/kvm with one vCPU and 64 KiB of memory, and runs a real-mode L2 guest that
 * writes "Hello from L2\n" to I/O port 0x10 one byte at a time (each OUT is a KVM_EXIT_IO)
 * and then halts (KVM_EXIT_HLT, as there is no in-kernel irqchip). Prints what L2 wrote as
 * "L2: ...", lets L2 run on through a CPUID (handled by KVM in the kernel) to its last HLT,
 * and then prints "kvm-hello: ok". */
#include "kvmtest.h"

#define GUEST_MEM_SIZE (64 * 1024)
#define GUEST_CODE_GPA 0x1000 /* loaded at CS base 0x1000 (CS=0x0100), IP=0 */
#define GUEST_PORT 0x10

/* Real-mode (16-bit) code; offsets are from CS base. DS=CS, so SI addresses the message.
 * After the message and a first HLT (L1 prints the line), L2 runs on: a CPUID, which is a
 * VM exit that KVM handles in L1's kernel without returning from KVM_RUN (the exit that
 * `make demo` stops at in turtles' monitor, tests/demo.sh), then the final HLT. */
static const uint8_t guest_code[] = {
    0xbe, 0x16, 0x00, /* 00: mov si, 0x0016      ; message                */
    0xba, 0x10, 0x00, /* 03: mov dx, 0x0010      ; GUEST_PORT             */
    0xac,             /* 06: lodsb               ; al = [ds:si++]         */
    0x84, 0xc0,       /* 07: test al, al                                  */
    0x74, 0x03,       /* 09: jz 0x0e             ; end of string          */
    0xee,             /* 0b: out dx, al          ; KVM_EXIT_IO            */
    0xeb, 0xf8,       /* 0c: jmp 0x06                                     */
    0xf4,             /* 0e: hlt                 ; KVM_EXIT_HLT: L1 prints */
    0x31, 0xc0,       /* 0f: xor ax, ax          ; CPUID leaf 0           */
    0x0f, 0xa2,       /* 11: cpuid               ; handled by L1's KVM    */
    0xf4,             /* 13: hlt                 ; KVM_EXIT_HLT: done     */
    0xeb, 0xfd,       /* 14: jmp 0x13                                     */
    /* 16: the message, NUL-terminated */
    'H', 'e', 'l', 'l', 'o', ' ', 'f', 'r', 'o', 'm', ' ', 'L', '2', '\n', 0,
};

/* Run L2 until it halts, appending what it writes to GUEST_PORT to text (size bytes, *len
 * used). Returns the number of KVM_RUN calls. */
static int run_to_hlt(struct kvmtest_vcpu *vcpu, char *text, size_t size, size_t *len)
{
    int exits = 0;
    for (;;) {
        if (++exits > 1000) {
            errno = 0;
            kvmtest_die("guest did not halt after %d exits", exits - 1);
        }
        KVM_IOCTL(vcpu->fd, KVM_RUN, 0);
        if (vcpu->run->exit_reason == KVM_EXIT_HLT)
            return exits;
        if (vcpu->run->exit_reason != KVM_EXIT_IO || vcpu->run->io.direction != KVM_EXIT_IO_OUT ||
            vcpu->run->io.port != GUEST_PORT || vcpu->run->io.size != 1)
            kvmtest_unexpected_exit(vcpu, "running L2");
        if (*len + 1 < size)
            text[(*len)++] = (char)kvmtest_io_value(vcpu->run);
    }
}

int main(void)
{
    struct kvmtest_vm vm;
    struct kvmtest_vcpu vcpu;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    char text[256];
    size_t len = 0, more = 0;

    kvmtest_name = "kvm-hello";
    setvbuf(stdout, NULL, _IOLBF, 0);
    kvmtest_vm_create(&vm, GUEST_MEM_SIZE);
    memcpy(vm.mem + GUEST_CODE_GPA, guest_code, sizeof(guest_code));
    kvmtest_vcpu_create(&vm, &vcpu, 0);

    /* Real mode: segment base = selector * 16 (SDM Vol.3A 20.1.1). */
    KVM_IOCTL(vcpu.fd, KVM_GET_SREGS, &sregs);
    sregs.cs.selector = GUEST_CODE_GPA >> 4;
    sregs.cs.base = GUEST_CODE_GPA;
    sregs.ds.selector = GUEST_CODE_GPA >> 4;
    sregs.ds.base = GUEST_CODE_GPA;
    KVM_IOCTL(vcpu.fd, KVM_SET_SREGS, &sregs);
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0;
    regs.rsp = 0xf000;
    regs.rflags = 0x2; /* DF=0 for LODSB, IF=0 */
    KVM_IOCTL(vcpu.fd, KVM_SET_REGS, &regs);

    int exits = run_to_hlt(&vcpu, text, sizeof(text), &len);
    text[len] = 0;
    if (len && text[len - 1] == '\n')
        text[--len] = 0;
    printf("L2: %s\n", text);
    if (strcmp(text, "Hello from L2") != 0) {
        errno = 0;
        kvmtest_die("L2 wrote \"%s\", expected \"Hello from L2\"", text);
    }
    /* On from the first HLT: CPUID (no exit reaches us), then the last HLT. */
    exits += run_to_hlt(&vcpu, text, sizeof(text), &more);
    if (more) {
        errno = 0;
        kvmtest_die("L2 wrote %zu more bytes after its message", more);
    }
    printf("kvm-hello: ok (%d exits)\n", exits);
    return 0;
}
