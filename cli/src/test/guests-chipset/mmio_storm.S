/*
 * mmio_storm: 200,000 accesses to unclaimed MMIO at 0xD0000000 (50,000 rounds of a dword read,
 * a word read, a byte write and a dword write). Every read must return all-ones. Then prints
 * "storm ok" (or "storm bad N" with the number of wrong reads) on the debug port and powers off.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

        .set HOLE, 0xd0000000
        .set ROUNDS, 50000

main:
        movl    $msg_start, %esi
        call    puts
        xorl    %ebx, %ebx              /* wrong reads */
        movl    $ROUNDS, %ecx
1:      movl    HOLE, %eax
        cmpl    $0xffffffff, %eax
        je      2f
        incl    %ebx
2:      movw    HOLE + 4, %ax
        cmpw    $0xffff, %ax
        je      3f
        incl    %ebx
3:      movb    %cl, HOLE + 8
        movl    %ecx, HOLE + 12
        loop    1b
        testl   %ebx, %ebx
        jnz     bad
        movl    $msg_ok, %esi
        call    puts
        jmp     power_off
bad:
        movl    $msg_bad, %esi
        call    puts
        movl    %ebx, %eax
        call    print_dec
        call    crlf
        jmp     power_off

msg_start: .asciz "storm\n"
msg_ok:    .asciz "storm ok\n"
msg_bad:   .asciz "storm bad "

        ROM_END
