package io.jvmm.runtime.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reads and writes frames ({@code u32 length} little-endian = type + body, then the type byte and
 * the body). The length is checked against {@link Message#MAX_FRAME} before anything is allocated;
 * every other check is {@link Message#decode}'s.
 */
public final class FrameCodec {
    private FrameCodec() {}

    /**
     * The next frame from {@code in}, or null when the stream ends cleanly between frames.
     *
     * @throws SandboxProtocolException for a bad length or body
     *     (a stream that ends inside a frame is one too)
     */
    public static Message read(InputStream in) throws IOException {
        byte[] head = new byte[4];
        int got = in.readNBytes(head, 0, 4);
        if (got == 0) {
            return null;
        }
        if (got < 4) {
            throw new SandboxProtocolException("the transport ended inside a frame header (" + got + " of 4 bytes)");
        }
        long length = (head[0] & 0xffL) | (head[1] & 0xffL) << 8 | (head[2] & 0xffL) << 16 | (head[3] & 0xffL) << 24;
        if (length < 1 || length > Message.MAX_FRAME) {
            throw new SandboxProtocolException("frame length " + length + " is outside 1.." + Message.MAX_FRAME);
        }
        int type = in.read();
        if (type < 0) {
            throw new SandboxProtocolException("the transport ended before a frame's type byte");
        }
        byte[] body = in.readNBytes((int) length - 1);
        if (body.length < length - 1) {
            throw new SandboxProtocolException("the transport ended inside a " + Message.name(type) + " frame ("
                    + body.length + " of " + (length - 1) + " body bytes)");
        }
        return Message.decode(type, body);
    }

    /** The frame of {@code m}: length, type, body. */
    public static byte[] encode(Message m) {
        byte[] body = m.body();
        if (body.length + 1L > Message.MAX_FRAME) {
            throw new IllegalArgumentException(Message.name(m.type()) + " is " + (body.length + 1L)
                    + " bytes, more than a frame's " + Message.MAX_FRAME + " (too many or too long arguments?)");
        }
        int length = body.length + 1;
        byte[] frame = new byte[4 + length];
        frame[0] = (byte) length;
        frame[1] = (byte) (length >>> 8);
        frame[2] = (byte) (length >>> 16);
        frame[3] = (byte) (length >>> 24);
        frame[4] = (byte) m.type();
        System.arraycopy(body, 0, frame, 5, body.length);
        return frame;
    }

    /** Writes {@code m}'s frame and flushes. */
    public static void write(OutputStream out, Message m) throws IOException {
        out.write(encode(m));
        out.flush();
    }
}
