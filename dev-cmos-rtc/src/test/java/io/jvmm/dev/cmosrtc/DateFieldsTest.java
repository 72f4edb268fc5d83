package io.jvmm.dev.cmosrtc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DateFieldsTest {
    private static void check(long epochSecond) {
        DateFields f = new DateFields();
        f.setEpochSeconds(epochSecond);
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        String at = "epoch second " + epochSecond + " (" + t + ")";
        assertEquals(t.getYear(), f.year, at);
        assertEquals(t.getMonthValue(), f.month, at);
        assertEquals(t.getDayOfMonth(), f.day, at);
        assertEquals(t.getHour(), f.hour, at);
        assertEquals(t.getMinute(), f.minute, at);
        assertEquals(t.getSecond(), f.second, at);
        assertEquals(t.getDayOfWeek().getValue() % 7 + 1, f.dayOfWeek, at); // Sunday = 1
        assertEquals(epochSecond, f.toEpochSeconds(), at);
    }

    @Test
    void matchesJavaTimeOnEdgesAndRandomInstants() {
        long[] edges = {
            0, -1, 86_399, 86_400, 951_782_400L /* 2000-02-29 */, 951_868_800L /* 2000-03-01 */,
            4_107_542_400L /* 2100-03-01 */, 4_102_444_799L /* 2099-12-31T23:59:59 */,
            -2_208_988_800L /* 1900-01-01 */, 253_402_300_799L /* 9999-12-31T23:59:59 */
        };
        for (long e : edges) {
            check(e);
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 20_000; i++) {
            check(random.nextLong(-2_208_988_800L, 253_402_300_799L));
        }
    }

    @Test
    void outOfRangeDaysRollOver() {
        DateFields f = new DateFields();
        f.year = 2023;
        f.month = 2;
        f.day = 31;
        f.setEpochSeconds(f.toEpochSeconds());
        assertEquals(3, f.month);
        assertEquals(3, f.day);
    }
}
