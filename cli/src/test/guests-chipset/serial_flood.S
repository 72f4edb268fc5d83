/*
 * serial_flood: writes 1 MiB to COM1 as fast as the UART takes it: wait for THRE (LSR bit 5),
 * then 16 bytes (the FIFO's depth) in one rep outsb. Progress and the end go to the debug port:
 * "flood" at the start, "done" at the end, or "stuck" if THRE never came back (bounded wait).
 * Then powers off.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

        .set CHUNKS, 65536              /* 65536 * 16 bytes = 1 MiB */

main:
        call    serial_init
        movl    $msg_start, %esi
        call    puts
        movl    $CHUNKS, %ebx
1:      movl    $1000000, %ecx          /* THRE within about 10 s or give up */
        movw    $COM1+5, %dx
2:      inb     %dx, %al
        testb   $0x20, %al
        jnz     3f
        loop    2b
        movl    $msg_stuck, %esi
        call    puts
        jmp     power_off
3:      movl    $chunk, %esi
        movl    $16, %ecx
        movw    $COM1, %dx
        rep outsb
        decl    %ebx
        jnz     1b
        movl    $msg_done, %esi
        call    puts
        jmp     power_off

chunk:     .ascii "0123456789abcde\n"
msg_start: .asciz "flood\n"
msg_done:  .asciz "done\n"
msg_stuck: .asciz "stuck\n"

        ROM_END
