/*
 * Test guest: interrupt-driven 16550 output through the in-kernel 8259 (64 KiB firmware image,
 * real mode throughout; linked at 0 and run as segment F000, so labels are segment offsets).
 *
 * It programs the master PIC (vectors 0x20..0x27, slave cascaded on IRQ2 at 0x28..0x2F, only IRQ4
 * unmasked), points IVT[0x24] at the IRQ4 handler and every other PIC vector at a handler that
 * only counts, sets COM1 up, enables the THR-empty interrupt (IER=0x02, MCR OUT2) and then only
 * waits (sti; hlt). The handler reads IIR: THR empty (0x02, 0xC2 with FIFOs) sends the next byte
 * of the message, or, after the last one, turns the interrupt off. Any other IIR value is a
 * failure: the handler names it on the debug console at 0xE9 and the guest halts with interrupts
 * off (the VMM reports a halted vCPU). Once the message is out and LSR says TEMT, the guest reports
 * "irqs=NNNN other=NNNN\n" (hex: IRQ4 interrupts, other PIC vectors) on 0xE9 and powers off
 * through PM1_CNT.
 *
 * Rebuild with build.sh; GuestImagesTest checks that serial_irq.bin matches this source.
 */
        .set COM1,      0x3f8
        .set PIC1,      0x20
        .set PIC2,      0xa0
        .set PIC_BASE,  0x20
        .set PM1_CNT,   0x404
        .set DEBUGCON,  0xe9
        /* variables in low RAM, segment 0 */
        .set V_INDEX,   0x500           /* next message byte */
        .set V_DONE,    0x502           /* 1 once the last byte went out */
        .set V_IRQS,    0x504           /* IRQ4 handler entries */
        .set V_OTHER,   0x506           /* entries through any other PIC vector */
        .set IVT_PIC,   PIC_BASE*4      /* IVT entries of the 16 PIC vectors */
        .set IVT_IRQ4,  IVT_PIC+4*4

        .text
        .code16
        .globl _start
_start:
        cli
        cld
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7000, %sp
        movw    $0, V_INDEX
        movw    $0, V_DONE
        movw    $0, V_IRQS
        movw    $0, V_OTHER

        /* IVT: every PIC vector counts; IRQ4's sends */
        movw    $IVT_PIC, %di
        movw    $16, %cx
1:      movw    $other_irq, %ax
        stosw
        movw    $0xf000, %ax
        stosw
        loop    1b
        movw    $irq4, IVT_IRQ4
        movw    $0xf000, IVT_IRQ4+2

        /* 8259s: edge triggered, cascade, 8086 mode */
        movb    $0x11, %al              /* ICW1 */
        outb    %al, $PIC1
        outb    %al, $PIC2
        movb    $PIC_BASE, %al          /* ICW2: vector base */
        outb    %al, $PIC1+1
        movb    $PIC_BASE+8, %al
        outb    %al, $PIC2+1
        movb    $0x04, %al              /* ICW3: slave on IRQ2 */
        outb    %al, $PIC1+1
        movb    $0x02, %al              /* ICW3: slave identity 2 */
        outb    %al, $PIC2+1
        movb    $0x01, %al              /* ICW4: 8086 mode, normal EOI */
        outb    %al, $PIC1+1
        outb    %al, $PIC2+1
        movb    $0xef, %al              /* OCW1: only IRQ4 */
        outb    %al, $PIC1+1
        movb    $0xff, %al
        outb    %al, $PIC2+1

        /* COM1: 115200 8N1, FIFOs, DTR | RTS | OUT2 (OUT2 gates the interrupt line on a PC) */
        movw    $COM1+1, %dx
        xorb    %al, %al
        outb    %al, %dx
        movw    $COM1+3, %dx
        movb    $0x80, %al
        outb    %al, %dx
        movw    $COM1+0, %dx
        movb    $0x01, %al
        outb    %al, %dx
        movw    $COM1+1, %dx
        xorb    %al, %al
        outb    %al, %dx
        movw    $COM1+3, %dx
        movb    $0x03, %al
        outb    %al, %dx
        movw    $COM1+2, %dx
        movb    $0x07, %al
        outb    %al, %dx
        movw    $COM1+4, %dx
        movb    $0x0b, %al
        outb    %al, %dx
        movw    $COM1+1, %dx
        movb    $0x02, %al              /* IER: THR empty; the empty THR raises it at once */
        outb    %al, %dx

