/*
 * serial_flood: writes 256 KiB to COM1 as fast as the UART takes it: wait for THRE (LSR bit 5),
 * then 256 bytes in one rep outsb. That is what jvmm's UART buffers (THRE means its whole
 * transmit buffer is empty); a real 16550 would drop all but 16 of them. Each THRE costs a round
 * trip through the VMM's device thread, so bigger bursts flood faster: the point here is to
 * out-write a backend that nobody reads (256 KiB is four times what the TCP backend would queue
 * for a client; in the nested-KVM CI guest each burst takes some 20 ms, so more would only cost
 * minutes). Progress and the end go to the debug port:
 * "flood" at the start, "done N" at the end (N: LSR reads made while waiting for THRE), or
 * "stuck" if THRE never came back (bounded wait).
 * Then powers off.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"

        .set CHUNK, 256
        .set CHUNKS, 1024               /* 1024 * 256 bytes = 256 KiB */

main:
        call    serial_init
        movl    $msg_start, %esi
        call    puts
        movl    $CHUNKS, %ebx
        xorl    %edi, %edi              /* LSR reads */
1:      movl    $1000000, %ecx          /* THRE within about 10 s or give up */
        movw    $COM1+5, %dx
2:      incl    %edi
        inb     %dx, %al
        testb   $0x20, %al
        jnz     3f
        loop    2b
        movl    $msg_stuck, %esi
        call    puts
        jmp     power_off
3:      movl    $chunk, %esi
        movl    $CHUNK, %ecx
        movw    $COM1, %dx
        rep outsb
        decl    %ebx
        jnz     1b
        movl    $msg_done, %esi
        call    puts
        movl    %edi, %eax
        call    print_dec
        movb    $'\n', %al
        call    putc
        jmp     power_off

chunk:
        .rept   CHUNK / 16
        .ascii  "0123456789abcde\n"
        .endr
msg_start: .asciz "flood\n"
msg_done:  .asciz "done "
msg_stuck: .asciz "stuck\n"

        ROM_END
