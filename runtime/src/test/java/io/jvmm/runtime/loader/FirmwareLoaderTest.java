package io.jvmm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.HypervisorException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirmwareLoaderTest {
    private record Mapping(long gpa, byte[] bytes) {}

    private final List<Mapping> mappings = new ArrayList<>();
    private final RomMapper recorder = (gpa, bytes) -> mappings.add(new Mapping(gpa, bytes));
    private final SparseGuestMemory memory = new SparseGuestMemory(64L << 20);

    @Test
    void sixtyFourKibImageEndsAtFourGibAndBelowOneMib() throws Exception {
        byte[] image = SyntheticBzImage.pattern(64 * 1024, 3);
        LoadedPayload payload = FirmwareLoader.load(memory, recorder, image);

        assertInstanceOf(CpuBootState.X86ResetVector.class, payload.bootState());
        assertEquals(1, mappings.size());
        assertEquals(0xFFFF_0000L, mappings.get(0).gpa());
        assertArrayEquals(image, mappings.get(0).bytes());
        assertArrayEquals(image, memory.read(0xF0000, image.length));
        assertTrue(payload.description().contains("0xffff0000"), payload.description());
    }

    @Test
    void largeImageMirrorsOnlyItsLast128Kib() throws Exception {
        byte[] image = SyntheticBzImage.pattern(256 * 1024, 5);
        FirmwareLoader.load(memory, recorder, image);

        assertEquals(0xFFFC_0000L, mappings.get(0).gpa());
        assertArrayEquals(image, mappings.get(0).bytes());
        assertArrayEquals(Arrays.copyOfRange(image, 128 * 1024, 256 * 1024), memory.read(0xE0000, 128 * 1024));
        // nothing below the mirror
        assertArrayEquals(new byte[4096], memory.read(0xE0000 - 4096, 4096));
    }

    @Test
    void oddSizedImageIsPaddedAtTheFrontSoItStillEndsAtFourGib() throws Exception {
        byte[] image = SyntheticBzImage.pattern(1000, 9);
        FirmwareLoader.load(memory, recorder, image);

        Mapping rom = mappings.get(0);
        assertEquals(0xFFFF_F000L, rom.gpa());
        assertEquals(4096, rom.bytes().length);
        assertArrayEquals(image, Arrays.copyOfRange(rom.bytes(), 4096 - 1000, 4096));
        for (int i = 0; i < 4096 - 1000; i++) {
            assertEquals((byte) 0xFF, rom.bytes()[i], "padding byte " + i);
        }
        assertArrayEquals(image, memory.read(0x100000 - 1000, 1000));
    }

    @Test
    void romBytesAreACopy() throws Exception {
        byte[] image = SyntheticBzImage.pattern(8192, 1);
        FirmwareLoader.load(memory, recorder, image);
        image[0] ^= 0x55;
        assertArrayEquals(SyntheticBzImage.pattern(8192, 1), mappings.get(0).bytes());
    }

    @Test
    void rejectsEmptyAndOversizedImages() {
        PayloadException empty = assertThrows(PayloadException.class,
                () -> FirmwareLoader.load(memory, recorder, new ImageFile("/fw/empty.bin", new byte[0])));
        assertEquals("firmware image '/fw/empty.bin' is empty; a firmware image is a flat binary whose last 16 bytes "
                + "hold the reset vector", empty.getMessage());

        PayloadException big = assertThrows(PayloadException.class,
                () -> FirmwareLoader.load(memory, recorder, new byte[256 * 1024 + 1]));
        assertEquals("firmware image is 262145 bytes; firmware images may be at most 262144 bytes (256 KiB)", big.getMessage());
        assertTrue(mappings.isEmpty());
        assertEquals(0, memory.writes());
    }

    @Test
    void rejectsImagesTooShortToHoldTheResetVector() throws Exception {
        PayloadException tiny = assertThrows(PayloadException.class,
                () -> FirmwareLoader.load(memory, recorder, new ImageFile("/fw/tiny.bin", new byte[15])));
        assertEquals("firmware image '/fw/tiny.bin' is 15 bytes; a firmware image must be at least 16 bytes, since "
                + "its last 16 bytes hold the reset vector", tiny.getMessage());
        assertTrue(mappings.isEmpty());
        FirmwareLoader.load(memory, recorder, new byte[16]);
        assertEquals(1, mappings.size());
    }

    @Test
    void rejectsMemoryWithoutTheLowMirrorRange() {
        SparseGuestMemory tiny = new SparseGuestMemory(512 * 1024);
        PayloadException e = assertThrows(PayloadException.class,
                () -> FirmwareLoader.load(tiny, recorder, new byte[64 * 1024]));
        assertEquals("guest RAM does not cover [0xf0000, 0x100000) where the firmware's low copy goes; "
                + "give the VM at least 1 MiB (--memory)", e.getMessage());
    }

    @Test
    void hypervisorFailurePropagates() {
        HypervisorException failure = new HypervisorException("KVM_SET_USER_MEMORY_REGION failed: EEXIST");
        HypervisorException thrown = assertThrows(HypervisorException.class,
                () -> FirmwareLoader.load(memory, (gpa, bytes) -> {
                    throw failure;
                }, new byte[4096]));
        assertSame(failure, thrown);
    }

    @Test
    void acpiTablesGoBelowASmallImagesLowCopyOnly() throws Exception {
        io.jvmm.runtime.acpi.AcpiTables tables = io.jvmm.runtime.acpi.AcpiTableBuilder.build(
                new io.jvmm.runtime.acpi.AcpiPlatform(1, java.util.Optional.empty(), true, false, false, false, 0,
                        false, false, List.of()));
        byte[] small = SyntheticBzImage.pattern(64 * 1024, 3);
        LoadedPayload payload = FirmwareLoader.load(memory, recorder, new ImageFile("fw", small), tables);
        assertArrayEquals(tables.image(), memory.read(0xE0000, tables.image().length));
        assertArrayEquals(small, memory.read(0xF0000, small.length));
        assertTrue(payload.description().contains("RSDP at 0xe0000"), payload.description());

        byte[] large = SyntheticBzImage.pattern(256 * 1024, 5);
        SparseGuestMemory other = new SparseGuestMemory(64L << 20);
        LoadedPayload left = FirmwareLoader.load(other, recorder, new ImageFile("fw", large), tables);
        assertArrayEquals(Arrays.copyOfRange(large, 128 * 1024, 256 * 1024), other.read(0xE0000, 128 * 1024));
        assertTrue(left.description().contains("no ACPI tables"), left.description());
    }
}
