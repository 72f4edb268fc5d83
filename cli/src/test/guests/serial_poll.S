/*
 * Test guest: polled 16550 output through the whole board (64 KiB firmware image).
 *
 * From the reset vector it enters flat 32-bit protected mode (GDT in ROM, descriptors pre-marked
 * accessed), programs COM1 the way Linux's 8250 driver does for a polled console, then sends
 * PATTERN_LINES lines of 63 printable bytes and a newline, then the marker line, each byte after
 * LSR reports THR empty. Then it waits for TEMT, reports its measurements on the debug console at
 * 0xE9 and powers off through PM1_CNT.
 *
 * Line k (0-based), column j (0..62) holds ' ' + (k + j) mod 95; SerialPollKvmTest builds the same.
 *
 * Measurements, one line on port 0xE9, hex: "ticks=T lsr=L scr=S\n"
 *   T: PM timer ticks (3.579545 MHz, 0x408) spent sending the text
 *   L: LSR reads made while sending it (each one a VM exit; writes add one exit per byte)
 *   S: PM timer ticks for SCR_READS reads of COM1's scratch register (pure exit round trips)
 *
 * Rebuild with build.sh; GuestImagesTest checks that serial_poll.bin matches this source.
 */
        .set COM1,          0x3f8
        .set PM1_CNT,       0x404
        .set PM_TMR,        0x408
        .set DEBUGCON,      0xe9
        .set PATTERN_LINES, 64
        .set LINE_CHARS,    63
        .set SCR_READS,     20000

        .text
        .code16
        .globl _start
_start:
init16:
        cli
        cld
        lgdtl   %cs:(gdt_desc - _start)
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        ljmpl   $0x08, $pm32

        .code32
pm32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $0x7000, %esp

        call    serial_init
        xorl    %ebp, %ebp              /* LSR reads */
        call    read_timer
        movl    %eax, %edi              /* start tick */

        xorl    %ebx, %ebx              /* line k */
line_loop:
        xorl    %ecx, %ecx              /* column j */
char_loop:
        leal    (%ebx,%ecx), %eax
        xorl    %edx, %edx
        pushl   %ecx
        movl    $95, %ecx
        divl    %ecx
        popl    %ecx
        leal    0x20(%edx), %eax
        call    putc
        incl    %ecx
        cmpl    $LINE_CHARS, %ecx
        jb      char_loop
        movb    $'\n', %al
        call    putc
        incl    %ebx
        cmpl    $PATTERN_LINES, %ebx
        jb      line_loop

        movl    $msg_done, %esi
        call    puts
        call    wait_temt

        call    read_timer
        subl    %edi, %eax
        movl    %eax, %ebx              /* send ticks */

        call    read_timer              /* the scratch-register loop: one exit per read */
        movl    %eax, %edi
        movl    $SCR_READS, %ecx
        movw    $COM1+7, %dx
1:      inb     %dx, %al
        loop    1b
        call    read_timer
        subl    %edi, %eax
        movl    %eax, %edi              /* scratch ticks */

        movl    $msg_ticks, %esi
        call    dputs
        movl    %ebx, %eax
        call    dhex
        movl    $msg_lsr, %esi
        call    dputs
        movl    %ebp, %eax
        call    dhex
        movl    $msg_scr, %esi
        call    dputs
        movl    %edi, %eax
        call    dhex
        movb    $'\n', %al
        outb    %al, $DEBUGCON

        movw    $PM1_CNT, %dx
        movw    $0x2000, %ax            /* SLP_EN, SLP_TYP 0: soft off */
        outw    %ax, %dx
1:      cli
        hlt
        jmp     1b

/* ---- COM1, as Linux's 8250 driver sets it up for a polled console --------------------------- */
serial_init:
        movw    $COM1+1, %dx
        xorb    %al, %al                /* IER: no interrupts */
        outb    %al, %dx
        movw    $COM1+3, %dx
        movb    $0x80, %al              /* LCR: DLAB */
        outb    %al, %dx
        movw    $COM1+0, %dx
        movb    $0x01, %al              /* DLL: 115200 baud */
        outb    %al, %dx
        movw    $COM1+1, %dx
        xorb    %al, %al                /* DLM */
        outb    %al, %dx
        movw    $COM1+3, %dx
        movb    $0x03, %al              /* LCR: 8N1, DLAB off */
        outb    %al, %dx
        movw    $COM1+2, %dx
        movb    $0x07, %al              /* FCR: enable, clear both FIFOs */
        outb    %al, %dx
        movb    $0x81, %al              /* FCR: enabled, RX trigger 8 (the driver's 16550A value) */
        outb    %al, %dx
        movw    $COM1+5, %dx            /* clear pending status as the driver does: LSR, RBR, IIR, MSR */
        inb     %dx, %al
        movw    $COM1+0, %dx
        inb     %dx, %al
        movw    $COM1+2, %dx
        inb     %dx, %al
        movw    $COM1+6, %dx
        inb     %dx, %al
        movw    $COM1+4, %dx
        movb    $0x0b, %al              /* MCR: DTR | RTS | OUT2 */
        outb    %al, %dx
        ret

/* putc: %al once LSR says THR empty; counts the LSR reads in %ebp. */
putc:
        pushl   %edx
        pushl   %eax
        movw    $COM1+5, %dx
1:      incl    %ebp
        inb     %dx, %al
        testb   $0x20, %al
        jz      1b
        popl    %eax
        movw    $COM1, %dx
        outb    %al, %dx
        popl    %edx
        ret

/* wait_temt: until the transmitter is empty, i.e. the backend has taken every byte. */
wait_temt:
        movw    $COM1+5, %dx
1:      incl    %ebp
        inb     %dx, %al
        testb   $0x40, %al
        jz      1b
        ret

/* puts: the NUL-terminated string at %esi over COM1. */
puts:
        pushl   %eax
1:      lodsb
        testb   %al, %al
        jz      2f
        call    putc
        jmp     1b
2:      popl    %eax
        ret

/* dputs: the NUL-terminated string at %esi on the debug console. */
dputs:
        pushl   %eax
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        jmp     1b
2:      popl    %eax
        ret

/* dhex: %eax as 8 hex digits on the debug console. */
dhex:
        pushl   %ecx
        pushl   %edx
        movl    %eax, %edx
        movl    $8, %ecx
1:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0x0f, %eax
        movb    hex_digits(%eax), %al
        outb    %al, $DEBUGCON
        loop    1b
        popl    %edx
        popl    %ecx
        ret

/* read_timer: the PM timer in %eax (clobbers %dx). */
read_timer:
        movw    $PM_TMR, %dx
        inl     %dx, %eax
        ret

/* ---- data ---------------------------------------------------------------------------------- */
hex_digits:     .ascii "0123456789abcdef"
msg_done:       .asciz "serial_poll: done\n"
msg_ticks:      .asciz "ticks="
msg_lsr:        .asciz " lsr="
msg_scr:        .asciz " scr="

        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      /* 0x08: flat code, accessed (ROM cannot take the A bit) */
        .quad   0x00cf93000000ffff      /* 0x10: flat data, accessed */
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt

        .org    0xfff0
reset_vector:
        .code16
        ljmp    $0xf000, $(init16 - _start)   /* the low copy at 0xF0000 */
        .org    0x10000, 0
