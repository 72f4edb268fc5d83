package io.jvmm.runtime.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frame codec: every message round-trips, and every class of malformed frame is a SandboxProtocolException. */
class FrameCodecTest {
    static final List<Message> ALL = List.of(
            new Message.Ready(1, 123_456_789L, "6.1.0-28-amd64"),
            new Message.Ping(new byte[] {1, 2, 3}),
            new Message.Pong(new byte[0]),
            new Message.Exec(List.of("sh", "-c", "echo ü"), List.of("PATH=/bin", "A="), "/tmp", true),
            new Message.Stdin(new byte[0]),
            new Message.Stdin("x".getBytes(StandardCharsets.UTF_8)),
            new Message.Stdout(new byte[Message.MAX_CHUNK]),
            new Message.Stderr(new byte[] {0}),
            new Message.Exited(false, 255),
            new Message.Exited(true, 9),
            new Message.Kill(15),
            new Message.FileRead("/etc/passwd", 1L << 40),
            new Message.FileWrite("/tmp/f", 0755, 12345),
            new Message.FileData(new byte[] {9}),
            new Message.FileDone(0),
            new Message.Shutdown(),
            new Message.ErrorReply(2, "execve /bin/nope: No such file or directory"));

    @Test
    void everyMessageRoundTrips() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Message m : ALL) {
            FrameCodec.write(out, m);
        }
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        for (Message m : ALL) {
            Message back = FrameCodec.read(in);
            assertEquals(m.type(), back.type(), Message.name(m.type()));
            assertArrayEquals(m.body(), back.body(), Message.name(m.type()));
        }
        assertNull(FrameCodec.read(in), "a clean end between frames");
        assertEquals(new Message.Exited(true, 9), FrameCodec.read(new ByteArrayInputStream(
                FrameCodec.encode(new Message.Exited(true, 9)))));
    }

    /** A frame with the given length field, type and body. */
    static byte[] frame(long length, int type, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(5 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) length).put((byte) type).put(body);
        return b.array();
    }

    static byte[] frame(int type, byte[] body) {
        return frame(body.length + 1L, type, body);
    }

    static byte[] le(Object... fields) {
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (Object f : fields) {
            if (f instanceof Byte x) {
                b.put(x);
            } else if (f instanceof Integer x) {
                b.putInt(x);
            } else if (f instanceof Long x) {
                b.putLong(x);
            } else if (f instanceof byte[] x) {
                b.put(x);
            } else if (f instanceof String s) {
                byte[] u = s.getBytes(StandardCharsets.UTF_8);
                b.putInt(u.length).put(u);
            }
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    static String malformed(byte[] bytes) {
        SandboxProtocolException e = assertThrows(SandboxProtocolException.class,
                () -> FrameCodec.read(new ByteArrayInputStream(bytes)));
        return e.getMessage();
    }

    @Test
    void everyClassOfMalformedFrameIsAProtocolErrorNamingIt() {
        // lengths
        assertTrue(malformed(frame(0, 0x01, new byte[0])).contains("frame length 0"));
        assertTrue(malformed(frame(Message.MAX_FRAME + 1L, 0x12, new byte[0])).contains("outside 1.."));
        assertTrue(malformed(frame(0xFFFF_FFFFL, 0x12, new byte[0])).contains("4294967295"));
        // truncation
        assertTrue(malformed(new byte[] {5, 0}).contains("frame header"));
        assertTrue(malformed(new byte[] {5, 0, 0, 0}).contains("type byte"));
        assertTrue(malformed(Arrays.copyOf(frame(0x12, new byte[10]), 9)).contains("inside a STDOUT frame"));
        // unknown type
        assertTrue(malformed(frame(0x42, new byte[0])).contains("type 0x42"));
        // a field past the body
        assertTrue(malformed(frame(0x14, new byte[] {0, 1})).contains("EXITED: value runs past"));
        assertTrue(malformed(frame(0x01, le(1, 0L, 10, new byte[3]))).contains("READY: kernel_release runs past"));
        assertTrue(malformed(frame(0x10, le(1, "sh"))).contains("EXEC: envc"));
        // bytes after the last field
        assertTrue(malformed(frame(0x23, le(5L, (byte) 1))).contains("FILE_DONE: 1 bytes after"));
        assertTrue(malformed(frame(0x30, new byte[] {0})).contains("SHUTDOWN: 1 bytes after"));
        // values out of range
        assertTrue(malformed(frame(0x01, le(2, 0L, "x"))).contains("protocol version 2"));
        assertTrue(malformed(frame(0x10, le(0, 0, "", (byte) 0))).contains("argc 0"));
        assertTrue(malformed(frame(0x10, le(5000))).contains("argc 5000"));
        assertTrue(malformed(frame(0x10, le(1, "sh", 4097))).contains("envc 4097"));
        assertTrue(malformed(frame(0x10, le(1, "sh", 0, "", (byte) 2))).contains("flags"));
        assertTrue(malformed(frame(0x14, le((byte) 2, 0))).contains("how 2"));
        assertTrue(malformed(frame(0x14, le((byte) 0, 256))).contains("status 256"));
        assertTrue(malformed(frame(0x15, le(0))).contains("signal 0"));
        assertTrue(malformed(frame(0x21, le("/f", 010000, 1L))).contains("mode"));
        assertTrue(malformed(frame(0x21, le("/f", 0644, (1L << 40) + 1))).contains("size"));
        assertTrue(malformed(frame(0x20, le("/f", -1L))).contains("max_bytes"));
        assertTrue(malformed(frame(0x23, le(-5L))).contains("FILE_DONE"));
        // sizes of byte bodies
        assertTrue(malformed(frame(0x12, new byte[0])).contains("STDOUT: 0 bytes"));
        assertTrue(malformed(frame(0x22, new byte[Message.MAX_CHUNK + 1])).contains("FILE_DATA"));
        assertTrue(malformed(frame(0x02, new byte[Message.MAX_PING + 1])).contains("PING"));
        assertTrue(malformed(frame(0x11, new byte[Message.MAX_CHUNK + 1])).contains("STDIN"));
        // strings
        assertTrue(malformed(frame(0x7f, le(0, Message.MAX_STR + 1))).contains("more than " + Message.MAX_STR));
        assertTrue(malformed(frame(0x7f, le(0, 2, new byte[] {(byte) 0xC3, (byte) 0x28}))).contains("not UTF-8"));
        assertTrue(malformed(frame(0x7f, le(0, -1))).contains("4294967295 bytes"));
    }

    @Test
    void recordsRefuseWhatCannotBeSent() {
        assertThrows(IllegalArgumentException.class, () -> new Message.Stdout(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new Message.Exec(List.of(), List.of(), "", false));
        assertThrows(IllegalArgumentException.class, () -> new Message.Kill(65));
        assertThrows(IllegalArgumentException.class, () -> Command.of("x".repeat(Message.MAX_STR + 1)));
        // many long arguments fit the per-field limits but not one frame
        List<String> big = java.util.Collections.nCopies(40, "y".repeat(Message.MAX_STR));
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(new Message.Exec(big, List.of(), "", false)));
    }

    /** Random and truncated frames: the codec answers a message, a clean end, or a SandboxProtocolException, nothing else. */
    @Test
    void fuzzedFramesGiveOnlyMessagesOrProtocolErrors() throws IOException {
        Random random = new Random(21);
        int[] types = {0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x21, 0x22, 0x23, 0x30, 0x7f};
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes;
            switch (i % 4) {
                case 0 -> { // random bytes
                    bytes = new byte[random.nextInt(64)];
                    random.nextBytes(bytes);
                }
                case 1 -> { // a valid frame, truncated
                    byte[] f = FrameCodec.encode(ALL.get(random.nextInt(ALL.size())));
                    bytes = Arrays.copyOf(f, random.nextInt(f.length + 1));
                }
                case 2 -> { // a valid frame with a byte flipped
                    bytes = FrameCodec.encode(ALL.get(random.nextInt(ALL.size())));
                    bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
                }
                default -> { // a known type with a random small body
                    byte[] body = new byte[random.nextInt(40)];
                    random.nextBytes(body);
                    if (body.length > 4 && random.nextBoolean()) {
                        body[0] = (byte) random.nextInt(4); // small counts and lengths, so fields are parsed further
                        body[1] = body[2] = body[3] = 0;
                    }
                    bytes = frame(types[random.nextInt(types.length)], body);
                }
            }
            try {
                Message m = FrameCodec.read(new ByteArrayInputStream(bytes));
                if (m != null) {
                    decoded++;
                    assertArrayEquals(m.body(), Message.decode(m.type(), m.body()).body(), "a decoded frame re-encodes");
                }
            } catch (SandboxProtocolException e) {
                refused++;
            }
        }
        assertTrue(decoded > 1000 && refused > 1000, "both outcomes are exercised: " + decoded + " decoded, "
                + refused + " refused");
    }
}
