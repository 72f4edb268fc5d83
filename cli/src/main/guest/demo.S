/*
 * jvmm's embedded demo guest: a 64 KiB firmware image (QEMU -bios style).
 *
 * From the reset vector it enters flat 32-bit protected mode (GDT in ROM, descriptors pre-marked
 * accessed, see x86-kvm-boot.md section 4), then: prints a banner over COM1 (LSR polling), the
 * RTC date, the battery state, echoes one line typed on the console (about 10 s to type it),
 * and powers off through the PM device at 0x400, or resets through the i8042 where there is no
 * PM device. Where a device is absent it says so and goes on.
 *
 * Rebuild with build.sh; a test checks that demo.bin matches this source.
 */
        .set COM1,      0x3f8
        .set RTC_INDEX, 0x70
        .set RTC_DATA,  0x71
        .set BATTERY,   0xfed3f000
        .set PM1_CNT,   0x404
        .set KBC_CMD,   0x64
        .set LINE_BUF,  0x8000
        .set LINE_MAX,  64

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
        movl    $msg_banner, %esi
        call    puts
        call    show_rtc
        call    show_battery
        call    echo_line

        movl    $msg_poweroff, %esi
        call    puts
        movw    $PM1_CNT, %dx
        movw    $0x2000, %ax            /* SLP_EN, SLP_TYP 0: soft off */
        outw    %ax, %dx
        movl    $msg_no_pm, %esi
        call    puts
        movb    $0xfe, %al              /* pulse the reset line */
        outb    %al, $KBC_CMD
        movl    $msg_stuck, %esi
        call    puts
1:      cli
        hlt
        jmp     1b

/* ---- COM1 ---------------------------------------------------------------------------------- */
serial_init:
        movw    $COM1+3, %dx
        movb    $0x80, %al              /* DLAB */
        outb    %al, %dx
        movw    $COM1+0, %dx
        movb    $0x01, %al              /* 115200 baud */
        outb    %al, %dx
        movw    $COM1+1, %dx
        xorb    %al, %al
        outb    %al, %dx
        movw    $COM1+3, %dx
        movb    $0x03, %al              /* 8N1 */
        outb    %al, %dx
        movw    $COM1+2, %dx
        movb    $0x07, %al              /* FIFOs on and cleared */
        outb    %al, %dx
        movw    $COM1+4, %dx
        movb    $0x03, %al              /* DTR | RTS */
        outb    %al, %dx
        ret

/* putc: the byte in %al, after LSR says THR empty. */
putc:
        pushl   %edx
        pushl   %eax
        movw    $COM1+5, %dx
1:      inb     %dx, %al
        testb   $0x20, %al
        jz      1b
        popl    %eax
        movw    $COM1, %dx
        outb    %al, %dx
        popl    %edx
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

/* print_dec: %eax as unsigned decimal. */
print_dec:
        pushl   %eax
        pushl   %ecx
        pushl   %edx
        pushl   %ebx
        movl    $10, %ebx
        xorl    %ecx, %ecx
1:      xorl    %edx, %edx
        divl    %ebx
        pushl   %edx
        incl    %ecx
        testl   %eax, %eax
        jnz     1b
2:      popl    %eax
        addb    $'0', %al
        call    putc
        loop    2b
        popl    %ebx
        popl    %edx
        popl    %ecx
        popl    %eax
        ret

/* print_2: %al (0..99) as two digits. */
print_2:
        pushl   %eax
        movzbl  %al, %eax
        cmpl    $10, %eax
        jae     1f
        pushl   %eax
        movb    $'0', %al
        call    putc
        popl    %eax
1:      call    print_dec
        popl    %eax
        ret

/* ---- RTC ----------------------------------------------------------------------------------- */
/* rtc_read: register %al → %al (binary if the RTC is in BCD mode and %ah bit 0 is clear). */
rtc_raw:
        outb    %al, $RTC_INDEX
        inb     $RTC_DATA, %al
        ret

/* bcd2bin: %al BCD → %al binary, when %bl bit 2 (DM) is clear. */
bcd2bin:
        testb   $0x04, %bl
        jnz     1f
        pushl   %ecx
        movb    %al, %cl
        shrb    $4, %al
        movb    $10, %ch
        mulb    %ch
        andb    $0x0f, %cl
        addb    %cl, %al
        popl    %ecx
1:      ret

show_rtc:
        movl    $msg_rtc, %esi
        call    puts
        movb    $0x0d, %al              /* register D: VRT reads 1 on a real RTC */
        call    rtc_raw
        cmpb    $0xff, %al
        je      rtc_absent
        testb   $0x80, %al
        jz      rtc_absent
        movl    $2000000, %ecx          /* UIP lasts 244 us; give up after far longer */
1:      movb    $0x0a, %al
        call    rtc_raw
        testb   $0x80, %al
        jz      2f
        loop    1b
