# 32-bit doorbell guest, loaded at 0x1000 and started flat (X86Protected32, ESI = count).
# ESI times a 2-byte write of 0 to 0xD0000000 (a virtio-style notify: the queue index), then one
# 1-byte write there, a 2-byte write to 0xD0000004, and 4-byte writes of 7 and of 8 to 0xD0000008.
# Done: port 0xF0. Which of these exit depends on the doorbells the test registered.
        .code32
        .text
        .globl _start
_start:
        mov     $0xd0000000, %ebx
        mov     %esi, %ecx
        test    %ecx, %ecx
        jz      2f
1:      movw    $0, (%ebx)
        dec     %ecx
        jnz     1b
2:      movb    $0x55, (%ebx)
        movw    $0x1234, 4(%ebx)
        movl    $7, 8(%ebx)
        movl    $8, 8(%ebx)
        mov     $1, %al
        out     %al, $0xf0
3:      cli
        hlt
        jmp     3b
