# 32-bit test guest that never exits on its own: counts in a loop and stores the count at 0x2000.
        .code32
        .text
        .globl _start
_start:
        xor     %eax, %eax
1:      inc     %eax
        mov     %eax, 0x2000
        jmp     1b
