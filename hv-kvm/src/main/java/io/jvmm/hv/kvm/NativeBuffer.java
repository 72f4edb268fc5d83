package io.jvmm.hv.kvm;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A zeroed native buffer for one ioctl structure, with a native-order {@link ByteBuffer} view for
 * field access by offset. Used on setup paths only; the run loop keeps its buffers.
 */
final class NativeBuffer {
    final Memory memory;
    final ByteBuffer bytes;

    NativeBuffer(int size) {
        memory = new Memory(size);
        memory.clear();
        bytes = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
    }

    int size() {
        return bytes.capacity();
    }
}
