/*
 * Talks to a plugin device that throws on every access (cli tests, BadPluginTest).
 *
 * From the reset vector it enters flat 32-bit protected mode, then 1000 times reads port 0x520
 * (the throwing device; the board answers all-ones), copies the byte to the debug console at
 * 0xE9 and writes it back to 0x520. Then it prints "OK" on the debug console and powers off
 * through the PM device at 0x400. Rebuild with build.sh.
 */
        .set BAD,       0x520
        .set DEBUGCON,  0xe9
        .set PM1_CNT,   0x404

        .text
        .code16
        .globl _start
_start:
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
        movl    $1000, %ecx
1:      movw    $BAD, %dx
        inb     %dx, %al
        outb    %al, $DEBUGCON
        outb    %al, %dx
        decl    %ecx
        jnz     1b
        movb    $'O', %al
        outb    %al, $DEBUGCON
        movb    $'K', %al
        outb    %al, $DEBUGCON
        movw    $PM1_CNT, %dx
        movw    $0x2000, %ax            /* SLP_EN, SLP_TYP 0: soft off */
        outw    %ax, %dx
2:      cli
        hlt
        jmp     2b

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
        ljmp    $0xf000, $(_start - _start)     /* the low copy at 0xF0000 */
        .org    0x10000, 0
