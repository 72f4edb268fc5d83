package io.jvmm.testkit;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * The extension behind {@link ScaledTimeout}: runs a test method (also each invocation of a
 * parameterized or repeated one) under its scaled limit. Public only because JUnit instantiates it.
 */
public final class ScaledTimeoutExtension implements InvocationInterceptor {
    private static final ScheduledExecutorService ALARMS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jvmm-scaled-timeout");
        t.setDaemon(true);
        return t;
    });
    private static final int RUNNING = 0;
    private static final int ENDED = 1;
    private static final int TIMED_OUT = 2;

    public ScaledTimeoutExtension() {}

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        intercept(invocation, call);
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        intercept(invocation, call);
    }

    private static void intercept(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call)
            throws Throwable {
        ScaledTimeout limit = limit(call.getExecutable(), call.getTargetClass());
        if (limit == null) {
            invocation.proceed();
            return;
        }
        String what = call.getTargetClass().getSimpleName() + "." + call.getExecutable().getName();
        runWithin(what, limit.value(), TestTime.seconds(limit.value()), invocation);
    }

    /** The method's annotation, else its class's, else (for a {@code @Nested}, inner, class) an enclosing class's. */
    static ScaledTimeout limit(Method method, Class<?> testClass) {
        ScaledTimeout own = method.getAnnotation(ScaledTimeout.class);
        for (Class<?> c = testClass; own == null && c != null; c = inner(c) ? c.getEnclosingClass() : null) {
            own = c.getAnnotation(ScaledTimeout.class);
        }
        return own;
    }

    private static boolean inner(Class<?> c) {
        return c.isMemberClass() && !java.lang.reflect.Modifier.isStatic(c.getModifiers());
    }

    /**
     * Runs {@code invocation} on this thread, interrupting the thread after {@code budget}; fails
     * with a {@link TimeoutException} if it was interrupted for that, whatever the invocation did.
     */
    static <T> T runWithin(String what, long seconds, Duration budget, Invocation<T> invocation) throws Throwable {
        Thread runner = Thread.currentThread();
        AtomicInteger state = new AtomicInteger(RUNNING);
        long start = System.nanoTime();
        ScheduledFuture<?> alarm = ALARMS.schedule(() -> {
            if (state.compareAndSet(RUNNING, TIMED_OUT)) {
                runner.interrupt();
            }
        }, budget.toNanos(), TimeUnit.NANOSECONDS);
        T result = null;
        Throwable failure = null;
        try {
            result = invocation.proceed();
        } catch (Throwable t) {
            failure = t;
        }
        alarm.cancel(false);
        if (state.compareAndSet(RUNNING, ENDED)) {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
        // The alarm set TIMED_OUT before it interrupts: wait until it has, so that its interrupt cannot
        // land after the flag is cleared here, in the next test or a cleanup.
        try {
            alarm.get();
        } catch (java.util.concurrent.CancellationException | java.util.concurrent.ExecutionException ignored) {
            // cancelled after it ran, or it threw: either way it is done
        }
        Thread.interrupted(); // the alarm's interrupt, which the test may not have consumed
        TimeoutException timeout = new TimeoutException(what + " timed out after " + budget.toMillis() + " ms ("
                + seconds + " s times the test time scale " + TestTime.scale() + "; it ran "
                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms)");
        if (failure != null) {
            timeout.addSuppressed(failure);
        }
        throw timeout;
    }
}
