package io.jvmm.runtime.serial;

import static io.jvmm.runtime.serial.SerialBackendsTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.handles.TcpSerialHandle;
import io.jvmm.api.resource.ResolveException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TcpSerialBackendTest {
    private static final TestContext CTX = new TestContext("serial-com2");

    private static TcpSerialBackend listen() throws ResolveException {
        return (TcpSerialBackend) new TcpSerialResolver().resolve(new TcpSerialHandle("127.0.0.1", 0), CTX);
    }

    private static String readFully(InputStream in, int n) throws Exception {
        byte[] buf = new byte[n];
        int got = 0;
        while (got < n) {
            int r = in.read(buf, got, n - got);
            if (r < 0) {
                break;
            }
            got += r;
        }
        return new String(buf, 0, got, StandardCharsets.US_ASCII);
    }

    @Test
    void oneClientAtATimeWithConnectivityAndNotifications() throws Exception {
        try (TcpSerialBackend b = listen()) {
            AtomicInteger notified = new AtomicInteger();
            b.setListener(notified::incrementAndGet);
            assertTrue(b.port() > 0, "an ephemeral port was bound");
            assertFalse(b.isConnected());
            assertEquals(6, b.write("nobody".getBytes(StandardCharsets.US_ASCII), 0, 6));
            assertEquals(6, b.droppedBytes(), "no client: output dropped and counted");

            int before;
            try (Socket first = new Socket("127.0.0.1", b.port())) {
                await(b::isConnected, "the first client");
                assertTrue(notified.get() >= 1);
                try (Socket second = new Socket("127.0.0.1", b.port())) {
                    String notice = readFully(second.getInputStream(), 200);
                    assertTrue(notice.contains("already has a client"), notice);
                }
                assertTrue(b.isConnected(), "the first client is unaffected");

                byte[] msg = "to client".getBytes(StandardCharsets.US_ASCII);
                assertEquals(msg.length, b.write(msg, 0, msg.length));
                assertEquals("to client", readFully(first.getInputStream(), msg.length));

                first.getOutputStream().write("to guest".getBytes(StandardCharsets.US_ASCII));
                StringBuilder got = new StringBuilder();
                byte[] buf = new byte[64];
                await(() -> {
                    got.append(new String(buf, 0, b.read(buf, 0, buf.length), StandardCharsets.US_ASCII));
                    return got.length() >= 8;
                }, "input from the client");
                assertEquals("to guest", got.toString());
                before = notified.get();
            }
            await(() -> !b.isConnected(), "the disconnect");
            int beforeClose = before;
            await(() -> notified.get() > beforeClose, "the disconnect notification");

            try (Socket again = new Socket("127.0.0.1", b.port())) {
                assertTrue(again.isConnected());
                await(b::isConnected, "a new client after the first left");
            }
        }
    }

    @Test
    void closeStopsListening() throws Exception {
        TcpSerialBackend b = listen();
        int port = b.port();
        b.close();
        b.close();
        assertThrows(java.io.IOException.class, () -> new Socket("127.0.0.1", port).close());
    }

    @Test
    void bindFailureNamesTheAddressAndReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            ResolveException e = assertThrows(ResolveException.class, () -> new TcpSerialResolver()
                    .resolve(new TcpSerialHandle("127.0.0.1", port), CTX));
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            assertTrue(e.getMessage().contains("serial-com2"), e.getMessage());
            assertTrue(e.getMessage().toLowerCase().contains("in use"), e.getMessage());
        }
        ResolveException e = assertThrows(ResolveException.class, () -> new TcpSerialResolver()
                .resolve(new TcpSerialHandle("no-such-host.invalid", 0), CTX));
        assertTrue(e.getMessage().contains("no-such-host.invalid:0"), e.getMessage());
    }
}
