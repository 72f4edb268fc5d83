# 64-bit long-mode test guest, loaded at 0x1000 and started with X86Long64 (identity paging).
# Same protocol as pm32.S plus 8-byte MMIO: PIO writes of 1/2/4 bytes to port 0x10; PIO reads of
# 1/2/4 bytes from port 0x11 echoed as dwords to 0x12; MMIO at 0xD0000000: writes of 1/2/4/8
# bytes, reads of 1/2/4/8 bytes echoed to 0x12 (an 8-byte value as low dword, then high dword).
# Done: port 0xF0.
        .code64
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

        mov     $0xd0000000, %ebx
        movb    $0xa1, (%rbx)
        movw    $0xb2c3, 2(%rbx)
        movl    $0xd4e5f607, 4(%rbx)
        movabs  $0x0123456789abcdef, %rax
        mov     %rax, 8(%rbx)
        movzbl  0x10(%rbx), %eax
        out     %eax, $0x12
        movzwl  0x12(%rbx), %eax
        out     %eax, $0x12
        movl    0x14(%rbx), %eax
        out     %eax, $0x12
        mov     0x18(%rbx), %rax
        out     %eax, $0x12
        shr     $32, %rax
        out     %eax, $0x12

        mov     $1, %al
        out     %al, $0xf0
1:      cli
        hlt
        jmp     1b
