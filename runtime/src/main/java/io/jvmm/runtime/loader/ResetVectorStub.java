package io.jvmm.runtime.loader;

import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;

/**
 * Something sane at the x86 reset vector for guests booted without firmware. Linux's
 * {@code reboot=bios} ({@code machine_real_restart}) switches to real mode and jumps to F000:FFF0,
 * physical 0xFFFF0, expecting the BIOS there; a CPU reset starts at CS base 0xFFFF0000, IP 0xFFF0,
 * physical 0xFFFFFFF0. A direct-booted VM has no BIOS, so without this the vCPU ran whatever bytes
 * lay there (zeros) forever. jvmm puts this 16-bit stub at the end of segment F000 in both places
 * (the last 256 bytes of low RAM below 1 MiB, inside the e820-reserved BIOS area, and a 4 KiB ROM
 * page ending at 4 GiB), so it runs with the same offsets under either CS base:
 *
 * <pre>
 * FF00: fa                 cli
 * FF01: b0 06              mov  al, 0x06            ; SYS_RST | RST_CPU: hard reset
 * FF03: ba f9 0c           mov  dx, 0xcf9
 * FF06: ee                 out  dx, al              ; the reset control register (reset_control)
 * FF07: 2e 0f 01 1e 18 ff  lidt cs:[0xff18]         ; no reset control? an IDT of limit 0 ...
 * FF0D: cc                 int3                     ; ... so #BP, #GP, #DF do not fit: triple fault
 * FF0E: f4                 hlt                      ; (not reached)
 * FF0F: eb fd              jmp  FF0E
 * FF18: 00 00 00 00 00 00  the empty IDT: limit 0, base 0
 * FFF0: e9 0d ff           jmp  FF00                ; the reset vector, near: keeps the CS base
 * </pre>
 *
 * Either way the VM resets (or the run ends under {@code --on-reset exit}), with the reset
 * control register or the triple fault as the reported cause.
 */
public final class ResetVectorStub {
    /** Where the stub starts below 1 MiB: F000:FF00. */
    public static final long LOW_ADDRESS = 0xF_FF00L;
    /** The ROM page that ends at 4 GiB. */
    public static final long TOP_PAGE_ADDRESS = 0xFFFF_F000L;
    /** The stub's length: the last 256 bytes of segment F000. */
    public static final int LENGTH = 0x100;
    private static final int PAGE = 4096;

    private static final byte[] CODE = {
        (byte) 0xFA,                                     // FF00 cli
        (byte) 0xB0, 0x06,                               // FF01 mov al, 6
        (byte) 0xBA, (byte) 0xF9, 0x0C,                  // FF03 mov dx, 0xcf9
        (byte) 0xEE,                                     // FF06 out dx, al
        0x2E, 0x0F, 0x01, 0x1E, 0x18, (byte) 0xFF,       // FF07 lidt cs:[0xff18]
        (byte) 0xCC,                                     // FF0D int3
        (byte) 0xF4,                                     // FF0E hlt
        (byte) 0xEB, (byte) 0xFD,                        // FF0F jmp FF0E
    };
    /** Offset of the empty IDT descriptor in the stub. */
    static final int IDT_OFFSET = 0x18;
    /** Offset of the reset vector (FFF0) in the stub. */
    static final int VECTOR_OFFSET = 0xF0;
    private static final byte[] VECTOR = {(byte) 0xE9, 0x0D, (byte) 0xFF}; // jmp near FF00

    private ResetVectorStub() {}

    /** The stub's 256 bytes, F000:FF00 to F000:FFFF. */
    public static byte[] bytes() {
        byte[] b = new byte[LENGTH];
        System.arraycopy(CODE, 0, b, 0, CODE.length);
        // b[IDT_OFFSET .. +6) stay zero: limit 0, base 0
        System.arraycopy(VECTOR, 0, b, VECTOR_OFFSET, VECTOR.length);
        for (int i = VECTOR_OFFSET + VECTOR.length; i < LENGTH; i++) {
            b[i] = (byte) 0xF4; // hlt
        }
        return b;
    }

    /** Writes the stub below 1 MiB (F000:FF00, physical 0xFFF00). */
    public static void writeLow(GuestMemory memory) {
        memory.write(LOW_ADDRESS, bytes());
    }

    /** Maps a ROM page ending at 4 GiB whose last 256 bytes are the stub. */
    public static void mapTop(RomMapper rom) throws HypervisorException {
        byte[] page = new byte[PAGE];
        System.arraycopy(bytes(), 0, page, PAGE - LENGTH, LENGTH);
        rom.mapRom(TOP_PAGE_ADDRESS, page);
    }
}
