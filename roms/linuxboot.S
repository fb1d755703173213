/* turtles' Linux boot option ROM: boots the -kernel/-initrd/-append that
 * turtles put into fw_cfg, through the firmware (SeaBIOS), as a PC option
 * ROM with a bootstrap entry vector. It replaces QEMU's linuxboot_dma.bin;
 * turtles embeds it and hands it to the firmware as fw_cfg file
 * "genroms/linuxboot.bin" with boot index 0 ("bootorder").
 *
 * What turtles prepares (frontend/fw_cfg_setup.c): the setup code with its
 * header already patched (cmd_line_ptr, heap_end_ptr, ramdisk_image/size,
 * type_of_loader, CAN_USE_HEAP) under FW_CFG_SETUP_*, the protected-mode
 * kernel under FW_CFG_KERNEL_*, the initrd under FW_CFG_INITRD_*, the command
 * line under FW_CFG_CMDLINE_*. This ROM copies each to its address with the
 * fw_cfg DMA interface and enters the real-mode setup code as the Linux boot
 * protocol says (Documentation/arch/x86/boot.rst, "Running the Kernel"):
 * interrupts off, DS=ES=FS=GS=SS = the setup segment, SP at the heap end,
 * CS:IP = setup segment + 0x20 : 0.
 *
 * The option ROM and PnP header formats: roms/optionrom.inc. */

#include "optionrom.inc"

#define FW_CFG_KERNEL_ADDR  0x07
#define FW_CFG_KERNEL_SIZE  0x08
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_INITRD_DATA  0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR   0x16
#define FW_CFG_SETUP_SIZE   0x17
#define FW_CFG_SETUP_DATA   0x18

    OPTION_ROM_HEADERS
product:      .asciz "Linux loader (-kernel)"
dma_failed:   .asciz "turtles linuxboot: fw_cfg DMA read failed\r\n"

/* The bootstrap entry vector: the firmware far-calls it to boot. On an
 * error it prints a line and returns, so the firmware tries the next
 * device. */
boot:
    pushw %ds
    pushal
    movw %sp, %bp               /* for the error return */
    pushw %cs
    popw %ds
    cld

    movw $FW_CFG_SETUP_ADDR, %ax
    call fw_cfg_read32
    movl %eax, %edi
    movw $FW_CFG_SETUP_SIZE, %ax
    call fw_cfg_read32
    movl %eax, %ecx
    movw $FW_CFG_SETUP_DATA, %bx
    call fw_cfg_dma_read
    jc error

    movw $FW_CFG_KERNEL_ADDR, %ax
    call fw_cfg_read32
    movl %eax, %edi
    movw $FW_CFG_KERNEL_SIZE, %ax
    call fw_cfg_read32
    movl %eax, %ecx
    movw $FW_CFG_KERNEL_DATA, %bx
    call fw_cfg_dma_read
    jc error

    movw $FW_CFG_INITRD_ADDR, %ax
    call fw_cfg_read32
    movl %eax, %edi
    movw $FW_CFG_INITRD_SIZE, %ax
    call fw_cfg_read32
    movl %eax, %ecx
    movw $FW_CFG_INITRD_DATA, %bx
    call fw_cfg_dma_read
    jc error

    movw $FW_CFG_CMDLINE_ADDR, %ax
    call fw_cfg_read32
    movl %eax, %edi
    movw $FW_CFG_CMDLINE_SIZE, %ax
    call fw_cfg_read32
    movl %eax, %ecx
    movw $FW_CFG_CMDLINE_DATA, %bx
    call fw_cfg_dma_read
    jc error

    /* Enter the setup code (boot.rst "Running the Kernel"). */
    movw $FW_CFG_SETUP_ADDR, %ax
    call fw_cfg_read32
    shrl $4, %eax
    cli
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movw 0x224, %sp             /* heap_end_ptr ... */
    addw $0x200, %sp            /* ... + 0x200: the stack sits above the heap */
    addw $0x20, %ax
    pushw %ax
    pushw $0
    lret

error:
    movw $dma_failed, %si
1:  lodsb
    testb %al, %al
    jz 2f
    movb $0x0e, %ah             /* INT 10h teletype output */
    movw $0x0007, %bx
    int $0x10
    jmp 1b
2:  movw %bp, %sp
    popal
    popw %ds
    lret

/* %ax = fw_cfg key -> %eax = its first 4 bytes, little-endian. Clobbers
 * %cx, %dx. */
fw_cfg_read32:
    movw $FW_CFG_PORT_SEL, %dx
    outw %ax, %dx
    movw $FW_CFG_PORT_DATA, %dx
    movw $4, %cx
1:  inb %dx, %al
    rorl $8, %eax
    loop 1b
    ret

/* Copy %ecx bytes of fw_cfg item %bx to guest-physical %edi with one DMA
 * request (fw_cfg_dma). CF set on error. Clobbers %eax, %edx. */
fw_cfg_dma_read:
    pushl %ebx
    movzwl %bx, %ebx
    shll $16, %ebx
    orl $(DMA_CTL_SELECT | DMA_CTL_READ), %ebx  /* control: select the item, read */
    call fw_cfg_dma
    popl %ebx                   /* keeps CF */
    ret

    FW_CFG_DMA

