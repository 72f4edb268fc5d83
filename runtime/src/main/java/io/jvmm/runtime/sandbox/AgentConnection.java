package io.jvmm.runtime.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host end of one agent transport (a vsock stream, a serial port, or a {@code jvmm-agent
 * --stdio} process's pipes): one request at a time, as the protocol's states require. Requests
 * from several threads wait for each other; {@link #kill} may be called from any thread while a
 * command runs.
 *
 * <p>An exec that has stdin reads it on a thread of its own (so a command that reads its input
 * while writing output never deadlocks against the host); a timeout is a thread that sends KILL.
 * Both end with the exec, except a stdin thread blocked reading its {@link InputStream}, which ends
 * when that stream does (it sends nothing once the command has ended).
 *
 * <p>Locking: {@code requestLock} is held for a whole request; {@code writeLock} only while one
 * frame is written (a write may block when the agent stops reading, e.g. while STDIN waits for a
 * command that does not read it); the exec state is under {@code stateLock}, which is never held
 * across I/O. KILL never waits for {@code writeLock} or its own write longer than a give-up
 * deadline: past it the transport is closed, which fails the exec ("the agent stopped reading").
 */
public final class AgentConnection implements Closeable {
    /** How long a killed command may take to report EXITED before the transport is given up. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(10);
    private static final int SIGKILL = 9;

    private final InputStream in;
    private final OutputStream out;
    private final Closeable transport;
    private final ReentrantLock requestLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Object stateLock = new Object();
    /** How long a KILL may wait to be written, and a killed command to end, before the transport is given up. */
    private final Duration killGrace;
    /** The running exec, for {@link #kill}; guarded by stateLock. */
    private ExecState running;
    private volatile String brokenBecause;

    /**
     * @param in the agent's frames (buffered by the caller if it wants)
     * @param out where frames to the agent go
     * @param transport closes both (and wakes a blocked read)
     */
    public AgentConnection(InputStream in, OutputStream out, Closeable transport) {
        this(in, out, transport, KILL_GRACE);
    }

    /** As {@link #AgentConnection(InputStream, OutputStream, Closeable)}, with the KILL give-up deadline (tests). */
    AgentConnection(InputStream in, OutputStream out, Closeable transport, Duration killGrace) {
        this.killGrace = Objects.requireNonNull(killGrace, "killGrace");
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** Reads the agent's first frame, which must be READY. */
    public Message.Ready awaitReady() throws IOException {
        requestLock.lock();
        try {
            Message m = next("waiting for READY");
            if (m instanceof Message.Ready r) {
                return r;
            }
            throw fail(new SandboxProtocolException(Message.name(m.type()) + " before READY"));
        } finally {
            requestLock.unlock();
        }
    }

    /** PING with {@code data}; returns the PONG's bytes (checked equal). */
    public byte[] ping(byte[] data) throws IOException {
        requestLock.lock();
        try {
            send(new Message.Ping(data));
            Message m = next("waiting for PONG");
            if (m instanceof Message.Pong p) {
                if (!Arrays.equals(p.data(), data)) {
                    throw fail(new SandboxProtocolException("PONG: not the PING's bytes"));
                }
                return p.data();
            }
            throw fail(unexpected(m, "PONG"));
        } finally {
            requestLock.unlock();
        }
    }

    /** Runs {@code command}, capturing its output up to {@link Command#outputLimit()} (stdout and stderr together). */
    public ExecResult exec(Command command) throws IOException {
        Capture capture = new Capture(command.outputLimit());
        return run(command, capture.stdout, capture.stderr, capture);
    }

    /** Runs {@code command}, writing its output to {@code stdout} and {@code stderr} as it comes. */
    public ExecResult exec(Command command, OutputStream stdout, OutputStream stderr) throws IOException {
        return run(command, Objects.requireNonNull(stdout, "stdout"), Objects.requireNonNull(stderr, "stderr"), null);
    }

    /** Sends {@code signal} to the running command's process group; false when none runs. */
    public boolean kill(int signal) throws IOException {
        ExecState state;
        synchronized (stateLock) {
            state = running;
            if (state == null || state.finished) {
                return false;
            }
        }
        return sendKill(state, signal);
    }

    /**
     * Writes KILL for {@code state} unless it has finished. The give-up timer starts first: if the
     * frame is not written within {@link #killGrace} (another frame's write is stuck because the
     * agent stopped reading), the transport is closed, which ends both writes and the exec.
     */
    private boolean sendKill(ExecState state, int signal) throws IOException {
        CountDownLatch written = new CountDownLatch(1);
        Thread giveUp = new Thread(() -> {
            try {
                if (!written.await(killGrace.toNanos(), TimeUnit.NANOSECONDS)) {
                    fail(stoppedReading());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jvmm-sandbox-kill-deadline");
        giveUp.setDaemon(true);
        giveUp.start();
        try {
            boolean locked;
            try {
                locked = writeLock.tryLock(killGrace.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting to send KILL");
            }
            if (!locked) {
                throw fail(stoppedReading());
            }
            try {
                synchronized (stateLock) {
                    if (state.finished) {
                        return false;
                    }
                }
                sendLocked(new Message.Kill(signal));
                return true;
            } finally {
                writeLock.unlock();
            }
        } finally {
            written.countDown();
        }
    }

    private SandboxException stoppedReading() {
        return new SandboxException("the agent stopped reading: a KILL could not be sent within "
                + killGrace.toSeconds() + " s; connection closed");
    }

    /** The state one exec shares with its stdin and timeout threads. */
    private static final class ExecState {
        final CountDownLatch done = new CountDownLatch(1);
        /** Set under stateLock once EXITED or ERROR arrived: nothing more is sent for this exec. */
        boolean finished;
        volatile boolean timedOut;
        volatile boolean limitHit;
        volatile IOException stdinFailure;
    }

    private ExecResult run(Command command, OutputStream stdout, OutputStream stderr, Capture capture)
            throws IOException {
        requestLock.lock();
        try {
            long start = System.nanoTime();
            ExecState state = new ExecState();
            send(command.message());
            synchronized (stateLock) {
                running = state;
            }
            Thread stdinPump = null;
            Thread watchdog = null;
            try {
                if (command.stdin() != null) {
                    stdinPump = new Thread(() -> pumpStdin(command.stdin(), state), "jvmm-sandbox-stdin");
                    stdinPump.setDaemon(true);
                    stdinPump.start();
                }
                if (command.timeout() != null) {
                    watchdog = new Thread(() -> watch(command.timeout(), state), "jvmm-sandbox-timeout");
                    watchdog.setDaemon(true);
                    watchdog.start();
                }
                boolean sinkFailed = false;
                while (true) {
                    Message m = next(state.timedOut ? "waiting for the killed command's EXITED" : "during EXEC "
                            + command.argv().get(0));
                    if (m instanceof Message.Stdout o || m instanceof Message.Stderr) {
                        byte[] data = m instanceof Message.Stdout o2 ? o2.data() : ((Message.Stderr) m).data();
                        OutputStream sink = m instanceof Message.Stdout ? stdout : stderr;
                        if (capture != null && !capture.fits(data.length)) {
                            if (!state.limitHit) {
                                state.limitHit = true;
                                killInBackground(state);
                            }
                            continue;
                        }
                        if (!sinkFailed) {
                            try {
                                sink.write(data);
                                sink.flush();
                            } catch (IOException e) {
                                sinkFailed = true; // e.g. our stdout was closed: stop the command, drain it
                                killInBackground(state);
                            }
                        }
                    } else if (m instanceof Message.Exited x) {
                        finish(state);
                        ExecResult.Ending ending = x.signaled() ? new ExecResult.Signaled(x.value())
                                : new ExecResult.Exited(x.value());
                        return result(ending, state, capture, start);
                    } else if (m instanceof Message.ErrorReply e) {
                        finish(state);
                        return result(new ExecResult.NotStarted(e.errno(), e.message()), state, capture, start);
                    } else {
                        throw fail(unexpected(m, "STDOUT, STDERR, EXITED or ERROR"));
                    }
                }
            } finally {
                finish(state);
                if (watchdog != null) {
                    joinQuietly(watchdog);
                }
                if (stdinPump != null) {
                    stdinPump.interrupt(); // ends it unless it is blocked reading a stream that cannot be interrupted
                    joinQuietly(stdinPump, 100);
                }
            }
        } finally {
            requestLock.unlock();
        }
    }

    private void finish(ExecState state) {
        synchronized (stateLock) {
            state.finished = true;
            if (running == state) {
                running = null;
            }
        }
        state.done.countDown();
    }

    private static ExecResult result(ExecResult.Ending ending, ExecState state, Capture capture, long start) {
        byte[] o = capture == null ? new byte[0] : capture.stdout.toByteArray();
        byte[] e = capture == null ? new byte[0] : capture.stderr.toByteArray();
        return new ExecResult(ending, state.timedOut, state.limitHit, o, e, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Copies {@code stdin} to STDIN frames, then an empty one (EOF); stops when the command has ended. */
    private void pumpStdin(InputStream stdin, ExecState state) {
        byte[] buf = new byte[Message.MAX_CHUNK];
        try {
            while (true) {
                int n = stdin.read(buf);
                if (n == 0) {
                    continue;
                }
                writeLock.lockInterruptibly();
                try {
                    if (over(state)) {
                        return; // killed: more input would only queue in front of nothing (and slow the KILL)
                    }
                    sendLocked(new Message.Stdin(n <= 0 ? new byte[0] : Arrays.copyOf(buf, n)));
                } finally {
                    writeLock.unlock();
                }
                if (n < 0) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // the exec ended while this thread waited to write
        } catch (IOException e) {
            state.stdinFailure = e;
            try {
                writeLock.lockInterruptibly();
            } catch (InterruptedException ie) {
                return;
            }
            try {
                if (!over(state) && brokenBecause == null) {
                    sendLocked(new Message.Stdin(new byte[0])); // the command sees EOF
                }
            } catch (IOException ignored) {
                // the transport failed: the exec's reader reports it
            } finally {
                writeLock.unlock();
            }
        }
    }

    private boolean over(ExecState state) {
        synchronized (stateLock) {
            return state.finished || state.timedOut || state.limitHit;
        }
    }

    /** Sends KILL when the timeout runs out; gives the transport up if the command still has not ended after that. */
    private void watch(Duration timeout, ExecState state) {
        try {
            if (state.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return;
            }
            state.timedOut = true;
            long giveUpAt = System.nanoTime() + killGrace.toNanos(); // before the KILL write, which may block
            killQuietly(state);
            if (!state.done.await(giveUpAt - System.nanoTime(), TimeUnit.NANOSECONDS) && isOpen()) {
                fail(new SandboxException("the command was killed (timeout " + timeout.toSeconds()
                        + " s) but did not end within " + killGrace.toSeconds() + " s; the agent connection is closed"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** KILL; never blocks longer than {@link #killGrace} (then the transport is closed). */
    private void killQuietly(ExecState state) {
        try {
            sendKill(state, SIGKILL);
        } catch (IOException e) {
            // the transport failed or was given up: the exec's reader reports it
        }
    }

    /** KILL from the exec's reader, which must go on reading (the agent may be blocked writing to us). */
    private void killInBackground(ExecState state) {
        Thread t = new Thread(() -> killQuietly(state), "jvmm-sandbox-kill");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Writes a file of {@code size} bytes from {@code data} to {@code guestPath} with {@code mode}
     * (e.g. 0644); returns the size the agent wrote and synced.
     */
    public long put(InputStream data, long size, String guestPath, int mode) throws IOException {
        requestLock.lock();
        try {
            send(new Message.FileWrite(guestPath, mode, size));
            byte[] buf = new byte[Message.MAX_CHUNK];
            long left = size;
            while (left > 0) {
                int n;
                try {
                    n = data.readNBytes(buf, 0, (int) Math.min(buf.length, left));
                } catch (IOException e) {
                    throw fail(new SandboxException("put " + guestPath + ": reading the source after " + (size - left)
                            + " bytes: " + e.getMessage() + "; the agent connection is closed", e));
                }
                if (n == 0) {
                    // the agent waits for the rest, which will never come: this connection is done
                    throw fail(new SandboxException("put " + guestPath + ": the source ended after " + (size - left)
                            + " of " + size + " bytes; the agent connection is closed"));
                }
                send(new Message.FileData(Arrays.copyOf(buf, n)));
                left -= n;
            }
            Message m = next("waiting for FILE_DONE of " + guestPath);
            if (m instanceof Message.FileDone d) {
                if (d.size() != size) {
                    throw fail(new SandboxProtocolException("FILE_DONE: " + d.size() + " bytes written, " + size + " sent"));
                }
                return d.size();
            }
            if (m instanceof Message.ErrorReply e) {
                throw new AgentErrorException(e.errno(), "put " + guestPath + ": " + e.message());
            }
            throw fail(unexpected(m, "FILE_DONE or ERROR"));
        } finally {
            requestLock.unlock();
        }
    }

    /** Copies the guest's {@code guestPath} to {@code to} if it is at most {@code maxBytes}; returns its size. */
    public long get(String guestPath, long maxBytes, OutputStream to) throws IOException {
        requestLock.lock();
        try {
            send(new Message.FileRead(guestPath, maxBytes));
            long got = 0;
            while (true) {
                Message m = next("during FILE_READ of " + guestPath);
                if (m instanceof Message.FileData d) {
                    byte[] b = d.data();
                    got += b.length;
                    if (got > maxBytes) {
                        throw fail(new SandboxProtocolException("FILE_DATA: " + got + " bytes, more than the "
                                + maxBytes + " asked for"));
                    }
                    try {
                        to.write(b);
                    } catch (IOException e) {
                        // the agent goes on sending: this connection cannot be used for another request
                        throw fail(new SandboxException("get " + guestPath + ": writing the copy after " + got
                                + " bytes: " + e.getMessage() + "; the agent connection is closed", e));
                    }
                } else if (m instanceof Message.FileDone d) {
                    if (d.size() != got) {
                        throw fail(new SandboxProtocolException("FILE_DONE: size " + d.size() + " after " + got
                                + " bytes of FILE_DATA"));
                    }
                    return got;
                } else if (m instanceof Message.ErrorReply e) {
                    if (got > 0) {
                        throw new AgentErrorException(e.errno(), "get " + guestPath + " after " + got + " bytes: "
                                + e.message());
                    }
                    throw new AgentErrorException(e.errno(), "get " + guestPath + ": " + e.message());
                } else {
                    throw fail(unexpected(m, "FILE_DATA, FILE_DONE or ERROR"));
                }
            }
        } finally {
            requestLock.unlock();
        }
    }

    /** SHUTDOWN: the agent syncs and powers the guest off (a --stdio agent exits); nothing is answered. */
    public void shutdown() throws IOException {
        requestLock.lock();
        try {
            send(new Message.Shutdown());
        } finally {
            requestLock.unlock();
        }
    }

    /**
     * SHUTDOWN if no request is in progress; false (nothing sent) if one is, e.g. a long FILE_READ
     * on another thread, which SHUTDOWN would have to wait for.
     */
    public boolean shutdownIfIdle() throws IOException {
        if (!requestLock.tryLock()) {
            return false;
        }
        try {
            send(new Message.Shutdown());
            return true;
        } finally {
            requestLock.unlock();
        }
    }

    /** Whether a command runs now (an exec is between EXEC and EXITED). */
    public boolean commandRunning() {
        synchronized (stateLock) {
            return running != null && !running.finished;
        }
    }

    /** Whether the connection can still carry requests. */
    public boolean isOpen() {
        return brokenBecause == null;
    }

    /** Closes the transport; a blocked request fails. Idempotent. */
    @Override
    public void close() {
        if (brokenBecause == null) {
            brokenBecause = "it was closed";
        }
        try {
            transport.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }

    private void send(Message m) throws IOException {
        writeLock.lock();
        try {
            sendLocked(m);
        } finally {
            writeLock.unlock();
        }
    }

    private void sendLocked(Message m) throws IOException {
        checkOpen();
        try {
            FrameCodec.write(out, m);
        } catch (IOException e) {
            throw fail(new SandboxException("sending " + Message.name(m.type()) + " to the agent: " + e.getMessage(), e));
        }
    }

    private Message next(String during) throws IOException {
        checkOpen();
        Message m;
        try {
            m = FrameCodec.read(in);
        } catch (SandboxProtocolException e) {
            throw fail(e);
        } catch (IOException e) {
            String why = brokenBecause;
            throw fail(new SandboxException("the agent connection failed " + during + ": "
                    + (why != null ? why : e.toString()), e));
        }
        if (m == null) {
            String why = brokenBecause;
            throw fail(new SandboxException("the agent closed the connection " + during
                    + (why != null ? " (" + why + ")" : "")));
        }
        return m;
    }

    private void checkOpen() throws SandboxException {
        String why = brokenBecause;
        if (why != null) {
            throw new SandboxException("the agent connection is closed: " + why);
        }
    }

    /** Marks the connection broken, closes the transport, and returns {@code e} to throw. */
    private <E extends IOException> E fail(E e) {
        if (brokenBecause == null) {
            brokenBecause = e.getMessage();
        }
        try {
            transport.close();
        } catch (IOException ignored) {
            // failing already
        }
        return e;
    }

    private static SandboxProtocolException unexpected(Message m, String expected) {
        return new SandboxProtocolException(Message.name(m.type()) + " where " + expected + " was expected");
    }

    private static void joinQuietly(Thread t) {
        joinQuietly(t, 0);
    }

    private static void joinQuietly(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Output kept in memory, stdout and stderr together at most {@code limit} bytes. */
    private static final class Capture {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private final long limit;
        private long used;

        Capture(long limit) {
            this.limit = limit;
        }

        boolean fits(int n) {
            if (used + n > limit) {
                return false;
            }
            used += n;
            return true;
        }
    }
}
