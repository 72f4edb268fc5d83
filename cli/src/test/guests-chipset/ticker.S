/*
 * ticker: prints 'B' on the debug port at boot, then '.' every 50 ms of PM-timer time, forever.
 * Lets a test see a VM run, pause (no dots), resume, reset (another 'B') and shut down.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

        .set TICKS_50MS, 178977         /* 3579545 Hz * 0.05 s */

main:
        movb    $'B', %al
        call    putc
        movw    $PM_TMR, %dx
        inl     %dx, %eax
        movl    %eax, %ebx              /* when the last dot was due */
1:      inl     %dx, %eax
        subl    %ebx, %eax
        cmpl    $TICKS_50MS, %eax
        jb      1b
        addl    $TICKS_50MS, %ebx
        movb    $'.', %al
        outb    %al, $DEBUGCON
        jmp     1b

        ROM_END
