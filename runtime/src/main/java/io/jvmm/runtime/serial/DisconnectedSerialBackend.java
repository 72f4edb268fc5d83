package io.jvmm.runtime.serial;

import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.util.concurrent.atomic.AtomicLong;

/** Never connected: output is taken and dropped (and counted), input never arrives. */
public final class DisconnectedSerialBackend implements SerialBackend {
    public DisconnectedSerialBackend() {}

    private final AtomicLong dropped = new AtomicLong();

    @Override
    public boolean isConnected() {
        return false;
    }

    @Override
    public int write(byte[] data, int offset, int length) {
        dropped.addAndGet(length);
        return length;
    }

    @Override
    public int read(byte[] data, int offset, int length) {
        return 0;
    }

    @Override
    public void setListener(SerialBackendListener listener) {
        // Nothing ever changes.
    }

    @Override
    public long droppedBytes() {
        return dropped.get();
    }

    @Override
    public void close() {}
}
