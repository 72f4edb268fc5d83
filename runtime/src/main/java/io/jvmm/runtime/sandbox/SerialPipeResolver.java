package io.jvmm.runtime.sandbox;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves {@code serial_backend:sandbox_pipe}: a serial port whose host side is a pair of streams
 * in this process, for the sandbox's serial transport (the agent on the guest's COM2). What the
 * guest sends is read from {@link Pipe#input()}; what is written to {@link Pipe#output()} reaches
 * the guest. Both directions are bounded: a full buffer makes the device hold its bytes (the
 * guest's UART stops) or the host writer wait, never drops.
 */
final class SerialPipeResolver implements ResourceResolver<SerialPipeResolver.PipeHandle, SerialBackend> {
    static final String ID = "sandbox_pipe";
    private static final int CAPACITY = 64 << 10;

    /** Names a pipe registered with {@link #pipe}. */
    record PipeHandle(String name) implements ResourceHandle {
        PipeHandle {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public void writeConfig(ConfigWriter out) {
            out.string("name", name);
        }
    }

    private final Map<String, Pipe> pipes = new ConcurrentHashMap<>();

    /** Registers a new pipe under {@code name}; the resource is the port's backend in a manifest. */
    Resource<SerialBackend> register(String name, Pipe pipe) {
        if (pipes.putIfAbsent(name, pipe) != null) {
            throw new IllegalArgumentException("a sandbox pipe named '" + name + "' is registered already");
        }
        return Resource.of(ResourceKinds.SERIAL_BACKEND, ID, new PipeHandle(name));
    }

    @Override
    public ResourceKind<SerialBackend> kind() {
        return ResourceKinds.SERIAL_BACKEND;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<PipeHandle> handleType() {
        return PipeHandle.class;
    }

    @Override
    public PipeHandle parseHandle(ConfigReader config) {
        return new PipeHandle(config.string("name"));
    }

    @Override
    public SerialBackend resolve(PipeHandle handle, ResolveContext context) throws ResolveException {
        Pipe p = pipes.get(handle.name());
        if (p == null) {
            throw new ResolveException("device '" + context.deviceName() + "': no sandbox pipe named '" + handle.name() + "'");
        }
        return p;
    }

    /** A bounded byte ring. Not thread-safe: guarded by its Pipe. */
    private static final class Ring {
        private final byte[] buf = new byte[CAPACITY];
        private int head;
        private int size;

        int put(byte[] data, int off, int len) {
            int n = Math.min(len, buf.length - size);
            for (int i = 0; i < n; i++) {
                buf[(head + size + i) % buf.length] = data[off + i];
            }
            size += n;
            return n;
        }

        int take(byte[] data, int off, int len) {
            int n = Math.min(len, size);
            for (int i = 0; i < n; i++) {
                data[off + i] = buf[(head + i) % buf.length];
            }
            head = (head + n) % buf.length;
            size -= n;
            return n;
        }
    }

    /** The backend (the device's side) and the host's streams of one serial port. */
    static final class Pipe implements SerialBackend {
        private final Object lock = new Object();
        private final Ring fromGuest = new Ring();
        private final Ring toGuest = new Ring();
        private SerialBackendListener listener;
        private boolean closed;

        @Override
        public boolean isConnected() {
            return true;
        }

        /** The guest's output: taken as far as there is room; the device keeps the rest and retries on changed(). */
        @Override
        public int write(byte[] data, int offset, int length) {
            synchronized (lock) {
                if (closed) {
                    return length; // nobody reads any more: like a disconnected port, take and drop
                }
                int n = fromGuest.put(data, offset, length);
                lock.notifyAll();
                return n;
            }
        }

        /** The guest's input, as much as is waiting. */
        @Override
        public int read(byte[] data, int offset, int length) {
            int n;
            synchronized (lock) {
                n = toGuest.take(data, offset, length);
                if (n > 0) {
                    lock.notifyAll();
                }
            }
            return n;
        }

        @Override
        public void setListener(SerialBackendListener l) {
            synchronized (lock) {
                this.listener = l;
            }
        }

        private SerialBackendListener listener() {
            synchronized (lock) {
                return listener;
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                closed = true;
                lock.notifyAll();
            }
        }

        /** What the guest sent; blocks until something arrives; -1 after close. */
        InputStream input() {
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) {
                        return 0;
                    }
                    int n;
                    synchronized (lock) {
                        while (fromGuest.size == 0 && !closed) {
                            waitLocked();
                        }
                        if (fromGuest.size == 0) {
                            return -1;
                        }
                        n = fromGuest.take(b, off, len);
                    }
                    SerialBackendListener l = listener();
                    if (l != null) {
                        l.changed(); // room again: the device may offer what it held back
                    }
                    return n;
                }
            };
        }

        /** To the guest; blocks while the buffer is full; fails after close. */
        OutputStream output() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    while (len > 0) {
                        int n;
                        synchronized (lock) {
                            while (toGuest.size == CAPACITY && !closed) {
                                waitLocked();
                            }
                            if (closed) {
                                throw new IOException("the sandbox's serial port is closed");
                            }
                            n = toGuest.put(b, off, len);
                        }
                        off += n;
                        len -= n;
                        SerialBackendListener l = listener();
                        if (l != null) {
                            l.changed(); // input waiting: the device pulls it into the UART's FIFO
                        }
                    }
                }
            };
        }

        private void waitLocked() throws InterruptedIOException {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted waiting on the sandbox's serial port");
            }
        }
    }
}