wait:   cmpw    $0, V_DONE
        jne     sent
        sti                             /* sti's shadow covers hlt: no wake-up is lost */
        hlt
        cli
        jmp     wait

sent:   movw    $COM1+5, %dx
1:      inb     %dx, %al
        testb   $0x40, %al              /* TEMT: the backend has every byte */
        jz      1b
        movw    $msg_irqs, %si
        call    dputs
        movw    V_IRQS, %ax
        call    dhex16
        movw    $msg_other, %si
        call    dputs
        movw    V_OTHER, %ax
        call    dhex16
        movb    $'\n', %al
        outb    %al, $DEBUGCON
        movw    $PM1_CNT, %dx
        movw    $0x2000, %ax            /* SLP_EN, SLP_TYP 0: soft off */
        outw    %ax, %dx
2:      cli
        hlt
        jmp     2b

/* ---- interrupt handlers (DS is 0 throughout: nothing changes it) ---------------------------- */
irq4:
        pushw   %ax
        pushw   %dx
        pushw   %si
        incw    V_IRQS
        movw    $COM1+2, %dx
        inb     %dx, %al                /* IIR: reading THRE as the source acknowledges it */
        movb    %al, %ah
        andb    $0x0f, %al
        cmpb    $0x02, %al
        jne     bad_iir
        movw    V_INDEX, %si
        movb    %cs:message(%si), %al
        testb   %al, %al
        jz      all_sent
        movw    $COM1, %dx
        outb    %al, %dx
        incw    V_INDEX
        jmp     eoi
all_sent:
        movw    $COM1+1, %dx
        xorb    %al, %al                /* IER: nothing more to send */
        outb    %al, %dx
        movw    $1, V_DONE
eoi:
        movb    $0x20, %al              /* non-specific EOI */
        outb    %al, $PIC1
        popw    %si
        popw    %dx
        popw    %ax
        iret

bad_iir:
        movw    $msg_bad_iir, %si
        call    dputs
        movb    %ah, %al
        xorb    %ah, %ah
        call    dhex16
        movb    $'\n', %al
        outb    %al, $DEBUGCON
3:      cli
        hlt
        jmp     3b

other_irq:
        incw    V_OTHER
        pushw   %ax
        movb    $0x20, %al
        outb    %al, $PIC1
        popw    %ax
        iret

/* ---- debug console --------------------------------------------------------------------------- */
/* dputs: the NUL-terminated string at %cs:%si. */
dputs:
        pushw   %ax
1:      movb    %cs:(%si), %al
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        incw    %si
        jmp     1b
2:      popw    %ax
        ret

/* dhex16: %ax as 4 hex digits. */
dhex16:
        pushw   %bx
        pushw   %cx
        pushw   %dx
        movw    %ax, %dx
        movw    $4, %cx
1:      rolw    $4, %dx
        movw    %dx, %bx
        andw    $0x0f, %bx
        movb    %cs:hex_digits(%bx), %al
        outb    %al, $DEBUGCON
        loop    1b
        popw    %dx
        popw    %cx
        popw    %bx
        ret

/* ---- data ------------------------------------------------------------------------------------ */
hex_digits:     .ascii "0123456789abcdef"
msg_irqs:       .asciz "irqs="
msg_other:      .asciz " other="
msg_bad_iir:    .asciz "IRQ4 with IIR="
message:
        .ascii  "serial_irq: every byte of this text left the guest from the 16550 THR-empty\n"
        .ascii  "interrupt handler: IRQ4 -> in-kernel 8259 -> vector 0x24 -> IIR 0xC2 -> THR.\n"
        .ascii  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
        .asciz  "serial_irq: done\n"

        .org    0xfff0
reset_vector:
        ljmp    $0xf000, $_start
        .org    0x10000, 0
