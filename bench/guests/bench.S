/*
 * jvmm-bench guest: one 64 KiB firmware image (QEMU -bios style) per benchmark, built from this
 * source with --defsym MODE=n (see build.sh). Every contender (jvmm, QEMU, the bare C loop) boots
 * the same image from the reset vector.
 *
 * Signals go to the marker port 0xE9 (QEMU -debugcon, jvmm --debugcon, the C loop's marker file):
 * 'S' start of the measured work, 'E' its end, 'R' ready (memory guest). The guest then resets the
 * machine: the PM reset register at 0x433 (jvmm's ACPI PM block at 0x400), then the i8042 reset
 * pulse (0xFE to port 0x64, QEMU's pc machine). Each VMM ignores the other one's port.
 *
 * Modes:
 *   1 pio     'S', PIO_EXITS times `out %al, $0x30` (a port no VMM claims), 'E', reset
 *   2 serial  init COM1, 'S', SERIAL_BYTES through COM1 with LSR polling, 'E', reset
 *   3 start   'S' as the very first port write (real mode), reset
 *   4 memory  write one dword per 4 KiB page of [0, 640 KiB) and [1 MiB, RAM_BYTES), 'R', then
 *             halt with interrupts off until the VMM is told to stop
 */
        .set MARKER,       0xe9
        .set PIO_PORT,     0x30
        .set PIO_EXITS,    200000
        .set COM1,         0x3f8
        .set SERIAL_BYTES, 262144
        .set RAM_BYTES,    0x10000000      /* 256 MiB */
        .set PM_RESET,     0x433
        .set KBC_CMD,      0x64

        .macro marker ch
        movb    $\ch, %al
        outb    %al, $MARKER
        .endm

        /* Valid in 16- and 32-bit code: as encodes it for the current mode. */
        .macro reset_machine
        movb    $0x01, %al
        movw    $PM_RESET, %dx
        outb    %al, %dx
        movb    $0xfe, %al
        outb    %al, $KBC_CMD
1:      cli
        hlt
        jmp     1b
        .endm

        .text
        .code16
        .globl _start
_start:
init16:
        cli
        cld
.if MODE == 3
        marker  'S'
        reset_machine
.else
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

.if MODE == 1
        marker  'S'
        movl    $PIO_EXITS, %ecx
1:      outb    %al, $PIO_PORT
        decl    %ecx
        jnz     1b
        marker  'E'
        reset_machine
.elseif MODE == 2
        call    serial_init
        marker  'S'
        xorl    %ebx, %ebx
2:      movl    %ebx, %eax
        andl    $63, %eax
        movb    pattern(%eax), %al
        call    putc
        incl    %ebx
        cmpl    $SERIAL_BYTES, %ebx
        jb      2b
        marker  'E'
        reset_machine
.elseif MODE == 4
        xorl    %edi, %edi
3:      movl    %edi, (%edi)
        addl    $4096, %edi
        cmpl    $0xa0000, %edi
        jb      3b
        movl    $0x100000, %edi
4:      movl    %edi, (%edi)
        addl    $4096, %edi
        cmpl    $RAM_BYTES, %edi
        jb      4b
        marker  'R'
5:      hlt
        jmp     5b
.else
        .error "MODE must be 1 (pio), 2 (serial), 3 (start) or 4 (memory)"
.endif

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

/* putc: the byte in %al, once LSR says the transmit holding register is empty. */
putc:
        movb    %al, %ah
        movw    $COM1+5, %dx
1:      inb     %dx, %al
        testb   $0x20, %al
        jz      1b
        movb    %ah, %al
        movw    $COM1, %dx
        outb    %al, %dx
        ret

/* 64 bytes, repeated: the harness checks the output file against this. */
pattern:
        .ascii  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+\n"

        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      /* 0x08: flat code, accessed (ROM cannot take the A bit) */
        .quad   0x00cf93000000ffff      /* 0x10: flat data, accessed */
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt
.endif

        .org    0xfff0
        .code16
reset_vector:
        ljmp    $0xf000, $(init16 - _start)     /* the low copy at 0xF0000 */
        .org    0x10000, 0
