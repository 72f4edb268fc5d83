/*
 * halt: prints 'H' on the debug port, then halts with interrupts off (nothing can wake it).
 * 'W' would mean the CPU left the halt anyway.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

main:
        movb    $'H', %al
        call    putc
1:      cli
        hlt
        movb    $'W', %al
        call    putc
        jmp     1b

        ROM_END
