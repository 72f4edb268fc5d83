package io.jvmm.api.hv;

import java.io.IOException;
import java.nio.channels.FileChannel;

import io.jvmm.api.device.DmaMemory;

/**
 * Guest RAM as seen by loaders and DMA-capable devices. Addresses are guest physical; accesses
 * outside RAM (including the MMIO hole) throw {@link IllegalArgumentException} naming the range.
 */
public interface GuestMemory {
    /** Total RAM in bytes. */
    long size();

    /** Whether {@code [gpa, gpa + length)} is entirely RAM. */
    boolean isRam(long gpa, long length);

    void write(long gpa, byte[] source, int offset, int length);

    void read(long gpa, byte[] target, int offset, int length);

    /** Zeroes all RAM (used when a VM is reset). */
    void clear();

    default void write(long gpa, byte[] source) {
        write(gpa, source, 0, source.length);
    }

    /**
     * This memory as devices reach it for DMA: bounds-checked, with checked errors. The default
     * wraps {@link #isRam}, {@link #read(long, byte[], int, int)} and
     * {@link #write(long, byte[], int, int)}; backends override it with a direct implementation.
     */
    default DmaMemory dma() {
        return new GuestMemoryDma(this);
    }

    /**
     * Writes all of RAM to {@code file} from position 0: the RAM ranges in ascending guest-physical
     * order, holes (the MMIO gap) left out, so the file is {@link #size()} bytes long. All-zero pages
     * may be skipped, leaving holes in a sparse file. Call only while no vCPU runs and no device
     * does DMA. A file written here can be given back as {@link PartitionConfig#memoryImage()}.
     *
     * @throws UnsupportedOperationException when the backend cannot (this default)
     */
    default void saveImage(FileChannel file) throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot save guest memory");
    }

    default byte[] read(long gpa, int length) {
        byte[] out = new byte[length];
        read(gpa, out, 0, length);
        return out;
    }
}