2:      movb    $0x0b, %al
        call    rtc_raw
        movb    %al, %bl                /* register B: DM and 24/12 */
        movb    $0x32, %al              /* century */
        call    rtc_raw
        call    bcd2bin
        call    print_2
        movb    $0x09, %al              /* year */
        call    rtc_raw
        call    bcd2bin
        call    print_2
        movb    $'-', %al
        call    putc
        movb    $0x08, %al              /* month */
        call    rtc_raw
        call    bcd2bin
        call    print_2
        movb    $'-', %al
        call    putc
        movb    $0x07, %al              /* day of month */
        call    rtc_raw
        call    bcd2bin
        call    print_2
        movb    $' ', %al
        call    putc
        movb    $0x04, %al              /* hours; bit 7 is PM in 12-hour mode */
        call    rtc_raw
        movb    %al, %bh
        andb    $0x7f, %al
        call    bcd2bin
        testb   $0x02, %bl
        jnz     3f                      /* 24-hour mode */
        cmpb    $12, %al
        jne     4f
        xorb    %al, %al                /* 12 AM/PM → 0 */
4:      testb   $0x80, %bh
        jz      3f
        addb    $12, %al
3:      call    print_2
        movb    $':', %al
        call    putc
        movb    $0x02, %al              /* minutes */
        call    rtc_raw
        call    bcd2bin
        call    print_2
        movb    $':', %al
        call    putc
        movb    $0x00, %al              /* seconds */
        call    rtc_raw
        call    bcd2bin
        call    print_2
        movl    $msg_rtc_tail, %esi
        call    puts
        ret
rtc_absent:
        movl    $msg_absent, %esi
        call    puts
        ret

/* ---- battery (MMIO) ------------------------------------------------------------------------ */
show_battery:
        movl    $msg_battery, %esi
        call    puts
        movl    BATTERY+0x00, %eax      /* STA */
        cmpl    $0xffffffff, %eax
        je      bat_nodev
        cmpl    $0x1f, %eax
        jne     bat_notpresent
        movl    BATTERY+0x0c, %eax      /* remaining, scaled to 5000 */
        xorl    %edx, %edx
        movl    $50, %ecx
        divl    %ecx
        call    print_dec
        movb    $'%', %al
        call    putc
        movl    BATTERY+0x04, %eax      /* BST state */
        movl    $msg_charging, %esi
        cmpl    $2, %eax
        je      1f
        movl    $msg_discharging, %esi
        cmpl    $1, %eax
        je      1f
        movl    $msg_idle, %esi
1:      call    puts
        movl    BATTERY+0x10, %eax      /* AC */
        movl    $msg_ac_on, %esi
        testl   %eax, %eax
        jnz     2f
        movl    $msg_ac_off, %esi
2:      call    puts
        ret
bat_notpresent:
        movl    $msg_not_present, %esi
        call    puts
        ret
bat_nodev:
        movl    $msg_absent, %esi
        call    puts
        ret

/* ---- echo one line ------------------------------------------------------------------------- */
echo_line:
        movl    $msg_prompt, %esi
        call    puts
        movl    $LINE_BUF, %edi
        xorl    %ebx, %ebx              /* length */
next_char:
        movl    $800000, %ecx           /* each LSR read is a VM exit: about ten seconds */
1:      movw    $COM1+5, %dx
        inb     %dx, %al
        cmpb    $0xff, %al              /* no UART at all */
        je      no_input
        testb   $0x01, %al
        jnz     2f
        pause
        loop    1b
        jmp     no_input
2:      movw    $COM1, %dx
        inb     %dx, %al
        cmpb    $'\r', %al
        je      line_done
        cmpb    $'\n', %al
        je      line_done
        cmpb    $0x7f, %al
        je      backspace
        cmpb    $0x08, %al
        je      backspace
        cmpb    $' ', %al
        jb      next_char               /* other control characters are ignored */
        cmpl    $LINE_MAX, %ebx
        jae     next_char
        movb    %al, (%edi,%ebx)
        incl    %ebx
        call    putc
        jmp     next_char
backspace:
        testl   %ebx, %ebx
        jz      next_char
        decl    %ebx
        movl    $msg_erase, %esi
        call    puts
        jmp     next_char
line_done:
        movb    $0, (%edi,%ebx)
        movl    $msg_typed, %esi
        call    puts
        movl    %edi, %esi
        call    puts
        movl    $msg_crlf, %esi
        call    puts
        ret
no_input:
        movl    $msg_no_input, %esi
        call    puts
        ret

/* ---- data ---------------------------------------------------------------------------------- */
msg_banner:      .asciz "\r\njvmm demo guest: hello from a 32-bit guest over COM1\r\n"
msg_rtc:         .asciz "RTC: "
msg_rtc_tail:    .asciz " UTC\r\n"
msg_absent:      .asciz "absent\r\n"
msg_battery:     .asciz "battery: "
msg_not_present: .asciz "no battery present\r\n"
msg_charging:    .asciz " charging"
msg_discharging: .asciz " discharging"
msg_idle:        .asciz ""
msg_ac_on:       .asciz ", AC online\r\n"
msg_ac_off:      .asciz ", on battery\r\n"
msg_prompt:      .asciz "type a line and press Enter: "
msg_erase:       .asciz "\b \b"
msg_typed:       .asciz "\r\nyou typed: "
msg_crlf:        .asciz "\r\n"
msg_no_input:    .asciz "\r\n(no input)\r\n"
msg_poweroff:    .asciz "powering off\r\n"
msg_no_pm:       .asciz "no PM device; resetting through the i8042\r\n"
msg_stuck:       .asciz "could not power off or reset; halting\r\n"

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
