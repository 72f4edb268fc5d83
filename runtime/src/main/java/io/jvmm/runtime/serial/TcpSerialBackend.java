package io.jvmm.runtime.serial;

import io.jvmm.api.serial.SerialBackend;
import io.jvmm.api.serial.SerialBackendListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on a TCP address and serves one client at a time; a second client gets a one-line
 * notice and is closed. Connected while a client is attached; while none is, output is taken and
 * dropped (and counted). Each client gets its own reader and writer threads and bounded queues;
 * when it leaves, whatever was queued for it is dropped.
 */
public final class TcpSerialBackend implements SerialBackend {
    private static final Logger LOG = LoggerFactory.getLogger(TcpSerialBackend.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);
    private static final byte[] BUSY = "jvmm: this serial port already has a client\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final String name;
    private final int capacity;
    private final ServerSocketChannel server;
    private final InetSocketAddress bound;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final BoundedBuffer injected = new BoundedBuffer(4096);
    private volatile Client client;
    private volatile SerialBackendListener listener = () -> {};
    private final Thread acceptor;
    /** How long close() waits for the acceptor to leave accept(2); it is woken at once, normally in microseconds. */
    private static final long ACCEPTOR_JOIN_MILLIS = 2000;

    private TcpSerialBackend(String name, int capacity, ServerSocketChannel server) throws IOException {
        this.name = name;
        this.capacity = capacity;
        this.server = server;
        this.bound = (InetSocketAddress) server.getLocalAddress();
        this.acceptor = SerialThreads.start(name + "-accept", this::acceptLoop);
    }

    /**
     * Binds {@code host:port} (port 0 picks a free one) and starts accepting.
     *
     * @throws IOException when the address cannot be bound
     */
    public static TcpSerialBackend listen(String name, String host, int port, int capacity) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IOException("unknown host '" + host + "'");
        }
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(address, 1);
            return new TcpSerialBackend(name, capacity, server);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The address actually bound (tells tests the port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return bound;
    }

    public int port() {
        return bound.getPort();
    }

    @Override
    public boolean isConnected() {
        return client != null;
    }

    @Override
    public int write(byte[] data, int offset, int length) {
        Client c = client;
        if (c == null) {
            dropped.addAndGet(length);
            return length;
        }
        return c.output.offer(data, offset, length);
    }

    @Override
    public int read(byte[] data, int offset, int length) {
        int n = injected.poll(data, offset, length);
        if (n > 0) {
            return n;
        }
        Client c = client;
        return c == null ? 0 : c.input.poll(data, offset, length);
    }

    @Override
    public void flush() {
        Client c = client;
        if (c != null) {
            c.output.flush(DRAIN_TIMEOUT);
        }
    }

    /** Queues control-socket input as if the client had sent it; false when it does not fit. */
    @Override
    public boolean injectInput(byte[] data) {
        if (injected.capacity() - injected.size() < data.length) {
            return false;
        }
        injected.offer(data, 0, data.length);
        listener.changed();
        return true;
    }

    @Override
    public void setListener(SerialBackendListener listener) {
        this.listener = listener;
    }

    @Override
    public long droppedBytes() {
        return dropped.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("serial '{}': closing the listener failed", name, e);
        }
        // While the acceptor is blocked in accept(2), the kernel keeps the socket listening until that
        // call returns (the JDK closes the descriptor then): wait for it, so that the port is free once
        // close() returns (a restarted VM can bind it, a client is refused, not queued).
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(ACCEPTOR_JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Client c = client;
        if (c != null) {
            c.output.closeAndDrain(DRAIN_TIMEOUT);
            c.disconnect();
        }
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed.get()) {
                    return;
                }
                LOG.warn("serial '{}': accept on {} failed: {}", name, bound, e.toString());
                continue;
            }
            synchronized (this) {
                if (client != null || closed.get()) {
                    refuse(ch);
                    continue;
                }
                client = new Client(ch);
            }
            LOG.info("serial '{}': client {} connected", name, remote(ch));
            listener.changed();
        }
    }

    private void refuse(SocketChannel ch) {
        try (ch) {
            ch.write(ByteBuffer.wrap(BUSY));
        } catch (IOException e) {
            LOG.debug("serial '{}': refusing a second client failed", name, e);
        }
    }

    private static String remote(SocketChannel ch) {
        try {
            return String.valueOf(ch.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    /** One attached client and its pumps. */
    private final class Client {
        private final SocketChannel channel;
        private final OutputPump output;
        private final InputPump input;
        private final AtomicBoolean gone = new AtomicBoolean();

        Client(SocketChannel channel) {
            this.channel = channel;
            this.output = new OutputPump(name + "-tcp-out", capacity, (data, off, len) -> {
                ByteBuffer b = ByteBuffer.wrap(data, off, len);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }, () -> listener.changed(), (e, lost) -> {
                dropped.addAndGet(lost);
                disconnect();
            });
            this.input = new InputPump(name + "-tcp-in", capacity,
                    (data, off, len) -> channel.read(ByteBuffer.wrap(data, off, len)),
                    () -> listener.changed(), this::disconnect);
        }

        /** Closes the socket and forgets the client; runs once. */
        void disconnect() {
            if (!gone.compareAndSet(false, true)) {
                return;
            }
            synchronized (TcpSerialBackend.this) {
                if (client == this) {
                    client = null;
                }
            }
            input.close();
            output.closeAndDrain(Duration.ZERO);
            dropped.addAndGet(output.discard());
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("serial '{}': closing the client failed", name, e);
            }
            LOG.info("serial '{}': client disconnected", name);
            listener.changed();
        }
    }
}
