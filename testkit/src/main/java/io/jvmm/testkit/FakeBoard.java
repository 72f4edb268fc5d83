package io.jvmm.testkit;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.MmioIntercept;
import io.jvmm.api.device.PortIoIntercept;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceResolver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Board services for one or more devices under test, without a board: it records line sources,
 * line targets and power requests for the test to assert on, and hands out a {@link FakeClock} and
 * a {@link FakeWaker}. A device resolved here and then {@link #attach attached} has the regions it
 * declares recorded as claims, as the real board derives them; a claim that overlaps an earlier one
 * throws, naming both, as the real board reports it. Nothing is delivered: line targets are only
 * recorded, and no one polls the device.
 *
 * <p>Resolve a device with {@link #context}, which also says how nested resources (a UART's serial
 * backend, a battery's source) are resolved. To make a board service fail, override it in a
 * subclass. Safe to use from several threads (a backend thread may raise a line).
 */
public class FakeBoard implements BoardServices {
    /** Which address space a claim is in. */
    public enum Space { PIO, MMIO }

    /** A claimed inclusive range {@code [start, end]}. */
    public record Claim(Space space, String region, long start, long end) {
        public static Claim pio(String region, long start, long end) {
            return new Claim(Space.PIO, region, start, end);
        }

        public static Claim mmio(String region, long start, long end) {
            return new Claim(Space.MMIO, region, start, end);
        }
    }

    /** One {@link #addLineTarget} call. */
    public record LineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {}

    private final List<Claim> claims = new ArrayList<>();
    private final List<FakeLine> lines = new ArrayList<>();
    private final List<LineTarget> lineTargets = new ArrayList<>();
    private final List<PowerAction> powerRequests = new ArrayList<>();
    private final List<String> powerCauses = new ArrayList<>();
    private final FakeClock clock;
    private final FakeWaker waker = new FakeWaker();
    private volatile io.jvmm.api.device.DmaMemory guestMemory = io.jvmm.api.device.DmaMemory.NONE;
    private volatile boolean deliversMsi;
    private final List<Msi> msis = new ArrayList<>();

    /** One message-signalled interrupt a device sent (see {@link #withMessageInterrupts()}). */
    public record Msi(long address, int data) {}

    public FakeBoard(FakeClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A board with a {@link FakeClock#FakeClock() default clock}. */
    public FakeBoard() {
        this(new FakeClock());
    }

    // --- BoardServices ---------------------------------------------------------------------------

    @Override
    public synchronized FakeLine newLine(String lineSet, String label, int vector) {
        FakeLine line = new FakeLine(lineSet, label, vector);
        lines.add(line);
        return line;
    }

    @Override
    public synchronized void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target) {
        lineTargets.add(new LineTarget(lineSet, firstSource, lastSource, firstTarget, target));
    }

    @Override
    public synchronized void requestPower(PowerAction action) {
        requestPower(action, null);
    }

    @Override
    public synchronized void requestPower(PowerAction action, String cause) {
        powerRequests.add(Objects.requireNonNull(action, "action"));
        powerCauses.add(cause);
    }

    @Override
    public FakeClock clock() {
        return clock;
    }

    /** The one waker shared by every device built on this board. */
    @Override
    public FakeWaker waker() {
        return waker;
    }

    /** The guest memory devices resolved on this board get; {@link io.jvmm.api.device.DmaMemory#NONE} until set. */
    @Override
    public io.jvmm.api.device.DmaMemory guestMemory() {
        return guestMemory;
    }

    /** Gives the devices resolved on this board (from now on) guest RAM, e.g. a {@link FakeGuestMemory}. */
    public FakeBoard withGuestMemory(io.jvmm.api.device.DmaMemory memory) {
        this.guestMemory = Objects.requireNonNull(memory, "memory");
        return this;
    }

    /**
     * Empty until {@link #withMessageInterrupts()}: then a sender that records each message, in
     * order, for {@link #msis()}.
     */
    @Override
    public java.util.Optional<io.jvmm.api.device.MessageInterrupts> messageInterrupts() {
        return deliversMsi ? java.util.Optional.of(this::recordMsi) : java.util.Optional.empty();
    }

    /** Makes this board deliver MSIs to devices resolved from now on (they may then offer MSI-X). */
    public FakeBoard withMessageInterrupts() {
        this.deliversMsi = true;
        return this;
    }

    private synchronized void recordMsi(long address, int data) {
        msis.add(new Msi(address, data));
    }

    /** Every MSI sent so far, oldest first. */
    public synchronized List<Msi> msis() {
        return List.copyOf(msis);
    }

    /** Forgets the MSIs recorded so far. */
    public synchronized void clearMsis() {
        msis.clear();
    }

    // --- devices -----------------------------------------------------------------------------------

    /**
     * Places a built device on this board the way the real board does: every region it declares
     * ({@link PortIoIntercept#pioRegions()}, {@link MmioIntercept#mmioRegions()}) becomes a claim,
     * in declaration order, PIO first. Returns the device's {@link FakeBus} for the test's accesses.
     */
    public FakeBus attach(ChipsetDevice device) {
        FakeBus bus = FakeBus.of(device);
        synchronized (this) {
            for (IoRegion r : bus.pioRegions()) {
                claim(Claim.pio(r.name(), r.start(), r.end()));
            }
            for (IoRegion r : bus.mmioRegions()) {
                claim(Claim.mmio(r.name(), r.start(), r.end()));
            }
        }
        return bus;
    }

    private void claim(Claim c) {
        for (Claim existing : claims) {
            // inclusive ranges, compared unsigned like guest addresses
            if (existing.space() == c.space() && Long.compareUnsigned(c.start(), existing.end()) <= 0
                    && Long.compareUnsigned(existing.start(), c.end()) <= 0) {
                throw new IllegalStateException("static " + c.space().name().toLowerCase(java.util.Locale.ROOT)
                        + " intercept region conflict: " + describe(c) + " conflicts with existing " + describe(existing));
            }
        }
        claims.add(c);
    }

    private static String describe(Claim c) {
        return c.region() + ":0x" + Long.toHexString(c.start()) + "-0x" + Long.toHexString(c.end());
    }


    // --- what the test reads -----------------------------------------------------------------------

    /** Every claim of the devices {@link #attach attached} so far, PIO and MMIO, in order. */
    public synchronized List<Claim> claims() {
        return List.copyOf(claims);
    }

    public synchronized List<Claim> pioClaims() {
        return claims.stream().filter(c -> c.space() == Space.PIO).toList();
    }

    public synchronized List<Claim> mmioClaims() {
        return claims.stream().filter(c -> c.space() == Space.MMIO).toList();
    }

    /** Every line source handed out, in order. */
    public synchronized List<FakeLine> lines() {
        return List.copyOf(lines);
    }

    /** The one source on {@code lineSet:vector}; fails the test if there is none or several. */
    public synchronized FakeLine line(String lineSet, int vector) {
        List<FakeLine> found = sources(lineSet, vector);
        if (found.size() != 1) {
            throw new AssertionError("expected one source on line " + lineSet + ":" + vector + ", found "
                    + found.size() + " among " + lines);
        }
        return found.get(0);
    }

    /** What an interrupt controller would see on {@code lineSet:vector}: the OR of all its sources. */
    public synchronized boolean lineLevel(String lineSet, int vector) {
        return sources(lineSet, vector).stream().anyMatch(FakeLine::level);
    }

    private List<FakeLine> sources(String lineSet, int vector) {
        return lines.stream().filter(l -> l.lineSet().equals(lineSet) && l.vector() == vector).toList();
    }

    public synchronized List<LineTarget> lineTargets() {
        return List.copyOf(lineTargets);
    }

    /** Power actions requested so far, in order. */
    public synchronized List<PowerAction> powerRequests() {
        return List.copyOf(powerRequests);
    }

    /**
     * The cause given with each power request, in the order of {@link #powerRequests()}; "(none)"
     * where the device gave none.
     */
    public synchronized List<String> powerCauses() {
        return powerCauses.stream().map(c -> c == null ? "(none)" : c).toList();
    }

    // --- resolve contexts ------------------------------------------------------------------------

    /**
     * A context for resolving a device named {@code deviceName} on this board. Nested resources are
     * resolved by whichever of {@code resolvers} has their kind and id, with the same context;
     * any other nested resource fails with a {@link ResolveException}.
     */
    public ResolveContext context(String deviceName, ResourceResolver<?, ?>... resolvers) {
        List<ResourceResolver<?, ?>> list = List.of(resolvers);
        return new Context(deviceName, this, (resource, context) -> {
            for (ResourceResolver<?, ?> r : list) {
                if (r.kind().equals(resource.kind()) && r.id().equals(resource.id())) {
                    return resolveWith(r, resource.handle(), context);
                }
            }
            throw new ResolveException("the test context has no resolver for " + resource.key());
        });
    }

    /**
     * A context for resolving a device named {@code deviceName} on this board, in which every
     * nested resource of a kind in {@code byKind} resolves to that object, whatever its id (e.g.
     * {@code Map.of(ResourceKinds.SERIAL_BACKEND, backend)}).
     */
    public ResolveContext context(String deviceName, Map<ResourceKind<?>, ?> byKind) {
        Map<ResourceKind<?>, ?> copy = Map.copyOf(byKind);
        return new Context(deviceName, this, (resource, context) -> {
            Object value = copy.get(resource.kind());
            if (value == null) {
                throw new ResolveException("the test context has nothing of kind " + resource.kind()
                        + " for " + resource.key());
            }
            return value;
        });
    }

    private static <H extends ResourceHandle> Object resolveWith(ResourceResolver<H, ?> resolver,
            ResourceHandle handle, ResolveContext context) throws ResolveException {
        return resolver.resolve(resolver.handleType().cast(handle), context);
    }

    /** Resolves one nested resource to an object of its kind's type. */
    @FunctionalInterface
    private interface Nested {
        Object resolve(Resource<?> resource, ResolveContext context) throws ResolveException;
    }

    private record Context(String deviceName, FakeBoard board, Nested nested) implements ResolveContext {
        @Override
        public <T> T resolve(Resource<T> resource) throws ResolveException {
            return resource.kind().type().cast(nested.resolve(resource, this));
        }
    }
}
