package io.jvmm.api.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.SavedStateBlob;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StateFormatTest {
    record Queue(int size, long desc, boolean ready) {}

    record Sample(boolean on, int reg, int word, long dword, long big, byte[] fifo, String label, List<Queue> queues) {
        Sample {
            if (reg > 0x7F) {
                throw new IllegalArgumentException("reg has reserved bit 7 set");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sample s && s.on == on && s.reg == reg && s.word == word && s.dword == dword
                    && s.big == big && Arrays.equals(s.fifo, fifo) && s.label.equals(label) && s.queues.equals(queues);
        }

        @Override
        public int hashCode() {
            return reg;
        }
    }

    static final StateFormat<Sample> V2 = StateFormat.of("test.sample", 2, (s, out) -> out.bool("on", s.on())
            .u8("reg", s.reg()).u16("word", s.word()).u32("dword", s.dword()).i64("big", s.big())
            .bytes("fifo", s.fifo()).text("label", s.label())
            .list("queues", s.queues(), (q, o) -> o.u16("size", q.size()).i64("desc", q.desc()).bool("ready", q.ready())),
            in -> new Sample(in.bool("on"), in.u8("reg"), in.u16("word"), in.u32("dword"), in.i64("big"),
                    in.bytes("fifo", 16), in.version() >= 2 ? in.text("label", 32) : "old",
                    in.list("queues", 4, q -> new Queue(q.u16("size"), q.i64("desc"), q.bool("ready")))));

    static Sample sample() {
        return new Sample(true, 0x5A, 0xFFFF, 0xFFFF_FFFFL, -2, new byte[] {1, 2, 3}, "uart",
                List.of(new Queue(256, 0x1000, true), new Queue(0, 0, false)));
    }

    @Test
    void roundTripsEveryType() {
        SavedStateBlob blob = V2.save(sample());
        assertEquals("test.sample", blob.format());
        assertEquals(2, blob.version());
        assertEquals(sample(), V2.restore(blob));
    }

    @Test
    void olderVersionIsReadWithItsDefaults() {
        StateFormat<Sample> v1 = StateFormat.of("test.sample", 1, (s, out) -> out.bool("on", s.on())
                .u8("reg", s.reg()).u16("word", s.word()).u32("dword", s.dword()).i64("big", s.big())
                .bytes("fifo", s.fifo()).list("queues", s.queues(), (q, o) -> o.u16("size", q.size())
                        .i64("desc", q.desc()).bool("ready", q.ready())), in -> sample());
        Sample read = V2.restore(v1.save(sample()));
        assertEquals("old", read.label());
        IllegalArgumentException newer = assertThrows(IllegalArgumentException.class,
                () -> StateFormat.of("test.sample", 1, (Sample s, StateWriter o) -> { }, in -> sample())
                        .restore(V2.save(sample())));
        assertTrue(newer.getMessage().contains("version 2 is not supported"), newer.getMessage());
    }

    @Test
    void versionsBelowTheOldestReadableAreRefusedBeforeTheDecoderSeesThem() {
        StateFormat<Sample> from2 = StateFormat.of("test.sample", 2, 2, (s, out) -> { }, in -> {
            throw new AssertionError("the decoder must not see version 1");
        });
        SavedStateBlob old = new SavedStateBlob("test.sample", 1, new byte[] {42});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> from2.restore(old));
        assertEquals("test.sample saved state: version 1 is no longer read (this build reads versions 2 to 2)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StateFormat.of("test.sample", 2, 3, (s, out) -> { },
                in -> sample()));
    }

    @Test
    void refusesAnotherFormat() {
        SavedStateBlob other = new SavedStateBlob("test.other", 1, new byte[0]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> V2.restore(other)).getMessage()
                .contains("'test.other'"));
    }

    @Test
    void namesMissingUnknownAndMistypedFields() {
        StateFormat<Sample> missing = StateFormat.of("test.sample", 2, (s, out) -> out.bool("on", true), in -> sample());
        assertMessage(V2, missing.save(sample()), "field 'reg' is missing");
        StateFormat<Sample> extra = StateFormat.of("test.sample", 2, (s, out) -> {
            V2encode(s, out);
            out.u8("future", 1);
        }, in -> sample());
        assertMessage(V2, extra.save(sample()), "unknown field(s) future");
        StateFormat<Sample> mistyped = StateFormat.of("test.sample", 2, (s, out) -> out.u32("on", 1), in -> sample());
        assertMessage(V2, mistyped.save(sample()), "field 'on' has type tag 4, expected 1");
    }

    @Test
    void theRecordsOwnChecksApply() {
        SavedStateBlob good = V2.save(sample());
        byte[] data = good.data();
        // "reg" is the second field: tag, len=3, "reg", value
        int at = indexOf(data, "reg".getBytes()) + 3;
        data[at] = (byte) 0x80;
        assertMessage(V2, new SavedStateBlob("test.sample", 2, data), "reserved bit 7");
    }

    @Test
    void boundsOnBytesAndLists() {
        Sample big = new Sample(true, 1, 1, 1, 1, new byte[17], "x", List.of());
        assertMessage(V2, V2.save(big), "field 'fifo' has 17 bytes, at most 16");
        Sample many = new Sample(true, 1, 1, 1, 1, new byte[0], "x",
                List.of(new Queue(1, 1, true), new Queue(1, 1, true), new Queue(1, 1, true), new Queue(1, 1, true),
                        new Queue(1, 1, true)));
        assertMessage(V2, V2.save(many), "5 items, at most 4");
        assertThrows(IllegalArgumentException.class, () -> V2.save(new Sample(true, 1, 0x10000, 1, 1, new byte[0], "x",
                List.of())));
    }

    /** Every truncation and thousands of random corruptions give an IllegalArgumentException, nothing else. */
    @Test
    void hostileBytesOnlyEverGiveIllegalArgument() {
        byte[] good = V2.save(sample()).data();
        for (int n = 0; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            assertThrows(IllegalArgumentException.class, () -> V2.restore(new SavedStateBlob("test.sample", 2, cut)),
                    "truncated to " + n);
        }
        Random random = new Random(19);
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = good.clone();
            for (int k = 0, flips = 1 + random.nextInt(4); k < flips; k++) {
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            }
            try {
                V2.restore(new SavedStateBlob("test.sample", 2, bad));
            } catch (IllegalArgumentException expected) {
                // fine: refused with a message
            }
        }
    }

    @Test
    void writerRefusesDuplicateNames() {
        StateFormat<Sample> dup = StateFormat.of("test.sample", 1, (s, out) -> out.u8("a", 1).u8("a", 2), in -> sample());
        assertThrows(IllegalArgumentException.class, () -> dup.save(sample()));
    }

    private static void V2encode(Sample s, StateWriter out) {
        out.bool("on", s.on()).u8("reg", s.reg()).u16("word", s.word()).u32("dword", s.dword()).i64("big", s.big())
                .bytes("fifo", s.fifo()).text("label", s.label())
                .list("queues", s.queues(), (q, o) -> o.u16("size", q.size()).i64("desc", q.desc()).bool("ready", q.ready()));
    }

    private static void assertMessage(StateFormat<Sample> format, SavedStateBlob blob, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> format.restore(blob));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().startsWith("test.sample v"), e.getMessage());
    }

    private static int indexOf(byte[] data, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= data.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
