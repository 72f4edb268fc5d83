/*
 * snap_rx: bytes waiting in the 16550's receive FIFO, with their interrupt pending, survive a
 * snapshot. Deterministic by construction, not by timing:
 *
 * 1. COM1 gets its FIFO trigger level at 4 bytes (FCR 0x47), the receive-data interrupt (IER 0x01,
 *    MCR OUT2) and the 8259s (vectors 0x20.., only IRQ4 unmasked) with an IDT, but interrupts stay
 *    off (IF=0). It prints "ready".
 * 2. The host sends 4 bytes to COM1. The guest polls IIR until it says "received data available"
 *    (0x04: at least the trigger level, 4 bytes, in the FIFO; below it jvmm's UART says 0x0C), so all
 *    4 bytes are in the FIFO and IRQ4 is raised but not taken. It prints "rx pending".
 * 3. The host snapshots the VM here (--stop) and restores it in a new process.
 * 4. The guest polls COM2's LSR for a "go" byte, which the host sends after the restore, then
 *    enables interrupts: the IRQ4 handler reads IIR and every byte while LSR says data ready, and
 *    prints "rx: BYTES", then (it never returns) "irqs=N", and powers off.
 */
        .set CONSOLE_COM1, 1
        .include "lib.inc"

        .set COM2,      0x2f8
        .set PIC1,      0x20
        .set PIC2,      0xa0
        .set IDT,       0x1000          /* 0x30 gates in RAM: the exceptions (none expected) and 16 PIC vectors */
        .set V_IRQS,    0x2000          /* IRQ4 handler entries */

main:
        call    serial_init
        movw    $COM1+2, %dx
        movb    $0x47, %al              /* FCR: FIFOs on, both cleared, RX trigger level 4 */
        outb    %al, %dx
        movw    $COM2+3, %dx
        movb    $0x03, %al              /* COM2: 8N1, FIFOs on; only polled */
        outb    %al, %dx
        movw    $COM2+2, %dx
        movb    $0x07, %al
        outb    %al, %dx

        /* IDT: vectors 0x20..0x2F to other_irq, 0x24 (IRQ4) to irq4 */
        movl    $IDT + 0x20 * 8, %edi
        movl    $16, %ecx
1:      movl    $other_irq, %eax
        call    set_gate
        loop    1b
        movl    $IDT + 0x24 * 8, %edi
        movl    $irq4, %eax
        call    set_gate
        lidtl   idt_desc
        movl    $0, V_IRQS

        /* 8259s: edge triggered, cascade, 8086 mode, only IRQ4 */
        movb    $0x11, %al
        outb    %al, $PIC1
        outb    %al, $PIC2
        movb    $0x20, %al
        outb    %al, $PIC1+1
        movb    $0x28, %al
        outb    %al, $PIC2+1
        movb    $0x04, %al
        outb    %al, $PIC1+1
        movb    $0x02, %al
        outb    %al, $PIC2+1
        movb    $0x01, %al
        outb    %al, $PIC1+1
        outb    %al, $PIC2+1
        movb    $0xef, %al
        outb    %al, $PIC1+1
        movb    $0xff, %al
        outb    %al, $PIC2+1

        movw    $COM1+4, %dx
        movb    $0x0b, %al              /* DTR | RTS | OUT2 (OUT2 gates the interrupt line) */
        outb    %al, %dx
        movw    $COM1+1, %dx
        movb    $0x01, %al              /* IER: received data available */
        outb    %al, %dx
        movl    $str_ready, %esi
        call    puts

wait_rx:
        movw    $COM1+2, %dx
        inb     %dx, %al
        andb    $0x0f, %al
        cmpb    $0x04, %al              /* RDA: the FIFO holds the trigger level */
        jne     wait_rx
        movl    $str_pending, %esi
        call    puts

wait_go:
        movw    $COM2+5, %dx
        inb     %dx, %al
        testb   $0x01, %al
        jz      wait_go
        movw    $COM2, %dx
        inb     %dx, %al
        movl    $str_go, %esi
        call    puts
        sti
1:      jmp     1b                      /* IRQ4 comes here; its handler finishes the guest */

/* done: after the handler; interrupts are off (an interrupt gate cleared IF). */
done:
        movl    $str_irqs, %esi
        call    puts
        movl    V_IRQS, %eax
        call    print_dec
        movb    $'\n', %al
        call    putc
        jmp     power_off

/* set_gate: a 32-bit interrupt gate at %edi for the handler at %eax; %edi moves to the next gate. */
set_gate:
        movl    %eax, %edx
        andl    $0xffff, %edx
        orl     $0x00080000, %edx       /* selector 0x08: flat code */
        movl    %edx, (%edi)
        movl    %eax, %edx
        andl    $0xffff0000, %edx
        orl     $0x8e00, %edx           /* present, DPL 0, 32-bit interrupt gate */
        movl    %edx, 4(%edi)
        addl    $8, %edi
        ret

irq4:
        incl    V_IRQS
        movw    $COM1+2, %dx
        inb     %dx, %al
        andb    $0x0f, %al
        cmpb    $0x04, %al
        je      1f
        cmpb    $0x0c, %al
        je      1f
        movl    $str_bad_iir, %esi
        call    puts
        movl    $2, %ecx
        call    print_hex
        movb    $'\n', %al
        call    putc
1:      movl    $str_rx, %esi
        call    puts
2:      movw    $COM1+5, %dx
        inb     %dx, %al
        testb   $0x01, %al
        jz      3f
        movw    $COM1, %dx
        inb     %dx, %al
        call    putc
        jmp     2b
3:      movb    $'\n', %al
        call    putc
        movb    $0x20, %al              /* non-specific EOI */
        outb    %al, $PIC1
        /* No iret: nothing is left to return to, and kvm_pvm cannot emulate one from ROM. */
        jmp     done

other_irq:
        pushl   %eax
        movb    $0x20, %al
        outb    %al, $PIC2
        outb    %al, $PIC1
        popl    %eax
        iret

idt_desc:
        .word   0x30 * 8 - 1
        .long   IDT

str_ready:      .asciz "ready\n"
str_pending:    .asciz "rx pending\n"
str_go:         .asciz "go\n"
str_rx:         .asciz "rx: "
str_irqs:       .asciz "irqs="
str_bad_iir:    .asciz "bad IIR "

        ROM_END
