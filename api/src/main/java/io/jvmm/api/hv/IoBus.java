package io.jvmm.api.hv;

/**
 * Where a vCPU sends its I/O exits: the board. Implementations never allocate, never throw, and
 * take only the owning device's lock. {@code data.length} is the access size.
 */
public interface IoBus {
    void pioRead(int port, byte[] data);

    void pioWrite(int port, byte[] data);

    void mmioRead(long address, byte[] data);

    void mmioWrite(long address, byte[] data);
}
