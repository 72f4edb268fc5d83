# 32-bit benchmark guest: ESI times `out %al, $0x30`, then done on port 0xF0.
        .code32
        .text
        .globl _start
_start:
        mov     %esi, %ecx
1:      out     %al, $0x30
        dec     %ecx
        jnz     1b
        mov     $1, %al
        out     %al, $0xf0
2:      cli
        hlt
        jmp     2b
