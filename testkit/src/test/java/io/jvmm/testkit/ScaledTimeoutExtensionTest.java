package io.jvmm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

@ScaledTimeout(60) // this class's own tests run through the extension, too
class ScaledTimeoutExtensionTest {
    @ScaledTimeout(7)
    static class Annotated {
        void inherits() {}

        @ScaledTimeout(3)
        void ownLimit() {}

        class Nested { // inner, as JUnit's @Nested classes are
            void fromTheEnclosingClass() {}
        }
    }

    static class Plain { // static: a test class of its own, which JUnit does not nest
        void none() {}
    }

    @Test
    void theMethodsLimitWinsOverItsClasssAndANestedClassTakesItsEnclosingClasss() throws Exception {
        assertEquals(3, ScaledTimeoutExtension.limit(Annotated.class.getDeclaredMethod("ownLimit"), Annotated.class)
                .value());
        assertEquals(7, ScaledTimeoutExtension.limit(Annotated.class.getDeclaredMethod("inherits"), Annotated.class)
                .value());
        assertEquals(7, ScaledTimeoutExtension.limit(Annotated.Nested.class.getDeclaredMethod("fromTheEnclosingClass"),
                Annotated.Nested.class).value());
        assertEquals(null, ScaledTimeoutExtension.limit(Plain.class.getDeclaredMethod("none"), Plain.class));
    }
    @Test
    void aTestWithinItsLimitPassesThroughResultAndFailure() throws Throwable {
        assertEquals("done", ScaledTimeoutExtension.runWithin("t", 10, Duration.ofSeconds(10), () -> "done"));
        AssertionError failed = new AssertionError("its own failure");
        assertSame(failed, assertThrows(AssertionError.class, () -> ScaledTimeoutExtension.runWithin("t", 10,
                Duration.ofSeconds(10), () -> {
                    throw failed;
                })));
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void aTestPastItsLimitIsInterruptedAndFailsWithATimeout() {
        long start = System.nanoTime();
        TimeoutException e = assertThrows(TimeoutException.class, () -> ScaledTimeoutExtension.runWithin(
                "SomeTest.hangs", 1, Duration.ofMillis(200), () -> {
                    Thread.sleep(60_000);
                    return null;
                }));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 30_000, "the sleep was interrupted: " + millis + " ms");
        assertTrue(e.getMessage().startsWith("SomeTest.hangs timed out after 200 ms (1 s times the test time scale "),
                e.getMessage());
        // what the interrupted test threw is kept, and the thread is left clean for the next test
        assertEquals(InterruptedException.class, e.getSuppressed()[0].getClass());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void aTestThatSwallowsTheInterruptStillFails() {
        assertThrows(TimeoutException.class, () -> ScaledTimeoutExtension.runWithin("t", 1, Duration.ofMillis(100),
                () -> {
                    long end = System.nanoTime() + 2_000_000_000L;
                    while (System.nanoTime() < end && !Thread.interrupted()) {
                        Thread.onSpinWait();
                    }
                    return "returned normally after the interrupt";
                }));
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
