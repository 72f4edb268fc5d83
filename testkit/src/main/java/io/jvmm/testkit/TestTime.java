package io.jvmm.testkit;

import java.time.Duration;

/**
 * Wall-clock budgets for tests, scaled for slow machines. A test that waits for something real (a
 * guest, a child process, a device thread) states how long that may take on an ordinary machine,
 * {@code TestTime.seconds(30)}, and gets that budget times the <em>time scale</em>: 1 by default,
 * else the number in the environment variable {@value #ENV} (or the system property
 * {@value #PROPERTY}, which wins). jvmm's CI sets it where everything runs several times slower
 * than natively, such as the nested-KVM guest of {@code ci/nested-kvm}.
 *
 * <p>Only deadlines scale: how long to wait before failing. A budget that is exceeded still fails
 * the test, just later; a test whose check is itself a duration (a rate, "within 1 s") must
 * express what it checks so that slowness cannot break it, or scale that bound too and say why
 * the scaled bound still tests something. Sleeps are not deadlines and do not scale: a test that
 * sleeps to let something happen should wait for it instead. JUnit's {@code @Timeout} is a fixed
 * number; tests that run guests use {@link ScaledTimeout} instead.
 */
public final class TestTime {
    /** The environment variable with the time scale: a number, at least 1 (e.g. {@code 4}). */
    public static final String ENV = "JVMM_TEST_TIME_SCALE";
    /** The system property with the time scale; it overrides {@link #ENV}. */
    public static final String PROPERTY = "jvmm.test.time.scale";

    private TestTime() {}

    /** The time scale: how many times longer than on an ordinary machine a test may wait. */
    public static double scale() {
        if (Scale.ERROR != null) {
            throw new IllegalStateException(Scale.ERROR);
        }
        return Scale.VALUE;
    }

    /** {@code budget} times the time scale. */
    public static Duration scaled(Duration budget) {
        if (budget.isNegative()) {
            throw new IllegalArgumentException("a time budget cannot be negative: " + budget);
        }
        double nanos = budget.toNanos() * scale();
        return Duration.ofNanos(nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(nanos));
    }

    /** A budget of {@code seconds} on an ordinary machine, times the time scale. */
    public static Duration seconds(long seconds) {
        return scaled(Duration.ofSeconds(seconds));
    }

    /** A budget of {@code millis} on an ordinary machine, times the time scale. */
    public static Duration millis(long millis) {
        return scaled(Duration.ofMillis(millis));
    }

    /**
     * The time scale that {@code property} (the system property) or else {@code env} (the
     * environment variable) gives; 1 when both are unset or blank.
     *
     * @throws IllegalStateException if the one that is set is not a finite number of at least 1
     */
    static double parse(String property, String env) {
        String source = property != null && !property.isBlank() ? "-D" + PROPERTY : ENV;
        String value = property != null && !property.isBlank() ? property : env;
        if (value == null || value.isBlank()) {
            return 1;
        }
        double scale;
        try {
            scale = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(source + "=" + value + " is not a number (the test time scale, e.g. 4)");
        }
        if (!(scale >= 1) || Double.isInfinite(scale)) {
            throw new IllegalStateException(source + "=" + value + ": the test time scale must be a finite number"
                    + " of at least 1 (it only lengthens deadlines)");
        }
        return scale;
    }

    /** Read once, at first use; a bad value fails every test that asks, each with the reason. */
    private static final class Scale {
        static final double VALUE;
        static final String ERROR;

        static {
            double value = 1;
            String error = null;
            try {
                value = parse(System.getProperty(PROPERTY), System.getenv(ENV));
            } catch (IllegalStateException e) {
                error = e.getMessage();
            }
            VALUE = value;
            ERROR = error;
        }
    }
}
