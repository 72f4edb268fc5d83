/*
 * Test guest: counts forever on the debug console (64 KiB firmware image, flat 32-bit protected
 * mode like serial_poll.S). It prints "counter: boot\n" once, then 1, 2, 3, ... as 8 hex digits
 * and a newline each, on port 0xE9, with no delay: while the VM runs the output grows, while it
 * is paused it does not, and after a reset it starts again with the boot line and 00000001.
 *
 * Rebuild with build.sh; GuestImagesTest checks that counter.bin matches this source.
 */
        .set DEBUGCON, 0xe9

        .text
        .code16
        .globl _start
_start:
init16:
        cli
        cld
        lgdtl   %cs:(gdt_desc - _start)
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        ljmpl   $0x08, $pm32

        .code32
pm32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    $0x7000, %esp

        movl    $msg_boot, %esi
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        jmp     1b

2:      xorl    %ebx, %ebx
next:   incl    %ebx
        movl    %ebx, %edx
        movl    $8, %ecx
3:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0x0f, %eax
        movb    hex_digits(%eax), %al
        outb    %al, $DEBUGCON
        loop    3b
        movb    $'\n', %al
        outb    %al, $DEBUGCON
        jmp     next

hex_digits:     .ascii "0123456789abcdef"
msg_boot:       .asciz "counter: boot\n"

        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      /* 0x08: flat code, accessed (ROM cannot take the A bit) */
        .quad   0x00cf93000000ffff      /* 0x10: flat data, accessed */
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt

        .org    0xfff0
reset_vector:
        .code16
        ljmp    $0xf000, $(init16 - _start)   /* the low copy at 0xF0000 */
        .org    0x10000, 0
