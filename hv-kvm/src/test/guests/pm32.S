# 32-bit protected-mode test guest, loaded at 0x1000 and started flat (X86Protected32).
# PIO: writes of 1/2/4 bytes to port 0x10; reads of 1/2/4 bytes from port 0x11, each echoed as a
# dword to port 0x12; rep outsb of 4 bytes to port 0x13; rep insb of 4 bytes from port 0x14.
# MMIO at 0xD0000000 (the 32-bit hole): writes of 1/2/4 bytes, reads of 1/2/4 bytes echoed to 0x12.
# Done: port 0xF0.
        .code32
        .text
        .globl _start
_start:
        mov     $0x12, %al
        out     %al, $0x10
        mov     $0x3456, %ax
        out     %ax, $0x10
        mov     $0x789abcde, %eax
        out     %eax, $0x10

        xor     %eax, %eax
        in      $0x11, %al
        out     %eax, $0x12
        xor     %eax, %eax
        in      $0x11, %ax
        out     %eax, $0x12
        in      $0x11, %eax
        out     %eax, $0x12

        mov     $text, %esi             # string output: "Hey!" as one exit with count 4
        mov     $4, %ecx
        mov     $0x13, %dx
        cld
        rep outsb
        mov     $0x3000, %edi           # string input: 4 bytes into RAM, then echoed
        mov     $4, %ecx
        mov     $0x14, %dx
        rep insb
        mov     0x3000, %eax
        out     %eax, $0x12

        mov     $0xd0000000, %ebx
        movb    $0xa1, (%ebx)
        movw    $0xb2c3, 2(%ebx)
        movl    $0xd4e5f607, 4(%ebx)
        movzbl  0x10(%ebx), %eax
        out     %eax, $0x12
        movzwl  0x12(%ebx), %eax
        out     %eax, $0x12
        movl    0x14(%ebx), %eax
        out     %eax, $0x12

        mov     $1, %al
        out     %al, $0xf0
1:      cli
        hlt
        jmp     1b

text:   .ascii  "Hey!"
