/* turtles' multiboot option ROM: boots a multiboot (version 0.6.96) -kernel
 * with its -initrd modules through the firmware (SeaBIOS), as a PC option
 * ROM with a bootstrap entry vector, the way roms/linuxboot.S boots Linux.
 * turtles hands it to the firmware as fw_cfg file "genroms/multiboot.bin"
 * with boot index 0 ("bootorder").
 *
 * What turtles prepares (bios/multiboot.c, multiboot_load_list): the whole
 * boot as a load list under FW_CFG_KERNEL_DATA: a header {magic "TMB1",
 * entry, info struct address, stack top, chunk count} and chunks {address,
 * length, bytes}: the kernel's segments with their BSS zeroed, the
 * modules, a GDT and the multiboot info area, all at or above 1 MiB. This
 * ROM
 *   1. asks the firmware for the memory map (INT 15h E820) and the
 *      conventional memory size (INT 12h), into a buffer on its stack;
 *   2. copies each chunk to its address with fw_cfg DMA (the descriptor
 *      on the stack; the DMA engine writes anywhere, so real mode is
 *      enough);
 *   3. switches to flat 32-bit protected mode, writes the map into the
 *      info struct (mmap_addr/mmap_length; mem_lower; mem_upper = the RAM
 *      that the E820 entry covering 1 MiB has above it) and enters the
 *      kernel as the specification's section 3.2 "Machine state" says:
 *      EAX = 0x2BADB002, EBX = the info struct, flat 4 GiB CS and data
 *      segments, CR0.PE=1, PG=0, interrupts off.
 * Every step that can fail comes before the switch, and a failure prints a
 * line through INT 10h and returns to the firmware, which tries the next
 * boot device.
 *
 * The option ROM and PnP header formats: roms/optionrom.inc. */

#include "optionrom.inc"

#define LIST_MAGIC  0x31424d54    /* "TMB1" */
#define HDR_SIZE    20
#define HDR_ENTRY   4
#define HDR_INFO    8
#define HDR_STACK   12
#define HDR_NCHUNKS 16
#define MMAP_MAX    32            /* bios/multiboot.h MULTIBOOT_FW_MMAP_MAX */
#define E820_SIZE   20
#define E820_SMAP   0x534d4150    /* "SMAP" */
#define BOOT_MAGIC  0x2badb002

/* The stack frame below %bp (the caller's registers sit above it). */
#define F_HDR      (-HDR_SIZE)                  /* the list header */
#define F_CHUNK    (F_HDR - 8)                  /* the current chunk's address, length */
#define F_LOWMEM   (F_CHUNK - 4)                /* INT 12h: KiB below 640 KiB */
#define F_COUNT    (F_LOWMEM - 4)               /* E820 entries read */
#define F_MAP      (F_COUNT - MMAP_MAX * E820_SIZE)
#define F_GDT      (F_MAP - 24)                 /* null, code 0x08, data 0x10 */
#define F_GDTR     (F_GDT - 8)
#define F_SIZE     (-F_GDTR)

#define SEL_CODE 0x08
#define SEL_DATA 0x10

/* Multiboot info struct offsets (specification section 3.3). */
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48

    OPTION_ROM_HEADERS
product:      .asciz "multiboot loader (-kernel)"
msg_dma:      .asciz "turtles multiboot: fw_cfg DMA read failed\r\n"
msg_list:     .asciz "turtles multiboot: no load list in fw_cfg\r\n"
msg_e820:     .asciz "turtles multiboot: the firmware gives no E820 memory map\r\n"

/* The bootstrap entry vector: the firmware far-calls it to boot. */
boot:
    pushw %ds
    pushw %es
    pushal
    movw %sp, %bp
    subw $F_SIZE, %sp
    pushw %cs
    popw %ds
    cld

    /* 1. The memory map, while the firmware's services are still there. */
    int $0x12
    movzwl %ax, %eax
    movl %eax, F_LOWMEM(%bp)
    pushw %ss
    popw %es
    leaw F_MAP(%bp), %di
    xorl %ebx, %ebx
    xorl %esi, %esi             /* entries read */
1:  movl $0xe820, %eax
    movl $E820_SIZE, %ecx
    movl $E820_SMAP, %edx
    int $0x15
    jc 2f                       /* past the last entry (some BIOSes) */
    cmpl $E820_SMAP, %eax
    jne 2f
    incl %esi
    addw $E820_SIZE, %di
    testl %ebx, %ebx
    jz 2f
    cmpl $MMAP_MAX, %esi
    jb 1b
2:  movl %esi, F_COUNT(%bp)
    movw $msg_e820, %si
    cmpl $0, F_COUNT(%bp)
    je error

    /* 2. The load list: its header, then each chunk's header and bytes. */
    leaw F_HDR(%bp), %di
    movl $HDR_SIZE, %ecx
    movl $((FW_CFG_KERNEL_DATA << 16) | DMA_CTL_SELECT | DMA_CTL_READ), %ebx
    call dma_to_stack
    jc dma_error
    movw $msg_list, %si
    cmpl $LIST_MAGIC, F_HDR(%bp)
    jne error
    movl F_HDR+HDR_NCHUNKS(%bp), %esi
