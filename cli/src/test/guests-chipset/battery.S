/*
 * battery: reads the battery's MMIO registers and GPE0 status, waits for a "go" byte on COM1,
 * reads them again, powers off. Output on COM1:
 *   BAT1 sta=... state=... rate=... remaining=... ac=... notify=... gpe0=...   first state
 *   ACK  ...                                           after clearing the notification and GPE0 bit 9
 *   ready                                              waiting for the go byte
 *   go                                                 (or "no go" after about 30 s)
 *   BAT2 ...                                           after the host's next update
 * Register values are hex. Each dump first waits (bounded) for a pending notification: the host's
 * state reaches the device from another thread, and the notification says it has arrived.
 */
        .set CONSOLE_COM1, 1
        .include "lib.inc"

        .set BATTERY,          0xfed3f000
        .set BAT_NOTIFY,       BATTERY + 0x14
        .set BAT_NOTIFY_CLEAR, BATTERY + 0x18
        .set GPE0_BATTERY,     0x0200            /* GPE0 bit 9 */

        .macro FIELD label, offset
        movl    $\label, %esi
        call    puts
        movl    BATTERY + \offset, %eax
        movl    $8, %ecx
        call    print_hex
        .endm

main:
        call    serial_init
        movl    $msg_hello, %esi
        call    puts

        call    wait_notify
        movl    $msg_first, %esi
        call    dump

        movl    $3, BAT_NOTIFY_CLEAR    /* acknowledge: the line drops */
        movw    $GPE0_STS, %dx
        movw    $GPE0_BATTERY, %ax      /* write 1 to clear */
        outw    %ax, %dx
        movl    $msg_ack, %esi
        call    dump

        movl    $msg_ready, %esi
        call    puts
        call    wait_go
        call    wait_notify
        movl    $msg_second, %esi
        call    dump
        movl    $msg_off, %esi
        call    puts
        jmp     power_off

/* wait_notify: until the battery has a pending notification (bounded: about 10 s). */
wait_notify:
        movl    $700000, %ecx
1:      movl    BAT_NOTIFY, %eax
        testl   %eax, %eax
        jnz     2f
        pause
        loop    1b
2:      ret

/* wait_go: until a byte arrives on COM1 (bounded: about 30 s), then takes it. */
wait_go:
        movl    $2000000, %ecx
1:      movw    $COM1+5, %dx
        inb     %dx, %al
        testb   $0x01, %al
        jnz     2f
        pause
        loop    1b
        movl    $msg_no_go, %esi
        jmp     puts
2:      movw    $COM1, %dx
        inb     %dx, %al
        movl    $msg_go, %esi
        jmp     puts

/* dump: the label at %esi, then every register. */
dump:
        call    puts
        FIELD   f_sta, 0x00
        FIELD   f_state, 0x04
        FIELD   f_rate, 0x08
        FIELD   f_remaining, 0x0c
        FIELD   f_ac, 0x10
        FIELD   f_notify, 0x14
        movl    $f_gpe0, %esi
        call    puts
        movw    $GPE0_STS, %dx
        inw     %dx, %ax
        movzwl  %ax, %eax
        movl    $4, %ecx
        call    print_hex
        jmp     crlf

msg_hello:   .asciz "jvmm battery guest\r\n"
msg_first:   .asciz "BAT1"
msg_ack:     .asciz "ACK "
msg_second:  .asciz "BAT2"
msg_ready:   .asciz "ready\r\n"
msg_go:      .asciz "go\r\n"
msg_no_go:   .asciz "no go\r\n"
msg_off:     .asciz "powering off\r\n"
f_sta:       .asciz " sta="
f_state:     .asciz " state="
f_rate:      .asciz " rate="
f_remaining: .asciz " remaining="
f_ac:        .asciz " ac="
f_notify:    .asciz " notify="
f_gpe0:      .asciz " gpe0="

        ROM_END
