/*
 * A 64 KiB firmware image (QEMU -bios style) for Pl011KvmTest: a 32-bit x86 guest that drives a
 * PL011 placed at 0xD0000000 in the 32-bit MMIO hole.
 *
 * From the reset vector it enters flat 32-bit protected mode (GDT in ROM, descriptors pre-marked
 * accessed, see x86-kvm-boot.md section 4), checks the PrimeCell ID, programs the UART the way SBSA
 * firmware does (UART off, divisors, LCR_H, on), then runs the register sequence of Linux's
 * amba-pl011 probe and startup (pl011_register_port, pl011_hwinit, pl011_allocate_irq,
 * pl011_startup, pl011_enable_interrupts). It prints what it read back with earlycon's pl011_putc
 * (wait while TXFF, write DR, wait while BUSY), runs a loopback self-test, waits for TXFE and powers
 * off through PM1_CNT (port 0x404 <- 0x2000). Every access is a 32-bit MOV (SBSA: 32-bit only).
 *
 * Rebuild with build.sh; Pl011KvmTest checks that pl011_hello.bin matches this source.
 */
        .set UART,      0xd0000000
        .set DR,        UART+0x000
        .set FR,        UART+0x018
        .set IBRD,      UART+0x024
        .set FBRD,      UART+0x028
        .set LCR_H,     UART+0x02c
        .set CR,        UART+0x030
        .set IFLS,      UART+0x034
        .set IMSC,      UART+0x038
        .set RIS,       UART+0x03c
        .set MIS,       UART+0x040
        .set ICR,       UART+0x044
        .set PERIPHID0, UART+0xfe0
        .set PCELLID0,  UART+0xff0

        .set FR_BUSY,   0x08
        .set FR_RXFE,   0x10
        .set FR_TXFF,   0x20
        .set FR_TXFE,   0x80
        .set CR_ON,     0x301           /* UARTEN | TXE | RXE */
        .set CR_LBE,    0x80
        .set INT_RX_RT, 0x50
        .set PM1_CNT,   0x404

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

        movl    PERIPHID0, %eax         /* no PL011 here: nothing to talk to */
        cmpl    $0x11, %eax
        jne     power_off

        call    pl011_init
        movl    $msg_banner, %esi
        call    puts

        movl    $msg_periph, %esi
        call    puts
        movl    $PERIPHID0, %ebx
        call    read_id
        call    print_hex
        movl    $msg_cell, %esi
        call    puts
        movl    $PCELLID0, %ebx
        call    read_id
        call    print_hex
        movl    $msg_crlf, %esi
        call    puts

        movl    $msg_ibrd, %esi
        call    puts
        movl    IBRD, %eax
        call    print_hex
        movl    $msg_fbrd, %esi
        call    puts
        movl    FBRD, %eax
        call    print_hex
        movl    $msg_lcrh, %esi
        call    puts
        movl    LCR_H, %eax
        call    print_hex
        movl    $msg_cr, %esi
        call    puts
        movl    CR, %eax
        call    print_hex
        movl    $msg_imsc, %esi
        call    puts
        movl    IMSC, %eax
        call    print_hex
        movl    $msg_crlf, %esi
        call    puts

        call    loopback_test
        movl    $msg_hello, %esi
        call    puts
        movl    $msg_poweroff, %esi
        call    puts
        call    flush
power_off:
        movw    $PM1_CNT, %dx
        movw    $0x2000, %ax            /* SLP_EN, SLP_TYP 0: soft off */
        outw    %ax, %dx
1:      cli
        hlt
        jmp     1b

/* ---- PL011 --------------------------------------------------------------------------------- */
pl011_init:
        /* What SBSA firmware does: reprogram only with the UART off (the TRM's rule). */
        movl    $0, CR
        movl    $1, FBRD                /* 24 MHz / (16 * 115200) = 13 + 1/64 */
        movl    $13, IBRD
        movl    $0x70, LCR_H            /* 8N1, FIFOs on; latches IBRD and FBRD */
        movl    $CR_ON, CR
        /* pl011_register_port: mask and clear everything */
        movl    $0, IMSC
        movl    $0x7ff, ICR
        /* pl011_hwinit: clear errors and RX, remember IMSC, unmask RX and RT */
        movl    $0x7d0, ICR
        movl    IMSC, %edi
        movl    $INT_RX_RT, IMSC
        /* pl011_allocate_irq */
        movl    %edi, IMSC
        /* pl011_startup */
        movl    $0x12, IFLS             /* RX 1/2, TX 1/2 */
        movl    CR, %eax
        andl    $0xc00, %eax            /* keep RTS and DTR */
        orl     $CR_ON, %eax
        movl    %eax, CR
        movl    FR, %eax                /* old_status */
        /* pl011_enable_interrupts: clear RX/RT, drain the RX FIFO, unmask RX and RT */
        movl    $INT_RX_RT, ICR
        movl    $64, %ecx
