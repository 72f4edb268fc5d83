/*
 * emufail: prints 'E' on the debug port, then loads an x87 double from unclaimed MMIO at
 * 0xD0000000. KVM's instruction emulator has no x87 loads, so the access cannot be completed:
 * the VMM must end the run naming the RIP (the label x87_load) and the instruction bytes
 * dd 05 00 00 00 d0. 'X' follows if the guest ever gets past it.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

main:
        movb    $'E', %al
        call    putc
        .globl  x87_load
x87_load:
        fldl    0xd0000000
        movb    $'X', %al
        call    putc
1:      cli
        hlt
        jmp     1b

        ROM_END
