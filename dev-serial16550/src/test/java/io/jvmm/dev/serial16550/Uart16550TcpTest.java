package io.jvmm.dev.serial16550;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.runtime.serial.TcpSerialBackend;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The UART on a real TCP backend on 127.0.0.1: clients coming and going show in MSR. */
class Uart16550TcpTest {
    static final int THR = 0, IER = 1, IIR = 2, MCR = 4, LSR = 5, MSR = 6;

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(2);
        }
    }

    @Test
    @Timeout(30)
    void clientConnectAndDisconnectShowInMsrAndBytesFlow() throws Exception {
        try (TcpSerialBackend tcp = TcpSerialBackend.listen("com1", "127.0.0.1", 0, 4096)) {
            UartHarness u = UartHarness.com1(tcp);
            assertEquals(0x00, u.in(MSR), "no client: no carrier");
            u.out(MCR, 0x08);
            u.out(IER, 0x08);
            u.out(THR, 'z');
            u.poll();
            assertEquals(1, tcp.droppedBytes(), "output without a client is dropped and counted");

            int wakes = u.board.waker().wakes();
            try (Socket client = new Socket("127.0.0.1", tcp.port())) {
                await(() -> u.board.waker().wakes() > wakes, "the connect to wake the device");
                u.poll();
                assertTrue(u.line().level(), "modem-status interrupt on connect");
                assertEquals(0x00, u.in(IIR));
                assertEquals(0xBB, u.in(MSR), "CTS DSR DCD up, with deltas");

                client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                StringBuilder got = new StringBuilder();
                await(() -> {
                    u.poll();
                    got.append(u.readAll());
                    return got.length() >= 5;
                }, "host input");
                assertEquals("hello", got.toString());

                for (char c : "world".toCharArray()) {
                    u.out(THR, c);
                }
                u.poll();
                InputStream in = client.getInputStream();
                byte[] buf = new byte[5];
                int n = 0;
                while (n < 5) {
                    n += in.read(buf, n, 5 - n);
                }
                assertEquals("world", new String(buf, StandardCharsets.US_ASCII));
                await(() -> {
                    u.poll();
                    return (u.in(LSR) & 0x60) == 0x60;
                }, "THRE after the backend took the bytes");
            }
            await(() -> !tcp.isConnected(), "the disconnect");
            u.poll();
            assertEquals(0x0B, u.in(MSR), "carrier dropped, deltas set");
            assertEquals(0x00, u.in(MSR));

            try (Socket again = new Socket("127.0.0.1", tcp.port())) {
                assertTrue(again.isConnected());
                await(tcp::isConnected, "the reconnect");
                u.poll();
                assertEquals(0xBB, u.in(MSR));
            }
        }
    }
}
