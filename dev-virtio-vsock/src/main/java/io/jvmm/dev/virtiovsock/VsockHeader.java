package io.jvmm.dev.virtiovsock;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The packet header, {@code struct virtio_vsock_hdr} (virtio 1.2 §5.10.6): 44 little-endian bytes
 * in front of every packet on the rx and tx queues. Ports, lengths and counters are u32 on the
 * wire and kept here as Java ints (compare them unsigned; the counters wrap by design).
 */
record VsockHeader(long srcCid, long dstCid, int srcPort, int dstPort, int len, int type, int op, int flags,
        int bufAlloc, int fwdCnt) {
    static final int SIZE = 44;

    static final int TYPE_STREAM = 1;

    static final int OP_REQUEST = 1;
    static final int OP_RESPONSE = 2;
    static final int OP_RST = 3;
    static final int OP_SHUTDOWN = 4;
    static final int OP_RW = 5;
    static final int OP_CREDIT_UPDATE = 6;
    static final int OP_CREDIT_REQUEST = 7;

    /** §5.10.6.4: the sender will receive no more data. */
    static final int SHUTDOWN_RECEIVE = 1;
    /** §5.10.6.4: the sender will send no more data. */
    static final int SHUTDOWN_SEND = 2;
    static final int SHUTDOWN_BOTH = SHUTDOWN_RECEIVE | SHUTDOWN_SEND;

    /** Reads a header from {@code b}'s next 44 bytes (its order is set to little-endian). */
    static VsockHeader read(ByteBuffer b) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        return new VsockHeader(b.getLong(), b.getLong(), b.getInt(), b.getInt(), b.getInt(),
                b.getShort() & 0xFFFF, b.getShort() & 0xFFFF, b.getInt(), b.getInt(), b.getInt());
    }

    /** Writes this header as the next 44 bytes of {@code b}. */
    void write(ByteBuffer b) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(srcCid).putLong(dstCid).putInt(srcPort).putInt(dstPort).putInt(len).putShort((short) type)
                .putShort((short) op).putInt(flags).putInt(bufAlloc).putInt(fwdCnt);
    }

    static String opName(int op) {
        return switch (op) {
            case OP_REQUEST -> "REQUEST";
            case OP_RESPONSE -> "RESPONSE";
            case OP_RST -> "RST";
            case OP_SHUTDOWN -> "SHUTDOWN";
            case OP_RW -> "RW";
            case OP_CREDIT_UPDATE -> "CREDIT_UPDATE";
            case OP_CREDIT_REQUEST -> "CREDIT_REQUEST";
            default -> "op " + op;
        };
    }
}
