/*
 * reset_storm: at every boot prints 'R' on the debug port and resets the machine through the PM
 * block's reset register (0x433 <- 1). 'X' would mean the guest ran on past its own reset.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

main:
        movb    $'R', %al
        call    putc
        movw    $PM_RESET, %dx
        movb    $1, %al
        outb    %al, %dx
        movb    $'X', %al
        call    putc
1:      cli
        hlt
        jmp     1b

        ROM_END
