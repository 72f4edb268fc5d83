package io.jvmm.runtime.serial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.FileSerialHandle;
import io.jvmm.api.handles.StdioSerialHandle;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.serial.SerialBackend;
import io.jvmm.runtime.registry.ResolverRegistry;
import io.jvmm.testkit.SerialPipe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class SerialBackendsTest {
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(2);
        }
    }

    private static final TestContext CTX = new TestContext("serial-com1");

    @Test
    void theRuntimeModuleProvidesTheBackendResolvers() {
        ResolverRegistry registry = ResolverRegistry.builder().loadBootLayer().build();
        assertTrue(registry.idsOf("serial_backend").containsAll(
                java.util.List.of("disconnected", "stdio", "file", "tcp")), registry.idsOf("serial_backend").toString());
    }

    @Test
    void disconnectedDropsAndCounts() {
        SerialBackend b = new DisconnectedSerialResolver().resolve(new DisconnectedSerialHandle(), CTX);
        assertFalse(b.isConnected());
        assertEquals(5, b.write(new byte[10], 2, 5));
        assertEquals(5, b.droppedBytes());
        assertEquals(0, b.read(new byte[4], 0, 4));
        b.close();
        b.close();
    }

    @Test
    void flushReturnsOnceTrickledOutputReachedTheStream() throws Exception {
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes.incrementAndGet();
                super.write(b, off, len);
            }
        };
        StreamSerialBackend b = new StreamSerialBackend("t", null, out, false);
        for (byte c : "one byte at a time".getBytes(StandardCharsets.US_ASCII)) {
            assertEquals(1, b.write(new byte[] {c}, 0, 1));
        }
        b.flush();
        synchronized (out) {
            assertEquals("one byte at a time", out.toString(StandardCharsets.US_ASCII), "flush waits for the writer");
        }
        assertTrue(writes.get() < 18, "trickled bytes are written in batches, not one write each: " + writes.get());
        b.close();
    }

    @Test
    void streamBackendWritesInOrderAndCloseFlushes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamSerialBackend b = new StreamSerialBackend("t", null, out, false);
        assertTrue(b.isConnected());
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            byte[] line = ("line " + i + "\n").getBytes(StandardCharsets.US_ASCII);
            int off = 0;
            while (off < line.length) {
                off += b.write(line, off, line.length - off);
            }
            expected.append("line ").append(i).append('\n');
        }
        b.close();
        assertEquals(expected.toString(), out.toString(StandardCharsets.US_ASCII));
        assertEquals(3, b.write(new byte[3], 0, 3), "after close output is dropped");
        assertEquals(3, b.droppedBytes());
    }

    @Test
    void streamBackendOutputIsBoundedBehindABlockedSink() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream blocked = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                synchronized (sink) {
                    sink.write(b, off, len);
                }
            }
        };
        AtomicInteger notified = new AtomicInteger();
        StreamSerialBackend b = new StreamSerialBackend("blocked", null, blocked, false, 1024);
        b.setListener(notified::incrementAndGet);
        byte[] data = new byte[100_000];
        int accepted = b.write(data, 0, data.length);
        assertEquals(1024, accepted, "the queue's capacity");
        // The writer thread takes a chunk and blocks in the sink with it: the queue has room again.
        assertTrue(writing.await(10, TimeUnit.SECONDS), "the writer reached the sink");
        accepted += b.write(data, accepted, data.length - accepted);
        assertTrue(accepted > 1024 && accepted <= 2 * 1024,
                "the queue plus the chunk in flight, was " + accepted);
        assertEquals(0, b.write(data, 0, 10), "full: nothing taken, nothing dropped");
        assertEquals(0, b.droppedBytes());
        release.countDown();
        await(() -> notified.get() > 0, "the space-freed notification");
        b.close();
        synchronized (sink) {
            assertEquals(accepted, sink.size());
        }
    }

    @Test
    void streamBackendInputArrivesAndNotifies() throws Exception {
        PipedOutputStream host = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(host);
        AtomicInteger notified = new AtomicInteger();
        StreamSerialBackend b = new StreamSerialBackend("in", in, new ByteArrayOutputStream(), true);
        b.setListener(notified::incrementAndGet);
        host.write("typed".getBytes(StandardCharsets.US_ASCII));
        host.flush();
        byte[] buf = new byte[16];
        StringBuilder got = new StringBuilder();
        await(() -> {
            int n = b.read(buf, 0, buf.length);
            got.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
            return got.length() >= 5;
        }, "input");
        assertEquals("typed", got.toString());
        assertTrue(notified.get() > 0);
        b.close();
    }

    @Test
    void streamBackendDropsAfterAnOutputFailure() throws Exception {
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }
        };
        StreamSerialBackend b = new StreamSerialBackend("fail", null, failing, false);
        b.write(new byte[] {1}, 0, 1);
        await(() -> b.droppedBytes() == 1, "the failure to be noticed");
        assertEquals(7, b.write(new byte[7], 0, 7), "further output is taken and dropped");
        assertEquals(8, b.droppedBytes());
        b.close();
    }

    @Test
    void stdioResolverIsConnected() {
        SerialBackend b = new StdioSerialResolver().resolve(new StdioSerialHandle(), CTX);
        assertTrue(b.isConnected());
        b.close();
    }

    @Test
    void fileBackendAppendsAndFlushesAtClose(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("com1.log");
        SerialBackend b = new FileSerialResolver().resolve(new FileSerialHandle(file.toString()), CTX);
        byte[] first = "first run\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(first.length, b.write(first, 0, first.length));
        b.close();
        assertEquals("first run\n", Files.readString(file));
        SerialBackend again = new FileSerialResolver().resolve(new FileSerialHandle(file.toString()), CTX);
        byte[] second = "second run\n".getBytes(StandardCharsets.US_ASCII);
        again.write(second, 0, second.length);
        await(() -> {
            try {
                return Files.size(file) == first.length + second.length;
            } catch (IOException e) {
                return false;
            }
        }, "the writer thread to reach the file without a close");
        again.close();
        assertEquals("first run\nsecond run\n", Files.readString(file));
        assertEquals(0, again.read(new byte[1], 0, 1), "no input");
    }

    @Test
    void fileBackendRejectsBadPaths(@TempDir Path dir) {
        ResolveException e = assertThrows(ResolveException.class, () -> new FileSerialResolver()
                .resolve(new FileSerialHandle(dir.resolve("no/such/dir/x.log").toString()), CTX));
        assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains("serial-com1"),
                e.getMessage());
        e = assertThrows(ResolveException.class,
                () -> new FileSerialResolver().resolve(new FileSerialHandle(dir.toString()), CTX));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void pipeHonoursCapacityAndConnectivity() {
        SerialPipe pipe = new SerialPipe(4, true);
        AtomicInteger notified = new AtomicInteger();
        SerialBackend b = pipe.backend();
        b.setListener(notified::incrementAndGet);
        assertEquals(4, b.write("abcdef".getBytes(StandardCharsets.US_ASCII), 0, 6));
        assertEquals(0, b.write(new byte[1], 0, 1));
        assertEquals("abcd", pipe.hostOutput());
        assertEquals(1, notified.get(), "reading output frees space and notifies");
        pipe.setConnected(false);
        assertEquals(2, notified.get());
        assertEquals(3, b.write(new byte[3], 0, 3));
        assertEquals(3, b.droppedBytes());
        pipe.hostWrite("in");
        assertEquals(0, b.read(new byte[2], 0, 2), "no input while disconnected");
        pipe.setConnected(true);
        byte[] buf = new byte[2];
        assertEquals(2, b.read(buf, 0, 2));
        assertArrayEquals("in".getBytes(StandardCharsets.US_ASCII), buf);
        assertEquals(0, pipe.pendingInput());
    }
}
