package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.runtime.acpi.AcpiTableBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stub a direct-booted x86 VM gets at its reset vector: Linux's reboot=bios jumps to F000:FFF0
 * (physical 0xFFFF0) and a CPU reset starts at 0xFFFFFFF0; both must reach code that resets the VM.
 */
class ResetVectorStubTest {
    private static final long MIB = 1L << 20;

    /** The bytes, as {@code objdump -D -b binary -m i8086 --adjust-vma=0xff00} decodes them (see the class). */
    @Test
    void theStubWritesTheResetControlRegisterThenTripleFaults() {
        byte[] b = ResetVectorStub.bytes();
        assertEquals(256, b.length);
        assertEquals("fab006baf90cee2e0f011e18ffccf4ebfd", HexFormat.of().formatHex(b, 0, 17));
        // lidt cs:[0xff18] finds an empty IDT there: limit 0, base 0
        assertEquals(0xFF18 - 0xFF00, ResetVectorStub.IDT_OFFSET);
        assertArrayEquals(new byte[6], Arrays.copyOfRange(b, 0x18, 0x1E));
        // F000:FFF0: jmp near to FF00 (rel16 0xff0d from FFF3); the rest hlt
        assertEquals("e90dff", HexFormat.of().formatHex(b, 0xF0, 0xF3));
        assertEquals(0xFF00, (0xFFF3 + (short) 0xFF0D) & 0xFFFF);
        for (int i = 0xF3; i < 256; i++) {
            assertEquals((byte) 0xF4, b[i]);
        }
    }

    @Test
    void linuxBootsGetTheStubBelowOneMibAndAtTheTopOfFourGib() throws Exception {
        SparseGuestMemory memory = new SparseGuestMemory(256 * MIB);
        List<Long> mapped = new ArrayList<>();
        List<byte[]> pages = new ArrayList<>();
        LinuxLoader.load(memory, (gpa, bytes) -> {
            mapped.add(gpa);
            pages.add(bytes);
        }, new ImageFile("kernel", new SyntheticBzImage().build()), null, "console=ttyS0", null);

        assertArrayEquals(ResetVectorStub.bytes(), memory.read(0xFFF00, 256), "F000:FF00..FFFF");
        assertEquals(0xE9, memory.readByte(0xFFFF0) & 0xFF, "the reset vector below 1 MiB jumps to the stub");
        assertEquals(List.of(0xFFFF_F000L), mapped);
        byte[] page = pages.get(0);
        assertEquals(4096, page.length);
        assertArrayEquals(ResetVectorStub.bytes(), Arrays.copyOfRange(page, 4096 - 256, 4096),
                "CS base 0xFFFF0000, IP 0xFFF0: the same stub at the same offsets");
    }

    @Test
    void theAcpiTablesEndBelowTheStub() {
        assertEquals(ResetVectorStub.LOW_ADDRESS, AcpiTableBuilder.DEFAULT_LIMIT);
    }
}
