/*
 * power_button: the ACPI fixed power button and the 0xCF9 reset control register, through real
 * port exits. Prints 'E' on the debug port once it has set PWRBTN_EN (bit 8 of PM1 enable, ACPI 6.x
 * Table 4.14), then polls PM1 status until the host presses the button (PWRBTN_STS, bit 8, Table
 * 4.13), prints 'B', clears the status (write 1), prints 'C' if it reads 0 again, and resets the
 * machine through port 0xCF9 as Linux's reboot=pci does: SYS_RST (0x02), then SYS_RST | RST_CPU
 * (0x06). 'X' would mean the guest ran on past its own reset.
 */
        .set CONSOLE_COM1, 0
        .include "lib.inc"
        .set PM1_STS,   PM_BASE + 0x00
        .set PM1_EN,    PM_BASE + 0x02
        .set PWRBTN,    0x0100
        .set RST_CNT,   0xcf9

main:
        movw    $PM1_EN, %dx
        movw    $PWRBTN, %ax
        outw    %ax, %dx
        movb    $'E', %al
        call    putc
        movw    $PM1_STS, %dx
1:      inw     %dx, %ax
        testw   $PWRBTN, %ax
        jz      1b
        movb    $'B', %al
        call    putc
        movw    $PWRBTN, %ax
        outw    %ax, %dx                /* write 1 to clear */
        inw     %dx, %ax
        testw   $PWRBTN, %ax
        jnz     2f
        movb    $'C', %al
        call    putc
2:      movw    $RST_CNT, %dx
        movb    $0x02, %al
        outb    %al, %dx
        movb    $0x06, %al
        outb    %al, %dx
        movb    $'X', %al
        call    putc
3:      cli
        hlt
        jmp     3b

        ROM_END
