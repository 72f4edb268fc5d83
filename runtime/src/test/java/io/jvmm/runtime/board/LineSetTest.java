package io.jvmm.runtime.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.LineInterrupt;
import io.jvmm.runtime.board.TestSupport.RecordingTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

class LineSetTest {
    private final InterruptLines lines = new InterruptLines();

    @Test
    void targetSeesTheOrOfAllSources() {
        RecordingTarget t = new RecordingTarget();
        lines.addTarget("irq", 0, 23, 0, t, null);
        LineInterrupt com1 = lines.newLine("irq", "com1", 4);
        LineInterrupt com3 = lines.newLine("irq", "com3", 4);
        com1.setLevel(true);
        com3.setLevel(true);
        assertTrue(com1.level());
        com1.setLevel(false);
        assertFalse(com1.level());
        assertTrue(com3.level());
        assertTrue(t.high(4), "com3 still holds the line high");
        com3.setLevel(false);
        assertEquals(List.of("4+", "4-"), t.events, "only changes of the OR are forwarded");
        assertEquals("irq", com1.lineSet());
        assertEquals(4, com1.vector());
    }

    @Test
    void repeatedLevelsAreNotForwarded() {
        RecordingTarget t = new RecordingTarget();
        lines.addTarget("gpe0", 0, 15, 0, t, null);
        LineInterrupt l = lines.newLine("gpe0", "battery", 9);
        l.setLevel(false);
        l.setLevel(true);
        l.setLevel(true);
        l.setLevel(false);
        l.setLevel(false);
        assertEquals(List.of("9+", "9-"), t.events);
    }

    @Test
    void sixteenSourcesPerLineAndTheSeventeenthFailsClearly() {
        List<LineInterrupt> sources = new ArrayList<>();
        for (int i = 0; i < LineSet.MAX_SOURCES; i++) {
            sources.add(lines.newLine("irq", "dev" + i, 7));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lines.newLine("irq", "dev16", 7));
        assertTrue(e.getMessage().contains("line irq/7 already has 16 sources"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot add 'dev16'"), e.getMessage());
        assertTrue(e.getMessage().contains("dev0, dev1"), e.getMessage());
        // Other lines are unaffected, and all 16 sharers work.
        lines.newLine("irq", "other", 8);
        RecordingTarget t = new RecordingTarget();
        lines.addTarget("irq", 7, 7, 0, t, null);
        sources.get(15).setLevel(true);
        sources.get(0).setLevel(true);
        sources.get(15).setLevel(false);
        assertTrue(t.high(0));
        sources.get(0).setLevel(false);
        assertFalse(t.high(0));
    }

    @Test
    void lateTargetImmediatelySeesLinesAlreadyHigh() {
        LineInterrupt a = lines.newLine("irq", "a", 1);
        LineInterrupt b = lines.newLine("irq", "b", 12);
        lines.newLine("irq", "c", 3);
        a.setLevel(true);
        b.setLevel(true);
        RecordingTarget t = new RecordingTarget();
        lines.addTarget("irq", 0, 15, 0, t, null);
        assertTrue(t.high(1));
        assertTrue(t.high(12));
        assertFalse(t.levels.containsKey(3), "low lines are not reported");
        b.setLevel(false);
        assertFalse(t.high(12));
    }

    @Test
    void targetRangesMapVectorsAndLinesFanOut() {
        RecordingTarget ioapic = new RecordingTarget();
        RecordingTarget pic = new RecordingTarget();
        RecordingTarget gic = new RecordingTarget();
        lines.addTarget("irq", 0, 23, 0, ioapic, null);
        lines.addTarget("irq", 2, 2, 0, pic, null);
        lines.addTarget("irq", 3, 15, 3, pic, null);
        lines.addTarget("irq", 0, 987, 32, gic, null);
        LineInterrupt pit = lines.newLine("irq", "pit", 2);
        LineInterrupt outside = lines.newLine("irq", "big", 30);
        pit.setLevel(true);
        outside.setLevel(true);
        assertEquals(List.of("2+"), ioapic.events);
        assertEquals(List.of("0+"), pic.events);
        assertEquals(List.of("34+", "62+"), gic.events);
    }

    @Test
    void lineSetsAreIndependentAndAnyNameWorks() {
        RecordingTarget lint = new RecordingTarget();
        lines.addTarget("bsp_lint", 0, 1, 0, lint, null);
        RecordingTarget custom = new RecordingTarget();
        lines.addTarget("my_set", 0, 0, 5, custom, null);
        lines.newLine("irq", "x", 0).setLevel(true);
        lines.newLine("my_set", "y", 0).setLevel(true);
        assertTrue(lint.events.isEmpty());
        assertEquals(List.of("5+"), custom.events);
        assertTrue(lines.lineSet("my_set").isHigh(0));
        assertFalse(lines.lineSet("irq").isHigh(7));
    }

    @Test
    void badArgumentsAreRejected() {
        RecordingTarget t = new RecordingTarget();
        assertThrows(IllegalArgumentException.class, () -> lines.newLine("irq", "neg", -1));
        assertThrows(IllegalArgumentException.class, () -> lines.addTarget("irq", 5, 4, 0, t, null));
        assertThrows(IllegalArgumentException.class, () -> lines.lineSet(" "));
    }

    @Test
    void aThrowingTargetDoesNotBreakTheSource() {
        lines.addTarget("irq", 0, 0, 0, (v, h) -> {
            throw new IllegalStateException("broken controller");
        }, null);
        RecordingTarget t = new RecordingTarget();
        lines.addTarget("irq", 0, 0, 0, t, null);
        LineInterrupt l = lines.newLine("irq", "x", 0);
        l.setLevel(true);
        assertTrue(t.high(0), "the second target still gets the change");
        l.setLevel(false);
        assertFalse(t.high(0));
    }

    @Test
    void concurrentSettersFromTwoThreadsLoseNoUpdate() throws Exception {
        // Each delivered event alternates; a lost or reordered update would show as two equal
        // levels in a row or a final level that disagrees with the sources.
        List<Boolean> seen = new ArrayList<>();
        lines.addTarget("irq", 4, 4, 4, (v, h) -> seen.add(h), null); // setIrq runs under the line's monitor
        LineInterrupt a = lines.newLine("irq", "a", 4);
        LineInterrupt b = lines.newLine("irq", "b", 4);
        for (int round = 0; round < 20; round++) {
            CyclicBarrier go = new CyclicBarrier(2);
            boolean aEnds = round % 2 == 0;
            boolean bEnds = round % 3 == 0;
            Thread ta = new Thread(() -> toggle(a, go, aEnds));
            Thread tb = new Thread(() -> toggle(b, go, bEnds));
            ta.start();
            tb.start();
            ta.join();
            tb.join();
            assertEquals(aEnds, a.level());
            assertEquals(bEnds, b.level());
            boolean expected = aEnds || bEnds;
            assertEquals(expected, lines.lineSet("irq").isHigh(4), "round " + round);
            synchronized (seen) {
                boolean last = seen.isEmpty() ? false : seen.get(seen.size() - 1);
                assertEquals(expected, last, "round " + round);
                for (int i = 1; i < seen.size(); i++) {
                    assertTrue(seen.get(i) != seen.get(i - 1), "events must alternate");
                }
            }
        }
    }

    private static void toggle(LineInterrupt line, CyclicBarrier go, boolean end) {
        try {
            go.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        for (int i = 0; i < 20_000; i++) {
            line.setLevel((i & 1) == 0);
        }
        line.setLevel(end);
    }
}
