package io.jvmm.dev.pl011;

import static io.jvmm.dev.pl011.Pl011Registers.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoResult;
import io.jvmm.testkit.SerialPipe;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The register table: every offset of the page at every access width, reset values, stored bits. */
class Pl011RegisterTest {
    private static final Set<Integer> READABLE = Set.of(DR, RSR_ECR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS,
            MIS, DMACR, 0xFE0, 0xFE4, 0xFE8, 0xFEC, 0xFF0, 0xFF4, 0xFF8, 0xFFC);
    /** Writable at any width: 8-bit registers. */
    private static final Set<Integer> BYTE_WRITABLE = Set.of(DR, RSR_ECR, ILPR, FBRD, LCR_H);
    /** Writable with 2 bytes or more. */
    private static final Set<Integer> HALF_WRITABLE = Set.of(IBRD, CR, IFLS, IMSC, ICR, DMACR);

    private final Pl011Harness u = Pl011Harness.on(new SerialPipe());

    private static IoResult expectedRead(int offset) {
        if ((offset & 3) != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        return READABLE.contains(offset) ? IoResult.OK : IoResult.INVALID_REGISTER;
    }

    private static IoResult expectedWrite(int offset, int width) {
        if ((offset & 3) != 0) {
            return IoResult.UNALIGNED_ACCESS;
        }
        if (BYTE_WRITABLE.contains(offset)) {
            return IoResult.OK;
        }
        if (HALF_WRITABLE.contains(offset)) {
            return width == 1 ? IoResult.INVALID_ACCESS_SIZE : IoResult.OK;
        }
        return IoResult.INVALID_REGISTER;
    }

    @Test
    void everyOffsetAtEveryWidthReadsAsTheTableSays() {
        for (int offset = 0; offset < WINDOW_SIZE; offset++) {
            for (int width : new int[] {1, 2, 4, 8}) {
                byte[] data = new byte[width];
                Arrays.fill(data, (byte) 0x5A);
                IoResult r = u.mmio.mmioRead(u.base + offset, data);
                assertEquals(expectedRead(offset), r, "read 0x" + Integer.toHexString(offset) + " width " + width);
                if (r != IoResult.OK) {
                    byte[] untouched = new byte[width];
                    Arrays.fill(untouched, (byte) 0x5A);
                    assertArrayEquals(untouched, data, "a failed read leaves the buffer to the bus");
                } else if (width > 2) {
                    for (int i = 2; i < width; i++) {
                        assertEquals(0, data[i], "bytes above 16 bits read as zero at 0x" + Integer.toHexString(offset));
                    }
                }
            }
        }
    }

    @Test
    void everyOffsetAtEveryWidthWritesAsTheTableSays() {
        for (int offset = 0; offset < WINDOW_SIZE; offset++) {
            for (int width : new int[] {1, 2, 4, 8}) {
                // Zero is harmless everywhere except CR (it disables the UART, which nothing here needs).
                assertEquals(expectedWrite(offset, width), u.write(offset, 0, width),
                        "write 0x" + Integer.toHexString(offset) + " width " + width);
            }
        }
    }

    @Test
    void readOnlyAndIdRegistersRejectWritesAndIcrRejectsReads() {
        for (int reg : new int[] {FR, RIS, MIS, 0xFE0, 0xFE4, 0xFE8, 0xFEC, 0xFF0, 0xFF4, 0xFF8, 0xFFC}) {
            for (int width : new int[] {1, 2, 4, 8}) {
                assertEquals(IoResult.INVALID_REGISTER, u.write(reg, 0xFF, width), "0x" + Integer.toHexString(reg));
            }
        }
        for (int width : new int[] {1, 2, 4, 8}) {
            assertEquals(IoResult.INVALID_REGISTER, u.read(ICR, width));
        }
        for (int reg : new int[] {IBRD, CR, IFLS, IMSC, ICR, DMACR}) {
            assertEquals(IoResult.INVALID_ACCESS_SIZE, u.write(reg, 0, 1), "byte write 0x" + Integer.toHexString(reg));
        }
        for (int offset = 1; offset < 4; offset++) {
            assertEquals(IoResult.UNALIGNED_ACCESS, u.read(offset, 1));
            assertEquals(IoResult.UNALIGNED_ACCESS, u.write(FR + offset, 0, 1));
        }
    }

    @Test
    void identificationRegistersNameAPl011Revision3PrimeCell() {
        int[] periph = {0x11, 0x10, 0x34, 0x00};
        int[] cell = {0x0D, 0xF0, 0x05, 0xB1};
        long periphId = 0;
        long cellId = 0;
        for (int i = 0; i < 4; i++) {
            assertEquals(periph[i], u.r(0xFE0 + 4 * i));
            assertEquals(cell[i], u.r(0xFF0 + 4 * i));
            periphId |= (long) u.r(0xFE0 + 4 * i) << (8 * i);
            cellId |= (long) u.r(0xFF0 + 4 * i) << (8 * i);
        }
        assertEquals(0x00341011L, periphId, "part 0x011, designer 0x41 (ARM), revision 3");
        assertEquals(0xB105F00DL, cellId);
        // Linux's AMBA bus matches id 0x00041011 under mask 0x000fffff and takes the revision from bits 20-23.
        assertEquals(0x00041011L, periphId & 0x000FFFFF);
        assertEquals(3, (periphId >>> 20) & 0xF);
    }

    @Test
    void resetStateIsWhatSbsaFirmwareLeaves() {
        assertEquals(CR_UARTEN | CR_TXE | CR_RXE, u.r(CR));
        assertEquals(LCR_H_FEN, u.r(LCR_H));
        assertEquals(0x12, u.r(IFLS));
        assertEquals(0, u.r(IMSC));
        assertEquals(0, u.r(MIS));
        assertEquals(INT_CTS | INT_DCD | INT_DSR, u.r(RIS), "the backend was already connected");
        assertEquals(FR_CTS | FR_DSR | FR_DCD | FR_RXFE | FR_TXFE, u.r(FR));
        assertEquals(0, u.r(IBRD));
        assertEquals(0, u.r(FBRD));
        assertEquals(0, u.r(ILPR));
        assertEquals(0, u.r(DMACR));
        assertEquals(0, u.r(RSR_ECR));
        assertEquals(0, u.r(DR), "an empty RX FIFO reads 0");
    }

    @Test
    void storedBitsAreMaskedPerRegister() {
        u.w(IFLS, 0xFFFF);
        assertEquals(0x3F, u.r(IFLS), "TXIFLSEL and RXIFLSEL only");
        u.w(IMSC, 0xFFFF);
        assertEquals(0x7FF, u.r(IMSC), "bits 11-15 dropped");
        u.w(DMACR, 0xFFFF);
        assertEquals(0x7, u.r(DMACR));
        u.w(CR, 0xFFFF);
        assertEquals(0xFF87, u.r(CR), "bits 3-6 (IrDA) read as zero");
        u.w(CR, 0);
        u.w(ILPR, 0x1FF);
        assertEquals(0xFF, u.r(ILPR));
        u.w(IBRD, 0x1_ABCD);
        u.w(FBRD, 0xFF);
        u.w(LCR_H, 0x1FE);
        assertEquals(0xABCD, u.r(IBRD), "16 bits, latched by the LCR_H write");
        assertEquals(0x3F, u.r(FBRD), "6 bits");
        assertEquals(0xFE, u.r(LCR_H));
    }

    @Test
    void narrowAndWideReadsOfASixteenBitRegister() {
        u.w(CR, 0);
        u.w(IBRD, 0x1234);
        u.w(LCR_H, LCR_H_WLEN_8);
        byte[] one = new byte[1];
        byte[] two = new byte[2];
        byte[] eight = new byte[8];
        Arrays.fill(eight, (byte) 0x77);
        assertEquals(IoResult.OK, u.mmio.mmioRead(u.base + IBRD, one));
        assertEquals(IoResult.OK, u.mmio.mmioRead(u.base + IBRD, two));
        assertEquals(IoResult.OK, u.mmio.mmioRead(u.base + IBRD, eight));
        assertEquals(0x34, one[0] & 0xFF);
        assertEquals(0x1234, IoData.get(two));
        assertEquals(0x1234, IoData.get(eight), "zero-extended to the access width");
        assertEquals(IoResult.OK, u.write(IBRD, 0x5678_9ABCL, 4));
        assertEquals(IoResult.OK, u.write(LCR_H, LCR_H_WLEN_8, 8));
        assertEquals(0x9ABC, u.r(IBRD), "a wider write stores the low 16 bits");
    }
}