3:  testl %esi, %esi
    jz 4f
    leaw F_CHUNK(%bp), %di
    movl $8, %ecx
    movl $DMA_CTL_READ, %ebx
    call dma_to_stack
    jc dma_error
    movl F_CHUNK(%bp), %edi
    movl F_CHUNK+4(%bp), %ecx
    movl $DMA_CTL_READ, %ebx
    call fw_cfg_dma
    jc dma_error
    decl %esi
    jmp 3b

    /* 3. Flat protected mode: a GDT on the stack, then a far return to
     * the 32-bit code at its linear address in this ROM. */
4:  cli
    xorl %eax, %eax
    movl %eax, F_GDT(%bp)
    movl %eax, F_GDT+4(%bp)
    movl $0x0000ffff, F_GDT+8(%bp)       /* code: base 0, limit 4 GiB, */
    movl $0x00cf9b00, F_GDT+12(%bp)      /* 32-bit, execute/read */
    movl $0x0000ffff, F_GDT+16(%bp)      /* data: base 0, limit 4 GiB, */
    movl $0x00cf9300, F_GDT+20(%bp)      /* read/write */
    movw %ss, %ax
    shll $4, %eax                        /* the stack segment's base */
    movzwl %bp, %ebx
    addl %eax, %ebx                      /* the frame's linear address */
    leal F_GDT(%ebx), %edx
    movw $23, F_GDTR(%bp)
    movl %edx, F_GDTR+2(%bp)
    lgdtl F_GDTR(%bp)
    movl %ebx, %ebp                      /* from here on: linear */
    inb $0x92, %al                       /* A20 on (fast A20 gate) */
    orb $0x02, %al
    andb $0xfe, %al                      /* bit 0 would reset the machine */
    outb %al, $0x92
    movw %cs, %ax
    movzwl %ax, %eax
    shll $4, %eax
    addl $pm_entry, %eax
    pushl $SEL_CODE
    pushl %eax
    movl %cr0, %eax
    orb $1, %al
    movl %eax, %cr0
    lretl

dma_error:
    movw $msg_dma, %si
error:
1:  lodsb
    testb %al, %al
    jz 2f
    movb $0x0e, %ah             /* INT 10h teletype output */
    movw $0x0007, %bx
    int $0x10
    jmp 1b
2:  movw %bp, %sp
    popal
    popw %es
    popw %ds
    lret

/* Copy %ecx bytes of the fw_cfg stream to %ss:%di (a buffer on the stack);
 * %ebx = the DMA control word (with the key to select, if any). CF set on
 * error. Clobbers %eax, %edx, %edi. */
dma_to_stack:
    movw %ss, %ax
    movzwl %ax, %eax
    shll $4, %eax
    movzwl %di, %edi
    addl %eax, %edi
    /* fall through into fw_cfg_dma */

    FW_CFG_DMA

/* Flat 32-bit protected mode; %ebp = the linear address of the frame
 * (with the E820 buffer and the list header). Position independent: the
 * firmware decides where this ROM lives. */
    .code32
pm_entry:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    movl %eax, %ss
    leal F_GDTR(%ebp), %esp     /* below the frame, which is still read */
    movl F_HDR+HDR_INFO(%ebp), %ebx
    movl F_LOWMEM(%ebp), %eax
    movl %eax, MBI_MEM_LOWER(%ebx)

    /* The map: each 20-byte E820 entry becomes {size 20, base, length,
     * type}; mem_upper is what the RAM entry covering 1 MiB has above it
     * (capped at 4 GiB, which a 32-bit field in KiB can still describe). */
    movl MBI_MMAP_ADDR(%ebx), %edi
    leal F_MAP(%ebp), %esi
    movl F_COUNT(%ebp), %ecx
    xorl %edx, %edx             /* mem_upper in KiB */
1:  movl $E820_SIZE, (%edi)
    movl 0(%esi), %eax
    movl %eax, 4(%edi)
    movl 4(%esi), %eax
    movl %eax, 8(%edi)
    movl 8(%esi), %eax
    movl %eax, 12(%edi)
    movl 12(%esi), %eax
    movl %eax, 16(%edi)
    movl 16(%esi), %eax
    movl %eax, 20(%edi)
    cmpl $1, 16(%esi)           /* usable RAM */
    jne 2f
    cmpl $0, 4(%esi)            /* base above 4 GiB */
    jne 2f
    cmpl $0x100000, 0(%esi)     /* base above 1 MiB */
    ja 2f
    /* end = base + length, 64-bit; covers 1 MiB when end > 1 MiB */
    movl 0(%esi), %eax
    addl 8(%esi), %eax
    pushl %ebx
    movl 12(%esi), %ebx
    adcl $0, %ebx
    jnz 3f                      /* end at or above 4 GiB */
    cmpl $0x100000, %eax
    jbe 4f
    subl $0x100000, %eax
    shrl $10, %eax
    movl %eax, %edx
    jmp 4f
3:  movl $((0x100000000 - 0x100000) >> 10), %edx
4:  popl %ebx
2:  addl $E820_SIZE, %esi
    addl $24, %edi
    decl %ecx
    jnz 1b
    movl %edx, MBI_MEM_UPPER(%ebx)
    movl F_COUNT(%ebp), %eax
    imull $24, %eax
    movl %eax, MBI_MMAP_LENGTH(%ebx)

    movl F_HDR+HDR_ENTRY(%ebp), %ecx
    movl F_HDR+HDR_STACK(%ebp), %esp
    movl $BOOT_MAGIC, %eax
    pushl $0x2                  /* EFLAGS: IF=0, the rest clear */
    popfl
    jmp *%ecx
