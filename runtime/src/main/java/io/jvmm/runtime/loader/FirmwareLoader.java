package io.jvmm.runtime.loader;

import io.jvmm.api.hv.CpuBootState;
import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.runtime.acpi.AcpiTables;
import java.util.Arrays;
import java.util.Objects;

/**
 * Loads a flat firmware image the way QEMU's {@code -bios} does on a PC: the image ends at 4 GiB so
 * the reset vector (F000:FFF0, physical 0xFFFFFFF0) is its 16th-last byte, and its last 128 KiB (or
 * all of it, if smaller) also appear below 1 MiB, ending at 0x100000, where real-mode code expects
 * the BIOS segment.
 *
 * <p>The low copy differs from QEMU: QEMU maps it read-only, jvmm writes it into ordinary RAM, so the
 * guest can overwrite it. Firmware that runs from there (or shadows itself there, as SeaBIOS does)
 * works the same; only firmware that relies on that area being write-protected would notice.
 */
public final class FirmwareLoader {
    /** The largest image accepted (the size of a typical SPI flash BIOS region we model). */
    public static final int MAX_IMAGE_BYTES = 256 * 1024;
    /** How much of the image's end is mirrored below 1 MiB. */
    public static final int LOW_MIRROR_BYTES = 128 * 1024;
    /** The reset vector is the image's 16th-last byte (physical 0xFFFFFFF0). */
    public static final int RESET_VECTOR_BYTES = 16;
    private static final int PAGE = 4096;
    private static final String ROLE = "firmware image";

    private FirmwareLoader() {}

    /** {@link #load(GuestMemory, RomMapper, ImageFile)} for an image without a file name. */
    public static LoadedPayload load(GuestMemory memory, RomMapper rom, byte[] image)
            throws PayloadException, HypervisorException {
        return load(memory, rom, new ImageFile(ROLE, image));
    }

    /**
     * Maps the image below 4 GiB through {@code rom}, copies its tail below 1 MiB and returns the
     * reset-vector boot state.
     */
    public static LoadedPayload load(GuestMemory memory, RomMapper rom, ImageFile image)
            throws PayloadException, HypervisorException {
        return load(memory, rom, image, null);
    }

    /**
     * {@link #load(GuestMemory, RomMapper, ImageFile)}, and the board's ACPI tables at their base
     * (the RSDP at 0xE0000, where a legacy OS or our own firmware scans for it, §5.2.5.1) when they
     * end below the image's low copy; when they would overlap it (an image above 64 KiB) the
     * firmware brings its own tables, as SeaBIOS does, and these are left out (the description
     * says so).
     *
     * @param acpi the tables, or null for none
     */
    public static LoadedPayload load(GuestMemory memory, RomMapper rom, ImageFile image, AcpiTables acpi)
            throws PayloadException, HypervisorException {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(rom, "rom");
        byte[] bytes = image.bytes();
        String what = image.describe(ROLE);
        if (bytes.length == 0) {
            throw new PayloadException(what + " is empty; a firmware image is a flat binary whose last 16 bytes hold the reset vector");
        }
        if (bytes.length < RESET_VECTOR_BYTES) {
            // the CPU would start in the 0xFF padding below the image and run garbage
            throw new PayloadException(what + " is " + bytes.length + " bytes; a firmware image must be at least "
                    + RESET_VECTOR_BYTES + " bytes, since its last 16 bytes hold the reset vector");
        }
        if (bytes.length > MAX_IMAGE_BYTES) {
            throw new PayloadException(what + " is " + bytes.length + " bytes; firmware images may be at most "
                    + MAX_IMAGE_BYTES + " bytes (256 KiB)");
        }
        int lowLength = Math.min(bytes.length, LOW_MIRROR_BYTES);
        long lowAddr = X86Layout.HIMEM_START - lowLength;
        if (!memory.isRam(lowAddr, lowLength)) {
            throw new PayloadException("guest RAM does not cover [0x" + Long.toHexString(lowAddr)
                    + ", 0x100000) where the firmware's low copy goes; give the VM at least 1 MiB (--memory)");
        }

        // A hypervisor maps whole pages, so pad at the front: the end must stay at 4 GiB.
        int romLength = (bytes.length + PAGE - 1) / PAGE * PAGE;
        byte[] romBytes;
        if (romLength == bytes.length) {
            romBytes = bytes.clone();
        } else {
            romBytes = new byte[romLength];
            // 0xFF is what unprogrammed flash reads as
            Arrays.fill(romBytes, 0, romLength - bytes.length, (byte) 0xFF);
            System.arraycopy(bytes, 0, romBytes, romLength - bytes.length, bytes.length);
        }
        long romAddr = X86Layout.MMIO_HOLE_END - romLength;
        rom.mapRom(romAddr, romBytes);
        memory.write(lowAddr, bytes, bytes.length - lowLength, lowLength);

        String description = what + " (" + bytes.length + " bytes) at [" + Hex.of(X86Layout.MMIO_HOLE_END - bytes.length)
                + ", 4 GiB), last " + lowLength + " bytes also at [" + Hex.of(lowAddr) + ", 0x100000)";
        if (acpi != null) {
            long end = acpi.base() + acpi.image().length;
            if (acpi.base() >= X86Layout.EBDA_START && end <= lowAddr && memory.isRam(acpi.base(),
                    acpi.image().length)) {
                memory.write(acpi.base(), acpi.image());
                description += "; ACPI tables at [" + Hex.of(acpi.base()) + ", " + Hex.of(end) + "), RSDP at "
                        + Hex.of(acpi.rsdpAddress());
            } else {
                description += "; no ACPI tables: [" + Hex.of(acpi.base()) + ", " + Hex.of(end)
                        + ") would overlap the firmware's low copy";
            }
        }
        return new LoadedPayload(new CpuBootState.X86ResetVector(), description);
    }
}
