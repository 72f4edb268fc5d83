/*
 * platform: the default chipset's CMOS RTC, PCI bus and PM block, seen from a 32-bit guest.
 * Output on COM1, one line each:
 *   RTC YYYY-MM-DD HH:MM:SS            read in binary 24-hour mode, after UIP, twice-checked
 *   PCI 00:DD.F VVVV:DDDD              every function that answers on bus 0 (mechanism #1)
 *   PCI done
 *   PMTMR LO1 HI1 ... LO4 HI4          PM timer readings bracketing four RTC second boundaries
 *   RTC YYYY-MM-DD HH:MM:SS            again, after the measurement
 * then "powering off" and S5 through PM1_CNT.
 */
        .set CONSOLE_COM1, 1
        .include "lib.inc"

        .set RTC_BUF,  0x8000           /* sec, min, hour, day, month, year, century */
        .set PM_READINGS, 0x8100
        .set BOUNDARIES, 4

main:
        call    serial_init
        movl    $msg_hello, %esi
        call    puts
        call    rtc_binary_mode
        call    show_rtc
        call    scan_pci
        call    measure_pm_timer
        call    show_rtc
        movl    $msg_off, %esi
        call    puts
        jmp     power_off

/* ---- RTC ---------------------------------------------------------------------------------- */
/* rtc_read: register %al → %al. */
rtc_read:
        outb    %al, $RTC_INDEX
        inb     $RTC_DATA, %al
        ret

/* Register B: DM (binary) and 24-hour, keeping the rest. */
rtc_binary_mode:
        movb    $0x0b, %al
        call    rtc_read
        orb     $0x06, %al
        movb    %al, %ah
        movb    $0x0b, %al
        outb    %al, $RTC_INDEX
        movb    %ah, %al
        outb    %al, $RTC_DATA
        ret

/* rtc_wait_uip: until register A's UIP is clear (it lasts 244 us; bounded). */
rtc_wait_uip:
        pushl   %ecx
        movl    $1000000, %ecx
1:      movb    $0x0a, %al
        call    rtc_read
        testb   $0x80, %al
        jz      2f
        loop    1b
2:      popl    %ecx
        ret

/* rtc_snapshot: the seven fields into RTC_BUF, retried until the seconds did not change. */
rtc_snapshot:
        call    rtc_wait_uip
        movb    $0x00, %al
        call    rtc_read
        movb    %al, RTC_BUF+0
        movb    $0x02, %al
        call    rtc_read
        movb    %al, RTC_BUF+1
        movb    $0x04, %al
        call    rtc_read
        movb    %al, RTC_BUF+2
        movb    $0x07, %al
        call    rtc_read
        movb    %al, RTC_BUF+3
        movb    $0x08, %al
        call    rtc_read
        movb    %al, RTC_BUF+4
        movb    $0x09, %al
        call    rtc_read
        movb    %al, RTC_BUF+5
        movb    $0x32, %al
        call    rtc_read
        movb    %al, RTC_BUF+6
        movb    $0x00, %al
        call    rtc_read
        cmpb    RTC_BUF+0, %al
        jne     rtc_snapshot
        ret

show_rtc:
        call    rtc_snapshot
        movl    $msg_rtc, %esi
        call    puts
        movzbl  RTC_BUF+6, %eax         /* century * 100 + year */
        imull   $100, %eax
        movzbl  RTC_BUF+5, %ecx
        addl    %ecx, %eax
        call    print_dec
        movb    $'-', %al
        call    putc
        movb    RTC_BUF+4, %al
        call    print_2
        movb    $'-', %al
        call    putc
        movb    RTC_BUF+3, %al
        call    print_2
        movb    $' ', %al
        call    putc
        movb    RTC_BUF+2, %al
        call    print_2
        movb    $':', %al
        call    putc
        movb    RTC_BUF+1, %al
        call    print_2
        movb    $':', %al
        call    putc
        movb    RTC_BUF+0, %al
        call    print_2
        jmp     crlf

/*
 * rtc_next_second: waits (bounded: about 10 s) until the seconds register changes. Returns two PM
 * timer readings that bracket the boundary: %esi, taken before a seconds read that still showed
 * the old second, and %edi, taken after the read that showed the new one.
 */
rtc_next_second:
        pushl   %ecx
        pushl   %edx
        pushl   %ebx
        movw    $PM_TMR, %dx
        inl     %dx, %eax
        movl    %eax, %esi
        movb    $0x00, %al
        call    rtc_read
        movb    %al, %bl                /* the old second */
        movl    $400000, %ecx
1:      inl     %dx, %eax
        movl    %eax, %edi
        movb    $0x00, %al
        call    rtc_read
        cmpb    %bl, %al
        jne     2f
        movl    %edi, %esi              /* still the old second: a lower bound */
        loop    1b
2:      inl     %dx, %eax
        movl    %eax, %edi              /* after the new second was seen: an upper bound */
        popl    %ebx
        popl    %edx
        popl    %ecx
        ret

/* ---- PM timer against the RTC -------------------------------------------------------------- */
/*
 * Brackets BOUNDARIES consecutive RTC second boundaries with PM timer readings (kept in RAM and
 * printed afterwards, so printing cannot make the guest miss a boundary):
 * "PMTMR lo1 hi1 lo2 hi2 ..." in decimal.
 */
measure_pm_timer:
        movl    $PM_READINGS, %ebp
        movl    $BOUNDARIES, %ebx
1:      call    rtc_next_second
        movl    %esi, (%ebp)
        movl    %edi, 4(%ebp)
        addl    $8, %ebp
        decl    %ebx
        jnz     1b
        movl    $msg_pmtmr, %esi
        call    puts
        movl    $PM_READINGS, %ebp
        movl    $BOUNDARIES * 2, %ebx
2:      movb    $' ', %al
        call    putc
        movl    (%ebp), %eax
        call    print_dec
        addl    $4, %ebp
        decl    %ebx
        jnz     2b
        jmp     crlf

/* ---- PCI bus 0 ------------------------------------------------------------------------------ */
scan_pci:
        xorl    %ebx, %ebx              /* device << 3 | function */
1:      movl    %ebx, %eax
        shll    $8, %eax
        orl     $0x80000000, %eax       /* enable, bus 0, register 0 */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        cmpw    $0xffff, %ax            /* no function here */
        je      2f
        movl    $msg_pci, %esi
        call    puts
        pushl   %eax
        movl    %ebx, %eax
        shrl    $3, %eax
        movl    $2, %ecx
        call    print_hex
        movb    $'.', %al
        call    putc
        movl    %ebx, %eax
        andl    $7, %eax
        movl    $1, %ecx
        call    print_hex
        movb    $' ', %al
        call    putc
        movl    (%esp), %eax
        movl    $4, %ecx
        call    print_hex               /* vendor */
        movb    $':', %al
        call    putc
        popl    %eax
        shrl    $16, %eax
        movl    $4, %ecx
        call    print_hex               /* device */
        call    crlf
2:      incl    %ebx
        cmpl    $256, %ebx
        jb      1b
        movl    $msg_pci_done, %esi
        jmp     puts

msg_hello:    .asciz "jvmm platform guest\r\n"
msg_rtc:      .asciz "RTC "
msg_pci:      .asciz "PCI 00:"
msg_pci_done: .asciz "PCI done\r\n"
msg_pmtmr:    .asciz "PMTMR"
msg_off:      .asciz "powering off\r\n"

        ROM_END