1:      movl    FR, %eax
        testl   $FR_RXFE, %eax
        jnz     2f
        movl    DR, %eax
        loop    1b
2:      movl    $INT_RX_RT, IMSC
        ret

/* putc: earlycon's pl011_putc for the byte in %al. */
putc:
        pushl   %eax
        pushl   %edx
        movzbl  %al, %eax
1:      movl    FR, %edx
        testl   $FR_TXFF, %edx
        jz      2f
        pause
        jmp     1b
2:      movl    %eax, DR
3:      movl    FR, %edx
        testl   $FR_BUSY, %edx
        jnz     3b
        popl    %edx
        popl    %eax
        ret

/* flush: wait until the transmit FIFO is empty. */
flush:
        pushl   %eax
1:      movl    FR, %eax
        testl   $FR_TXFE, %eax
        jnz     2f
        pause
        jmp     1b
2:      popl    %eax
        ret

/* loopback_test: send "LB" with LBE set and read it back; prints the result. */
loopback_test:
        call    flush                   /* what is still queued would loop back too */
        movl    $(CR_ON | CR_LBE), CR
        movl    $'L', DR
        movl    $'B', DR
        movl    $msg_loop_bad, %esi
        movl    FR, %eax
        testl   $FR_RXFE, %eax
        jnz     1f
        movl    DR, %eax
        cmpb    $'L', %al
        jne     1f
        movl    DR, %eax
        cmpb    $'B', %al
        jne     1f
        movl    FR, %eax
        testl   $FR_RXFE, %eax
        jz      1f
        movl    $msg_loop_ok, %esi
1:      movl    $CR_ON, CR
        call    puts
        ret

/* read_id: the four ID bytes at %ebx (one per word) as a 32-bit value in %eax. */
read_id:
        pushl   %ecx
        pushl   %edx
        xorl    %eax, %eax
        movl    $3, %ecx
1:      shll    $8, %eax
        movl    (%ebx,%ecx,4), %edx
        andl    $0xff, %edx
        orl     %edx, %eax
        decl    %ecx
        jns     1b
        popl    %edx
        popl    %ecx
        ret

/* print_hex: %eax as 0x and eight hex digits. */
print_hex:
        pushl   %eax
        pushl   %ecx
        pushl   %edx
        movl    %eax, %edx
        movb    $'0', %al
        call    putc
        movb    $'x', %al
        call    putc
        movl    $8, %ecx
1:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0xf, %eax
        movb    hexdigits(%eax), %al
        call    putc
        loop    1b
        popl    %edx
        popl    %ecx
        popl    %eax
        ret

/* puts: the NUL-terminated string at %esi. */
puts:
        pushl   %eax
1:      lodsb
        testb   %al, %al
        jz      2f
        call    putc
        jmp     1b
2:      popl    %eax
        ret

/* ---- data ---------------------------------------------------------------------------------- */
hexdigits:      .ascii "0123456789abcdef"
msg_banner:     .asciz "jvmm pl011 guest: a PL011 at 0xd0000000\r\n"
msg_periph:     .asciz "periph id "
msg_cell:       .asciz " cell id "
msg_ibrd:       .asciz "ibrd "
msg_fbrd:       .asciz " fbrd "
msg_lcrh:       .asciz " lcr_h "
msg_cr:         .asciz " cr "
msg_imsc:       .asciz " imsc "
msg_crlf:       .asciz "\r\n"
msg_loop_ok:    .asciz "loopback: ok\r\n"
msg_loop_bad:   .asciz "loopback: FAILED\r\n"
msg_hello:      .asciz "hello from a 32-bit guest over an SBSA/PL011 UART\r\n"
msg_poweroff:   .asciz "powering off\r\n"

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
        ljmp    $0xf000, $(init16 - _start + 0)   /* the low copy at 0xF0000 */
        .org    0x10000, 0
