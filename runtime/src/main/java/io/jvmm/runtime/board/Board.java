package io.jvmm.runtime.board;

import io.jvmm.api.device.DeferredIo;
import io.jvmm.api.device.IoData;
import io.jvmm.api.device.IoError;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.support.LogRateLimiter;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O bus of a built board: sends each vCPU access, by absolute address, to the device that
 * claimed it, holding only that device's lock.
 *
 * <p>The range maps are immutable and published through final fields, so lookup takes no lock and
 * the common path (claimed address, device returns OK) allocates nothing. Unclaimed reads return
 * all-ones and unclaimed writes are dropped. A device error, a deferred access that times out, or
 * a device that throws makes a read return all-ones and is logged, rate-limited per device; the
 * guest keeps running.
 */
public final class Board implements IoBus {
    private static final Logger log = LoggerFactory.getLogger(Board.class);
    /** Where a deferred write's (absent) result is copied: nothing, since it has no bytes. */
    private static final byte[] NO_DATA = new byte[0];
    private static final boolean READ = true;
    private static final boolean WRITE = false;

    private final PioRangeMap<DispatchTarget> pio;
    private final IoRangeMap<DispatchTarget> mmio;
    private final Duration deferredTimeout;
    private final LogRateLimiter unknownPioLog;
    private final LogRateLimiter unknownMmioLog;
    private volatile boolean traceUnknownPio;
    private volatile boolean traceUnknownMmio;

    Board(IoRangeMap<DispatchTarget> pio, IoRangeMap<DispatchTarget> mmio, Duration deferredTimeout,
            boolean traceUnknownPio, boolean traceUnknownMmio, int logsPerSecond) {
        this.pio = new PioRangeMap<>(pio);
        this.mmio = Objects.requireNonNull(mmio);
        if (deferredTimeout.isNegative() || deferredTimeout.isZero()) {
            throw new IllegalArgumentException("deferred I/O timeout must be positive, was " + deferredTimeout);
        }
        this.deferredTimeout = deferredTimeout;
        this.traceUnknownPio = traceUnknownPio;
        this.traceUnknownMmio = traceUnknownMmio;
        this.unknownPioLog = new LogRateLimiter(logsPerSecond);
        this.unknownMmioLog = new LogRateLimiter(logsPerSecond);
    }

    /** Whether accesses to unclaimed ports are logged (rate-limited). Off by default: OSes probe ports. */
    public void setTraceUnknownPio(boolean on) {
        traceUnknownPio = on;
    }

    /** Whether accesses to unclaimed MMIO are logged (rate-limited). On by default: it usually means a bug. */
    public void setTraceUnknownMmio(boolean on) {
        traceUnknownMmio = on;
    }

    public boolean traceUnknownPio() {
        return traceUnknownPio;
    }

    public boolean traceUnknownMmio() {
        return traceUnknownMmio;
    }

    /** The claimed port regions, sorted by start. */
    public List<Region> pioRegions() {
        return pio.regions();
    }

    /** The claimed MMIO regions, sorted by start (unsigned). */
    public List<Region> mmioRegions() {
        return mmio.regions();
    }

    /** The region containing {@code port}, or null. */
    public Region pioRegionAt(int port) {
        return pio.regionAt(port);
    }

    /** The region containing {@code address}, or null. */
    public Region mmioRegionAt(long address) {
        int i = mmio.indexOf(address);
        return i < 0 ? null : mmio.region(i);
    }

    @Override
    public void pioRead(int port, byte[] data) {
        port &= 0xFFFF;
        DispatchTarget t = pio.find(port);
        if (t == null) {
            IoData.fillOnes(data);
            if (traceUnknownPio) {
                traceUnknown(unknownPioLog, "pio", READ, port, data);
            }
            return;
        }
        IoResult result;
        try {
            synchronized (t.lock) {
                result = t.pio.ioRead(port, data);
            }
        } catch (RuntimeException e) {
            threw(t, "pio", READ, port, data, e);
            return;
        }
        finish(t, result, "pio", READ, port, data);
    }

