/*
 * triple: prints 'B' on the debug port at every boot, then triple-faults in protected mode: with
 * an empty IDT, ud2's #UD cannot be delivered (#GP), nor can #GP (#DF), nor #DF: shutdown.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

main:
        movb    $'B', %al
        call    putc
        lidt    empty_idt
        ud2
        movb    $'X', %al               /* never: the CPU shut down */
        call    putc
1:      cli
        hlt
        jmp     1b

        .p2align 3
empty_idt:
        .word   0
        .long   0

        ROM_END
