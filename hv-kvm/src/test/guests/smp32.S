# 32-bit test guest run by several vCPUs at once (each started directly with X86Protected32).
# Reports CPUID.1 EBX[31:24] (initial APIC id) on port 0x31 and CPUID.1 ECX on port 0x32, then
# writes port 0x30 ESI times (ESI = iteration count from the boot state) and reports done on 0xF0.
        .code32
        .text
        .globl _start
_start:
        mov     $1, %eax
        cpuid
        mov     %ebx, %eax
        shr     $24, %eax
        out     %eax, $0x31
        mov     %ecx, %eax
        out     %eax, $0x32
        mov     %esi, %ecx
1:      out     %al, $0x30
        dec     %ecx
        jnz     1b
        mov     $1, %al
        out     %al, $0xf0
2:      cli
        hlt
        jmp     2b
