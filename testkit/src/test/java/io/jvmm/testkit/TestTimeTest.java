package io.jvmm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TestTimeTest {
    @Test
    void unsetOrBlankMeansOne() {
        assertEquals(1.0, TestTime.parse(null, null));
        assertEquals(1.0, TestTime.parse(" ", ""));
    }

    @Test
    void thePropertyWinsOverTheEnvironment() {
        assertEquals(4.0, TestTime.parse(null, "4"));
        assertEquals(2.5, TestTime.parse("2.5", "4"));
        assertEquals(4.0, TestTime.parse("", " 4 "));
    }

    @Test
    void aScaleBelowOneOrNotANumberIsRefusedNamingItsSource() {
        IllegalStateException word = assertThrows(IllegalStateException.class, () -> TestTime.parse(null, "slow"));
        assertTrue(word.getMessage().startsWith("JVMM_TEST_TIME_SCALE=slow is not a number"), word.getMessage());
        for (String bad : new String[] {"0.5", "0", "-2", "NaN", "Infinity"}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestTime.parse(bad, null));
            assertTrue(e.getMessage().startsWith("-Djvmm.test.time.scale=" + bad + ": "), e.getMessage());
        }
    }

    @Test
    void budgetsAreTheScaleTimesTheNativeBudget() {
        double scale = TestTime.scale(); // whatever this run was given
        assertTrue(scale >= 1);
        assertEquals(Duration.ofNanos((long) Math.ceil(30e9 * scale)), TestTime.seconds(30));
        assertEquals(Duration.ofNanos((long) Math.ceil(250e6 * scale)), TestTime.millis(250));
        assertEquals(Duration.ZERO, TestTime.scaled(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> TestTime.scaled(Duration.ofSeconds(-1)));
    }
}
