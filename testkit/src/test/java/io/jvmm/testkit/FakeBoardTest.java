package io.jvmm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.LineSets;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.handles.MultiplexedKeyboardHandle;
import io.jvmm.api.input.KeyEvent;
import io.jvmm.api.input.KeyboardInput;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ResolveContext;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKind;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.api.resource.ResourceResolver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakeBoardTest {
    private final FakeBoard board = new FakeBoard();

    @Test
    void recordsClaimsInOrderAndBySpace() {
        board.claimPio("data", 0x60, 0x60);
        board.claimMmio("regs", 0xFED0_0000L, 0xFED0_0FFFL);
        board.claimPio("command", 0x64, 0x64);
        assertEquals(List.of(FakeBoard.Claim.pio("data", 0x60, 0x60),
                FakeBoard.Claim.mmio("regs", 0xFED0_0000L, 0xFED0_0FFFL),
                FakeBoard.Claim.pio("command", 0x64, 0x64)), board.claims());
        assertEquals(List.of(FakeBoard.Claim.pio("data", 0x60, 0x60), FakeBoard.Claim.pio("command", 0x64, 0x64)),
                board.pioClaims());
        assertEquals(List.of(FakeBoard.Claim.mmio("regs", 0xFED0_0000L, 0xFED0_0FFFL)), board.mmioClaims());
    }

    @Test
    void linesCountChangesAndRisingEdges() {
        FakeLine line = board.newLine(LineSets.IRQ, "uart", 4);
        assertEquals("uart", line.label());
        assertEquals(LineSets.IRQ, line.lineSet());
        assertEquals(4, line.vector());
        line.setLevel(false);
        assertEquals(0, line.changes(), "low to low is no change");
        line.setLevel(true);
        line.setLevel(true);
        line.setLevel(false);
        line.setLevel(true);
        assertTrue(line.level());
        assertEquals(3, line.changes());
        assertEquals(2, line.risingEdges());
        assertSame(line, board.line(LineSets.IRQ, 4));
        assertEquals(List.of(line), board.lines());
    }

    @Test
    void aSharedLineIsTheOrOfItsSources() {
        FakeLine a = board.newLine(LineSets.IRQ, "com1", 4);
        FakeLine b = board.newLine(LineSets.IRQ, "com3", 4);
        board.newLine(LineSets.GPE0, "other set", 4).setLevel(true);
        assertFalse(board.lineLevel(LineSets.IRQ, 4));
        b.setLevel(true);
        assertTrue(board.lineLevel(LineSets.IRQ, 4));
        a.setLevel(true);
        b.setLevel(false);
        assertTrue(board.lineLevel(LineSets.IRQ, 4));
        a.setLevel(false);
        assertFalse(board.lineLevel(LineSets.IRQ, 4));
        assertFalse(board.lineLevel(LineSets.IRQ, 9), "a line without sources is low");
        AssertionError shared = assertThrows(AssertionError.class, () -> board.line(LineSets.IRQ, 4));
        assertTrue(shared.getMessage().contains("found 2"), shared.getMessage());
        assertThrows(AssertionError.class, () -> board.line(LineSets.IRQ, 5));
    }

    @Test
    void recordsLineTargetsAndPowerRequests() {
        LineInterruptTarget target = (vector, high) -> { };
        board.addLineTarget(LineSets.GPE0, 0, 15, 16, target);
        assertEquals(List.of(new FakeBoard.LineTarget(LineSets.GPE0, 0, 15, 16, target)), board.lineTargets());
        board.requestPower(PowerAction.RESET);
        board.requestPower(PowerAction.POWER_OFF, "was told to enter S5");
        assertEquals(List.of(PowerAction.RESET, PowerAction.POWER_OFF), board.powerRequests());
        assertEquals(List.of("(none)", "was told to enter S5"), board.powerCauses());
    }

    @Test
    void theClockMovesOnlyWhenTold() {
        FakeClock clock = new FakeClock(5_000, Instant.parse("2030-01-01T00:00:00Z"));
        assertEquals(5_000, clock.nanos());
        assertEquals(5_000, clock.nanos(), "no time passes by itself");
        clock.advanceNanos(1_000);
        clock.advance(Duration.ofSeconds(2));
        assertEquals(2_000_006_000L, clock.nanos());
        assertEquals(Instant.parse("2030-01-01T00:00:02.000001Z"), clock.wallTime());
        clock.stepWallClock(Duration.ofHours(-1));
        assertEquals(2_000_006_000L, clock.nanos(), "a wall-clock step leaves VM time alone");
        assertEquals(Instant.parse("2029-12-31T23:00:02.000001Z"), clock.wallTime());

        FakeClock standard = new FakeBoard().clock();
        assertEquals(1_000_000_000L, standard.nanos());
        assertEquals(FakeClock.DEFAULT_WALL_TIME, standard.wallTime());
    }

    @Test
    void theWakerCountsWakesAndTimersApart() {
        FakeWaker waker = board.waker();
        assertNull(waker.lastDelay());
        waker.wake();
        waker.wake();
        waker.wakeAfter(Duration.ofMillis(3));
        waker.wakeAfter(Duration.ofMillis(7));
        assertEquals(2, waker.wakes());
        assertEquals(2, waker.timers());
        assertEquals(Duration.ofMillis(7), waker.lastDelay());
    }

    @Test
    void aContextByKindHandsOutTheObjectWhateverTheId() throws ResolveException {
        ResourceKind<String> greeting = new ResourceKind<>("greeting", String.class);
        ResolveContext context = board.context("com1", Map.of(greeting, "hi"));
        assertEquals("com1", context.deviceName());
        assertSame(board, context.board());
        assertEquals("hi", context.resolve(Resource.of(greeting, "any", EmptyHandle.INSTANCE)));
        ResolveException e = assertThrows(ResolveException.class,
                () -> context.resolve(DisconnectedSerialHandle.resource()));
        assertTrue(e.getMessage().contains("serial_backend:disconnected"), e.getMessage());
    }

    @Test
    void aContextWithResolversResolvesNestedResourcesThroughThem() throws ResolveException {
        List<String> resolvedFor = new ArrayList<>();
        ResolveContext context = board.context("i8042", new RecordingKeyboardResolver(resolvedFor));
        KeyboardInput input = context.resolve(new MultiplexedKeyboardHandle(3).toResource());
        assertNull(input.poll());
        assertEquals(List.of("i8042 at elevation 3"), resolvedFor,
                "the resolver ran with the same context, so with its device name");
        ResolveException e = assertThrows(ResolveException.class,
                () -> context.resolve(DisconnectedSerialHandle.resource()));
        assertTrue(e.getMessage().contains("serial_backend:disconnected"), e.getMessage());
        assertThrows(ResolveException.class,
                () -> board.context("none").resolve(new MultiplexedKeyboardHandle(0).toResource()));
    }

    /** A keyboard_input resolver that records whom it resolved for (the runtime's real one lives in runtime). */
    private record RecordingKeyboardResolver(List<String> resolvedFor)
            implements ResourceResolver<MultiplexedKeyboardHandle, KeyboardInput> {
        @Override
        public ResourceKind<KeyboardInput> kind() {
            return ResourceKinds.KEYBOARD_INPUT;
        }

        @Override
        public String id() {
            return MultiplexedKeyboardHandle.ID;
        }

        @Override
        public Class<MultiplexedKeyboardHandle> handleType() {
            return MultiplexedKeyboardHandle.class;
        }

        @Override
        public MultiplexedKeyboardHandle parseHandle(ConfigReader config) {
            return MultiplexedKeyboardHandle.parse(config);
        }

        @Override
        public KeyboardInput resolve(MultiplexedKeyboardHandle handle, ResolveContext context) {
            resolvedFor.add(context.deviceName() + " at elevation " + handle.elevation());
            return new KeyboardInput() {
                @Override
                public KeyEvent poll() {
                    return null;
                }

                @Override
                public void setListener(Runnable listener) {}

                @Override
                public void setActive(boolean active) {}
            };
        }
    }

    @Test
    void anOverlappingClaimThrowsNamingBothLikeTheRealBoard() {
        board.claimPio("delay", 0x80, 0x8f);
        board.claimMmio("regs", 0xFED0_0000L, 0xFED0_0FFFL);
        board.claimPio("next", 0x90, 0x90); // adjacent is fine
        board.claimMmio("port-space-is-separate", 0x80, 0x80);
        IllegalStateException pio = assertThrows(IllegalStateException.class, () -> board.claimPio("post", 0x80, 0x80));
        assertEquals("static pio intercept region conflict: post:0x80-0x80 conflicts with existing delay:0x80-0x8f",
                pio.getMessage());
        IllegalStateException mmio = assertThrows(IllegalStateException.class,
                () -> board.claimMmio("hpet", 0xFED0_0800L, 0xFED0_1FFFL));
        assertEquals("static mmio intercept region conflict: hpet:0xfed00800-0xfed01fff conflicts with existing "
                + "regs:0xfed00000-0xfed00fff", mmio.getMessage());
        assertEquals(4, board.claims().size(), "a conflicting claim is not recorded");
    }

    @Test
    void aSubclassCanMakeAServiceFail() {
        FakeBoard sealed = new FakeBoard() {
            @Override
            public void claimMmio(String region, long start, long end) {
                throw new IllegalStateException("claims are sealed");
            }
        };
        assertThrows(IllegalStateException.class, () -> sealed.context("x").board().claimMmio("r", 0, 1));
        assertTrue(sealed.claims().isEmpty());
    }
}
