package io.jvmm.runtime.sandbox;

import static io.jvmm.runtime.sandbox.Message.MAX_COUNT;
import static io.jvmm.runtime.sandbox.Message.MAX_STR;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The protocol's field encoding: little-endian integers, str = u32 length + UTF-8. */
final class Wire {
    private Wire() {}

    /** Builds a body: little-endian integers, str = u32 length + UTF-8. */
    static final class Body {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Body u8(int v) {
            out.write(v);
            return this;
        }

        Body u32(int v) {
            out.write(v);
            out.write(v >>> 8);
            out.write(v >>> 16);
            out.write(v >>> 24);
            return this;
        }

        Body u64(long v) {
            return u32((int) v).u32((int) (v >>> 32));
        }

        Body str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            out.writeBytes(b);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** Reads a body; every field is checked against what is left. */
    static final class Cursor {
        private final ByteBuffer buf;
        private final String frame;

        Cursor(byte[] body, String frame) {
            this.buf = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            this.frame = frame;
        }

        private void need(int n, String field) throws SandboxProtocolException {
            if (buf.remaining() < n) {
                throw new SandboxProtocolException(frame + ": " + field + " runs past the end of the body (" + n
                        + " bytes needed, " + buf.remaining() + " left)");
            }
        }

        int u8(String field) throws SandboxProtocolException {
            need(1, field);
            return buf.get() & 0xff;
        }

        int u32(String field) throws SandboxProtocolException {
            need(4, field);
            return buf.getInt();
        }

        long u64(String field) throws SandboxProtocolException {
            need(8, field);
            return buf.getLong();
        }

        int count(String field) throws SandboxProtocolException {
            long n = Integer.toUnsignedLong(u32(field));
            if (n > MAX_COUNT) {
                throw new SandboxProtocolException(frame + ": " + field + " " + n + " is more than " + MAX_COUNT);
            }
            return (int) n;
        }

        String str(String field) throws SandboxProtocolException {
            long n = Integer.toUnsignedLong(u32(field + " length"));
            if (n > MAX_STR) {
                throw new SandboxProtocolException(frame + ": " + field + " is " + n + " bytes, more than " + MAX_STR);
            }
            need((int) n, field);
            ByteBuffer slice = buf.slice().limit((int) n);
            buf.position(buf.position() + (int) n);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new SandboxProtocolException(frame + ": " + field + " is not UTF-8");
            }
        }

        byte[] rest() {
            byte[] b = new byte[buf.remaining()];
            buf.get(b);
            return b;
        }

        void end() throws SandboxProtocolException {
            if (buf.hasRemaining()) {
                throw new SandboxProtocolException(frame + ": " + buf.remaining() + " bytes after the last field");
            }
        }
    }
}
