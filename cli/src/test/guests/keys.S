/*
 * Test guest: reads key scan codes from the i8042 and echoes them (64 KiB firmware image, flat
 * 32-bit protected mode like counter.S). It enables the keyboard (controller command 0xAE, command
 * byte 0x45: translation on, IRQs off, so it polls), prints "keys: ready\n" on port 0xE9, then for
 * every byte the keyboard delivers prints it as two hex digits and a newline, and powers off
 * through PM1 control after 4 bytes (a make and a break code of two keys).
 *
 * Rebuild with build.sh; GuestImagesTest checks that keys.bin matches this source.
 */
        .set DEBUGCON, 0xe9
        .set KBC_DATA, 0x60
        .set KBC_STATUS, 0x64
        .set PM1_CNT, 0x404

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

        movb    $0x60, %al              /* write command byte ... */
        outb    %al, $KBC_STATUS
        movb    $0x45, %al              /* ... translation on, keyboard IRQ off, system flag */
        outb    %al, $KBC_DATA
        movb    $0xae, %al              /* enable the keyboard interface */
        outb    %al, $KBC_STATUS

        movl    $msg_ready, %esi
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        jmp     1b

2:      movl    $4, %ebx                /* bytes to echo */
next:   inb     $KBC_STATUS, %al
        testb   $0x01, %al              /* output buffer full? */
        jz      next
        inb     $KBC_DATA, %al
        movb    %al, %dl
        shrb    $4, %al
        call    hex
        movb    %dl, %al
        call    hex
        movb    $'\n', %al
        outb    %al, $DEBUGCON
        decl    %ebx
        jnz     next

        movw    $PM1_CNT, %dx
        movw    $0x2000, %ax            /* SLP_EN, SLP_TYP 0: soft off */
        outw    %ax, %dx
3:      cli
        hlt
        jmp     3b

/* hex: the low nibble of %al as a digit on the debug console */
hex:
        andl    $0x0f, %eax
        movb    hex_digits(%eax), %al
        outb    %al, $DEBUGCON
        ret

hex_digits:     .ascii "0123456789abcdef"
msg_ready:      .asciz "keys: ready\n"

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
