/*
 * snap_counter: counts forever on COM1 (LSR polling): "counter: boot" once, then 1, 2, 3, ... as 8
 * hex digits and a newline each, as fast as the UART takes them. The count lives in %ebx only, so a
 * snapshot restored in a new process continues it exactly when the vCPU's registers and the UART
 * come back: the snapshot tests parse the numbers for a gap or a repeat.
 */
        .set CONSOLE_COM1, 1
        .include "lib.inc"

main:
        call    serial_init
        movl    $str_boot, %esi
        call    puts
        xorl    %ebx, %ebx
1:      incl    %ebx
        movl    %ebx, %eax
        movl    $8, %ecx
        call    print_hex
        movb    $'\n', %al
        call    putc
        jmp     1b

str_boot:       .asciz "counter: boot\n"

        ROM_END