    @Override
    public void pioWrite(int port, byte[] data) {
        port &= 0xFFFF;
        DispatchTarget t = pio.find(port);
        if (t == null) {
            if (traceUnknownPio) {
                traceUnknown(unknownPioLog, "pio", WRITE, port, data);
            }
            return;
        }
        IoResult result;
        try {
            synchronized (t.lock) {
                result = t.pio.ioWrite(port, data);
            }
        } catch (RuntimeException e) {
            threw(t, "pio", WRITE, port, data, e);
            return;
        }
        finish(t, result, "pio", WRITE, port, data);
    }

    @Override
    public void mmioRead(long address, byte[] data) {
        DispatchTarget t = mmio.find(address);
        if (t == null) {
            IoData.fillOnes(data);
            if (traceUnknownMmio) {
                traceUnknown(unknownMmioLog, "mmio", READ, address, data);
            }
            return;
        }
        IoResult result;
        try {
            synchronized (t.lock) {
                result = t.mmio.mmioRead(address, data);
            }
        } catch (RuntimeException e) {
            threw(t, "mmio", READ, address, data, e);
            return;
        }
        finish(t, result, "mmio", READ, address, data);
    }

    @Override
    public void mmioWrite(long address, byte[] data) {
        DispatchTarget t = mmio.find(address);
        if (t == null) {
            if (traceUnknownMmio) {
                traceUnknown(unknownMmioLog, "mmio", WRITE, address, data);
            }
            return;
        }
        IoResult result;
        try {
            synchronized (t.lock) {
                result = t.mmio.mmioWrite(address, data);
            }
        } catch (RuntimeException e) {
            threw(t, "mmio", WRITE, address, data, e);
            return;
        }
        finish(t, result, "mmio", WRITE, address, data);
    }

    /** Handles a non-throwing result; OK returns at once. */
    private void finish(DispatchTarget t, IoResult result, String space, boolean read, long address,
            byte[] data) {
        if (result == IoResult.OK) {
            return;
        }
        IoError error;
        if (result instanceof IoResult.Err err) {
            error = err.error();
        } else if (result instanceof DeferredIo deferred) {
            // Wait outside the device lock: the device completes the access from another thread.
            error = awaitDeferred(deferred, read ? data : NO_DATA);
        } else if (result == null) {
            error = null;
            if (read) {
                IoData.fillOnes(data);
            }
            long s = t.errorLog.tryAcquire();
            if (s != LogRateLimiter.SUPPRESSED) {
                log.warn("device {} returned no result for {} {} at 0x{} ({} bytes); treated as an error{}",
                        t.name, space, direction(read), Long.toHexString(address), data.length,
                        LogRateLimiter.suppressedNote(s));
            }
            return;
        } else {
            error = null; // IoResult.Ok: the only other permitted type
        }
        if (error == null) {
            return;
        }
        if (read) {
            IoData.fillOnes(data);
        }
        long s = t.errorLog.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            log.warn("device io {} error: device {}, {} address 0x{}, {} bytes: {}{}", direction(read), t.name, space,
                    Long.toHexString(address), data.length, error.description(), LogRateLimiter.suppressedNote(s));
        }
    }

    private static String direction(boolean read) {
        return read ? "read" : "write";
    }

    private IoError awaitDeferred(DeferredIo deferred, byte[] into) {
        try {
            return deferred.await(into, deferredTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return IoError.NO_RESPONSE;
        }
    }

    private void threw(DispatchTarget t, String space, boolean read, long address, byte[] data,
            RuntimeException e) {
        if (read) {
            IoData.fillOnes(data);
        }
        long s = t.errorLog.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            log.warn("device {} threw on {} {} at 0x{} ({} bytes); the access is treated as an error{}", t.name,
                    space, direction(read), Long.toHexString(address), data.length,
                    LogRateLimiter.suppressedNote(s), e);
        }
    }

    private static void traceUnknown(LogRateLimiter limiter, String space, boolean read, long address,
            byte[] data) {
        long s = limiter.tryAcquire();
        if (s != LogRateLimiter.SUPPRESSED) {
            log.info("unclaimed {} {} at 0x{} ({} bytes){}{}", space, direction(read), Long.toHexString(address),
                    data.length, !read ? ", value 0x" + Long.toHexString(IoData.get(data)) : "",
                    LogRateLimiter.suppressedNote(s));
        }
    }
}
