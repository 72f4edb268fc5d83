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
 * The I/O bus of a built board: sends each vCPU access, by the address of its first byte, to the
 * device that declared the region holding it, as (region index, offset), holding only that
 * device's lock.
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
    private static final int WRITE_BIT = 1;
    private static final int MMIO_BIT = 2;
    private static final int PIO_READ = 0;
    private static final int PIO_WRITE = WRITE_BIT;
    private static final int MMIO_READ = MMIO_BIT;
    private static final int MMIO_WRITE = MMIO_BIT | WRITE_BIT;

    private final PioRangeMap<DispatchTarget> pio;
    private final IoRangeMap<DispatchTarget> mmio;
    private final BarMappings bars;
    private final Duration deferredTimeout;
    private final LogRateLimiter unknownPioLog;
    private final LogRateLimiter unknownMmioLog;
    private volatile boolean traceUnknownPio;
    private volatile boolean traceUnknownMmio;

    Board(IoRangeMap<DispatchTarget> pio, IoRangeMap<DispatchTarget> mmio, Duration deferredTimeout,
            boolean traceUnknownPio, boolean traceUnknownMmio, int logsPerSecond) {
        this(pio, mmio, new BarMappings(), deferredTimeout, traceUnknownPio, traceUnknownMmio, logsPerSecond);
    }

    Board(IoRangeMap<DispatchTarget> pio, IoRangeMap<DispatchTarget> mmio, BarMappings bars, Duration deferredTimeout,
            boolean traceUnknownPio, boolean traceUnknownMmio, int logsPerSecond) {
        this.pio = new PioRangeMap<>(pio);
        this.mmio = Objects.requireNonNull(mmio);
        this.bars = bars;
        bars.setStatic(mmio);
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

    /** The region containing {@code address}, or null (mapped PCI BARs are not regions). */
    public Region mmioRegionAt(long address) {
        int i = mmio.indexOf(address);
        return i < 0 ? null : mmio.region(i);
    }

    @Override
    public void pioRead(int port, byte[] data) {
        port &= 0xFFFF;
        dispatch(pio.find(port), PIO_READ, port, data);
    }

    @Override
    public void pioWrite(int port, byte[] data) {
        port &= 0xFFFF;
        dispatch(pio.find(port), PIO_WRITE, port, data);
    }

    @Override
    public void mmioRead(long address, byte[] data) {
        dispatch(findMmio(address), MMIO_READ, address, data);
    }

    @Override
    public void mmioWrite(long address, byte[] data) {
        dispatch(findMmio(address), MMIO_WRITE, address, data);
    }

    /** A static region's target, else a mapped PCI BAR's (they never overlap), else null. */
    private DispatchTarget findMmio(long address) {
        DispatchTarget t = mmio.find(address);
        return t != null ? t : bars.find(address);
    }

    /**
     * The one dispatch routine: hands the access to the region's device as (region index, offset of
     * the first address), under the device's lock, and handles every outcome.
     */
    private void dispatch(DispatchTarget t, int op, long address, byte[] data) {
        boolean read = (op & WRITE_BIT) == 0;
        if (t == null) {
            if (read) {
                IoData.fillOnes(data);
            }
            boolean pioOp = (op & MMIO_BIT) == 0;
            if (pioOp ? traceUnknownPio : traceUnknownMmio) {
                traceUnknown(pioOp ? unknownPioLog : unknownMmioLog, space(op), read, address, data);
            }
            return;
        }
        long offset = address - t.start;
        IoResult result;
        try {
            synchronized (t.lock) {
                switch (op) {
                    case PIO_READ:
                        result = t.pio.ioRead(t.index, (int) offset, data);
                        break;
                    case PIO_WRITE:
                        result = t.pio.ioWrite(t.index, (int) offset, data);
                        break;
                    case MMIO_READ:
                        result = t.mmio.mmioRead(t.index, offset, data);
                        break;
                    default:
                        result = t.mmio.mmioWrite(t.index, offset, data);
                        break;
                }
            }
        } catch (RuntimeException e) {
            threw(t, space(op), read, address, data, e);
            return;
        }
        if (result != IoResult.OK) {
            finish(t, result, space(op), read, address, data);
        }
    }

    private static String space(int op) {
        return (op & MMIO_BIT) == 0 ? "pio" : "mmio";
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
