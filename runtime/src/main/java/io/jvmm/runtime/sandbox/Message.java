package io.jvmm.runtime.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One frame of the sandbox protocol (docs/sandbox-protocol.md, version 1), in either direction.
 * Each record checks its values against the protocol's limits when built, so a message that can be
 * built can be sent, and {@link #decode} turns every violation into a
 * {@link SandboxProtocolException} naming the frame.
 */
public sealed interface Message {
    /** The protocol version this code speaks. */
    int VERSION = 1;
    /** The largest frame: type byte plus body (1 MiB + 1). */
    int MAX_FRAME = (1 << 20) + 1;
    /** The largest str field. */
    int MAX_STR = 64 << 10;
    /** The largest STDIN, STDOUT, STDERR or FILE_DATA body. */
    int MAX_CHUNK = 64 << 10;
    /** The largest PING body. */
    int MAX_PING = 4 << 10;
    /** The most argv or env entries. */
    int MAX_COUNT = 4096;
    /** The largest file FILE_READ or FILE_WRITE moves: 2^40 bytes. */
    long MAX_FILE = 1L << 40;

    int READY = 0x01, PING = 0x02, PONG = 0x03, EXEC = 0x10, STDIN = 0x11, STDOUT = 0x12, STDERR = 0x13,
            EXITED = 0x14, KILL = 0x15, FILE_READ = 0x20, FILE_WRITE = 0x21, FILE_DATA = 0x22, FILE_DONE = 0x23,
            SHUTDOWN = 0x30, ERROR = 0x7f;

    /** The frame's type byte. */
    int type();

    /** The body, encoded. */
    byte[] body();

    /** agent → host: the agent runs and listens. */
    record Ready(int version, long uptimeNanos, String kernelRelease) implements Message {
        public Ready {
            Objects.requireNonNull(kernelRelease, "kernelRelease");
            checkStr(kernelRelease, "kernel_release");
        }

        public int type() { return READY; }

        public byte[] body() {
            return new Wire.Body().u32(version).u64(uptimeNanos).str(kernelRelease).bytes();
        }
    }

    /** host → agent: answered by {@link Pong} with the same bytes. */
    record Ping(byte[] data) implements Message {
        public Ping {
            data = limit(data, 0, MAX_PING, "PING");
        }

        public int type() { return PING; }

        public byte[] body() { return data.clone(); }

        public byte[] data() { return data.clone(); }
    }

    /** agent → host: a PING's bytes. */
    record Pong(byte[] data) implements Message {
        public Pong {
            data = limit(data, 0, MAX_PING, "PONG");
        }

        public int type() { return PONG; }

        public byte[] body() { return data.clone(); }

        public byte[] data() { return data.clone(); }
    }

    /**
     * host → agent: run a command.
     *
     * @param cwd the working directory, "" for /
     * @param stdin whether STDIN frames follow (else the command's stdin is /dev/null)
     */
    record Exec(List<String> argv, List<String> env, String cwd, boolean stdin) implements Message {
        public Exec {
            argv = List.copyOf(argv);
            env = List.copyOf(env);
            Objects.requireNonNull(cwd, "cwd");
            if (argv.isEmpty() || argv.size() > MAX_COUNT) {
                throw new IllegalArgumentException("EXEC: argc " + argv.size() + " is outside 1.." + MAX_COUNT);
            }
            if (env.size() > MAX_COUNT) {
                throw new IllegalArgumentException("EXEC: envc " + env.size() + " is more than " + MAX_COUNT);
            }
            for (String a : argv) {
                checkStr(a, "argv");
            }
            for (String e : env) {
                checkStr(e, "env");
            }
            checkStr(cwd, "cwd");
            // the frame as body() encodes it: type, argc, argv, envc, env, cwd, flags
            long frame = 1 + 4 + 4 + strSize(cwd) + 1;
            for (String x : argv) {
                frame += strSize(x);
            }
            for (String x : env) {
                frame += strSize(x);
            }
            if (frame > MAX_FRAME) {
                throw new IllegalArgumentException("EXEC: the command's arguments, environment and working "
                        + "directory take " + frame + " bytes, more than a frame's " + MAX_FRAME
                        + " (1 MiB): pass long data as a file (--put) or on stdin");
            }
        }

        private static long strSize(String x) {
            return 4L + x.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }

        public int type() { return EXEC; }

        public byte[] body() {
            Wire.Body b = new Wire.Body().u32(argv.size());
            argv.forEach(b::str);
            b.u32(env.size());
            env.forEach(b::str);
            return b.str(cwd).u8(stdin ? 1 : 0).bytes();
        }
    }

    /** host → agent: bytes for the command's stdin; empty is EOF. */
    record Stdin(byte[] data) implements Message {
        public Stdin {
            data = limit(data, 0, MAX_CHUNK, "STDIN");
        }

        public int type() { return STDIN; }

        public byte[] body() { return data.clone(); }

        public byte[] data() { return data.clone(); }
    }

    /** agent → host: the command's output. */
    record Stdout(byte[] data) implements Message {
        public Stdout {
            data = limit(data, 1, MAX_CHUNK, "STDOUT");
        }

        public int type() { return STDOUT; }

        public byte[] body() { return data.clone(); }

        public byte[] data() { return data.clone(); }
    }

    /** agent → host: the command's error output. */
    record Stderr(byte[] data) implements Message {
        public Stderr {
            data = limit(data, 1, MAX_CHUNK, "STDERR");
        }

        public int type() { return STDERR; }

        public byte[] body() { return data.clone(); }

        public byte[] data() { return data.clone(); }
    }

    /**
     * agent → host: the command ended, after its last output.
     *
     * @param signaled whether {@code value} is the signal that killed it (else its exit status)
     */
    record Exited(boolean signaled, int value) implements Message {
        public Exited {
            if (value < 0 || (signaled ? value > 127 : value > 255)) {
                throw new IllegalArgumentException("EXITED: " + (signaled ? "signal " : "status ") + value
                        + " is out of range");
            }
        }

        public int type() { return EXITED; }

        public byte[] body() {
            return new Wire.Body().u8(signaled ? 1 : 0).u32(value).bytes();
        }
    }

    /** host → agent: a signal for the running command's process group. */
    record Kill(int signal) implements Message {
        public Kill {
            if (signal < 1 || signal > 64) {
                throw new IllegalArgumentException("KILL: signal " + signal + " is outside 1..64");
            }
        }

        public int type() { return KILL; }

        public byte[] body() {
            return new Wire.Body().u32(signal).bytes();
        }
    }

    /** host → agent: send a file if it is no larger than {@code maxBytes}. */
    record FileRead(String path, long maxBytes) implements Message {
        public FileRead {
            checkStr(path, "path");
            if (maxBytes < 0 || maxBytes > MAX_FILE) {
                throw new IllegalArgumentException("FILE_READ: max_bytes " + maxBytes + " is outside 0..2^40");
            }
        }

        public int type() { return FILE_READ; }

        public byte[] body() {
            return new Wire.Body().str(path).u64(maxBytes).bytes();
        }
    }

    /** host → agent: a file of {@code size} bytes follows as FILE_DATA. */
    record FileWrite(String path, int mode, long size) implements Message {
        public FileWrite {
            checkStr(path, "path");
            if (mode < 0 || mode > 07777) {
                throw new IllegalArgumentException("FILE_WRITE: mode 0" + Integer.toOctalString(mode)
                        + " has bits beyond 07777");
            }
            if (size < 0 || size > MAX_FILE) {
                throw new IllegalArgumentException("FILE_WRITE: size " + size + " is outside 0..2^40");
            }
        }

        public int type() { return FILE_WRITE; }

        public byte[] body() {
            return new Wire.Body().str(path).u32(mode).u64(size).bytes();
        }
    }

    /** both ways: a piece of a file. */
    record FileData(byte[] data) implements Message {
        public FileData {
            data = limit(data, 1, MAX_CHUNK, "FILE_DATA");
        }

        public int type() { return FILE_DATA; }

        public byte[] body() { return data.clone(); }

        public byte[] data() { return data.clone(); }
    }

    /** agent → host: a FILE_READ or FILE_WRITE finished with {@code size} bytes. */
    record FileDone(long size) implements Message {
        public FileDone {
            if (size < 0 || size > MAX_FILE) {
                throw new IllegalArgumentException("FILE_DONE: size " + size + " is outside 0..2^40");
            }
        }

        public int type() { return FILE_DONE; }

        public byte[] body() {
            return new Wire.Body().u64(size).bytes();
        }
    }

    /** host → agent: sync and power off. */
    record Shutdown() implements Message {
        public int type() { return SHUTDOWN; }

        public byte[] body() { return new byte[0]; }
    }

    /** both ways: a request failed ({@code errno} 0 if none), or, before a close, a malformed frame. */
    record ErrorReply(int errno, String message) implements Message {
        public ErrorReply {
            checkStr(message, "message");
        }

        public int type() { return ERROR; }

        public byte[] body() {
            return new Wire.Body().u32(errno).str(message).bytes();
        }
    }

    /** The frame name for a type byte, e.g. "STDOUT", or "type 0x42". */
    static String name(int type) {
        return switch (type) {
            case READY -> "READY";
            case PING -> "PING";
            case PONG -> "PONG";
            case EXEC -> "EXEC";
            case STDIN -> "STDIN";
            case STDOUT -> "STDOUT";
            case STDERR -> "STDERR";
            case EXITED -> "EXITED";
            case KILL -> "KILL";
            case FILE_READ -> "FILE_READ";
            case FILE_WRITE -> "FILE_WRITE";
            case FILE_DATA -> "FILE_DATA";
            case FILE_DONE -> "FILE_DONE";
            case SHUTDOWN -> "SHUTDOWN";
            case ERROR -> "ERROR";
            default -> String.format("type 0x%02x", type);
        };
    }

    /** The message of frame type {@code type} with this body; any violation is a {@link SandboxProtocolException}. */
    static Message decode(int type, byte[] body) throws SandboxProtocolException {
        String name = name(type);
        Wire.Cursor c = new Wire.Cursor(body, name);
        Message m;
        try {
            m = switch (type) {
                case READY -> {
                    int version = c.u32("version");
                    if (version != VERSION) {
                        throw new SandboxProtocolException("READY: protocol version " + Integer.toUnsignedString(version)
                                + ", this host speaks " + VERSION);
                    }
                    yield new Ready(version, c.u64("uptime_ns"), c.str("kernel_release"));
                }
                case PING -> new Ping(c.rest());
                case PONG -> new Pong(c.rest());
                case EXEC -> {
                    int argc = c.count("argc");
                    List<String> argv = new ArrayList<>();
                    for (int i = 0; i < argc; i++) {
                        argv.add(c.str("argv[" + i + "]"));
                    }
                    int envc = c.count("envc");
                    List<String> env = new ArrayList<>();
                    for (int i = 0; i < envc; i++) {
                        env.add(c.str("env[" + i + "]"));
                    }
                    String cwd = c.str("cwd");
                    int flags = c.u8("flags");
                    if ((flags & ~1) != 0) {
                        throw new SandboxProtocolException("EXEC: unknown flags 0x" + Integer.toHexString(flags));
                    }
                    yield new Exec(argv, env, cwd, flags == 1);
                }
                case STDIN -> new Stdin(c.rest());
                case STDOUT -> new Stdout(c.rest());
                case STDERR -> new Stderr(c.rest());
                case EXITED -> {
                    int how = c.u8("how");
                    if (how > 1) {
                        throw new SandboxProtocolException("EXITED: how " + how + " is neither 0 (status) nor 1 (signal)");
                    }
                    yield new Exited(how == 1, c.u32("value"));
                }
                case KILL -> new Kill(c.u32("signal"));
                case FILE_READ -> new FileRead(c.str("path"), c.u64("max_bytes"));
                case FILE_WRITE -> new FileWrite(c.str("path"), c.u32("mode"), c.u64("size"));
                case FILE_DATA -> new FileData(c.rest());
                case FILE_DONE -> new FileDone(c.u64("size"));
                case SHUTDOWN -> new Shutdown();
                case ERROR -> new ErrorReply(c.u32("errno_value"), c.str("message"));
                default -> throw new SandboxProtocolException("unknown frame " + name + " (" + body.length + " bytes of body)");
            };
        } catch (IllegalArgumentException e) {
            throw new SandboxProtocolException(e.getMessage());
        }
        c.end();
        return m;
    }

    private static void checkStr(String s, String field) {
        Objects.requireNonNull(s, field);
        // a UTF-8 encoding is at most 3 bytes per char: only long strings need encoding to be measured
        if (s.length() * 3L > MAX_STR && s.getBytes(StandardCharsets.UTF_8).length > MAX_STR) {
            throw new IllegalArgumentException(field + " is more than " + MAX_STR + " bytes of UTF-8");
        }
    }

    private static byte[] limit(byte[] data, int min, int max, String frame) {
        Objects.requireNonNull(data, "data");
        if (data.length < min || data.length > max) {
            throw new IllegalArgumentException(frame + ": " + data.length + " bytes, allowed " + min + ".." + max);
        }
        return data.clone();
    }
}
