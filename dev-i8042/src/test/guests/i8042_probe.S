/*
 * i8042_probe: a 64 KiB real-mode firmware image that probes the i8042 the way Linux does and
 * then resets the machine through it. Hypervisor-independent: it needs only port I/O.
 *
 * Load the image so that its last 16 bytes are the reset vector: at guest-physical 0xF0000
 * (a CPU started at F000:FFF0) and, for a CPU with the architectural reset CS base, also
 * aliased at 0xFFFF0000. The vector far-jumps to F000:start, so the copy at 0xF0000 must exist.
 * No RAM, stack or interrupts are used.
 *
 * Every result byte is written to the debug port 0xE9. Expected output (hex):
 *   14              status at power-on: system flag, keyboard not inhibited
 *   55              controller self test (0xAA)
 *   00              keyboard interface test (0xAB)
 *   47              command byte (0x20)
 *   44              command byte after writing 0x44 (0x60, 0x44)
 *   FA AA           keyboard reset (0xFF)
 *   FA AB 41        keyboard identify (0xF2)
 *   FA              keyboard enable (0xF4)
 * then 0xFE is written to port 0x64 (pulse the reset line). If the machine is still running
 * after that, 'X' (0x58) follows and the CPU halts.
 * A wait that times out writes 'I' (input buffer never emptied) or 'T' (no output byte) instead.
 *
 * Rebuild with build.sh (GNU as and ld).
 */
    .code16
    .text

    .equ STATUS, 0x64
    .equ COMMAND, 0x64
    .equ DATA, 0x60
    .equ DEBUG, 0xE9
    .equ RETRIES, 0xFFFF

/* Waits (bounded) until the controller's input buffer is empty. Clobbers AL, CX. */
.macro WAIT_INPUT_EMPTY
    mov $RETRIES, %cx
1:  in $STATUS, %al
    test $0x02, %al
    jz 2f
    loop 1b
    mov $'I', %al
    out %al, $DEBUG
2:
.endm

/* Writes a controller command. */
.macro CONTROLLER cmd
    WAIT_INPUT_EMPTY
    mov $\cmd, %al
    out %al, $COMMAND
.endm

/* Writes a byte to the data port (to the keyboard, or a command's parameter). */
.macro DATA_OUT value
    WAIT_INPUT_EMPTY
    mov $\value, %al
    out %al, $DATA
.endm

/* Waits (bounded) for an output byte and copies it to the debug port. Clobbers AL, CX. */
.macro RESULT
    mov $RETRIES, %cx
1:  in $STATUS, %al
    test $0x01, %al
    jnz 2f
    loop 1b
    mov $'T', %al
    out %al, $DEBUG
    jmp 3f
2:  in $DATA, %al
    out %al, $DEBUG
3:
.endm

    .globl start
start:
    cli
    cld

    /* Status at power-on. */
    in $STATUS, %al
    out %al, $DEBUG

    /* i8042_flush: drain stale output (at most 16 bytes). */
    mov $16, %bx
flush:
    in $STATUS, %al
    test $0x01, %al
    jz flushed
    in $DATA, %al
    dec %bx
    jnz flush
flushed:

    CONTROLLER 0xAA             /* controller self test */
    RESULT
    CONTROLLER 0xAB             /* keyboard interface test */
    RESULT
    CONTROLLER 0x20             /* read command byte */
    RESULT
    CONTROLLER 0x60             /* write command byte: IRQs off, system flag, translation */
    DATA_OUT 0x44
    CONTROLLER 0x20
    RESULT

    DATA_OUT 0xFF               /* keyboard reset */
    RESULT
    RESULT
    DATA_OUT 0xF2               /* keyboard identify */
    RESULT
    RESULT
    RESULT
    DATA_OUT 0xF4               /* keyboard enable */
    RESULT

    CONTROLLER 0xFE             /* pulse the reset line */

    /* Give the VMM a few thousand exits to act on the reset before declaring failure. */
    mov $0x1000, %cx
linger:
    in $STATUS, %al
    loop linger

    mov $'X', %al
    out %al, $DEBUG
halt:
    hlt
    jmp halt

    /* The reset vector, in the last 16 bytes of the image. */
    .org 0xFFF0
reset_vector:
    ljmp $0xF000, $start
    .org 0x10000, 0xF4          /* pad with HLT to exactly 64 KiB */

    .section .note.GNU-stack, "", @progbits
