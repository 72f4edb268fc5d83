# A tiny real-mode firmware for the POST-code plugin test (and any test that needs a guest that
# powers off at once): writes the codes 0x01, 0x02, 0x55, 0xAA to port 0x80, then powers off
# through the PM device's PM1 control register (0x404: SLP_EN, sleep type 0 = soft off).
# Should power-off fail it writes 0xEE and halts. 4 KiB image, linked at 0xF000: offsets are
# relative to segment 0xF000 (linear 0xFF000 in the low copy, 0xFFFFF000 at the top of 4 GiB).
        .code16
        .text
        .globl _start
_start:
        cli
        mov     $0x01, %al
        out     %al, $0x80
        mov     $0x02, %al
        out     %al, $0x80
        mov     $0x55, %al
        out     %al, $0x80
        mov     $0xaa, %al
        out     %al, $0x80
        mov     $0x404, %dx
        mov     $0x2000, %ax
        out     %ax, %dx
        mov     $0xee, %al
        out     %al, $0x80
1:      cli
        hlt
        jmp     1b

        .org    0xff0                   # linear 0xFFFFFFF0: the first instruction fetched
reset:
        ljmp    $0xf000, $_start
        .org    0x1000, 0xff
