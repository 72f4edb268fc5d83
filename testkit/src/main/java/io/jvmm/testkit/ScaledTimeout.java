package io.jvmm.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * JUnit's {@code @Timeout}, scaled by {@link TestTime}: a test (or every test of a class) fails if
 * it runs longer than {@code value} seconds times the test time scale. Use it instead of
 * {@code @Timeout} on tests that run guests or child processes, which take several times longer on
 * a slow machine (in CI's nested-KVM guest, say) without being wrong.
 *
 * <p>It is a backstop against a hang; the waits inside the test should have deadlines of their own
 * ({@link TestTime#seconds}), shorter than this, that fail with a message saying what did not
 * happen. Like {@code @Timeout}'s default mode, the test runs on the calling thread, which is
 * interrupted when the time is up; the test then fails with a {@link java.util.concurrent.TimeoutException}
 * once it returns (so a wait that ignores interrupts is not bounded by this: give it a deadline of
 * its own). A method's annotation wins over its class's.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(ScaledTimeoutExtension.class)
public @interface ScaledTimeout {
    /** The limit in seconds on an ordinary machine, before scaling. */
    long value();
}
