package io.jvmm.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test (class or method) that runs guests on {@code /dev/kvm}: it is tagged {@code kvm}, so
 * a build can select ({@code -Dgroups=kvm}) or exclude those tests, and it is skipped, with the
 * reason, where the {@code kvm} hypervisor on the module path reports that it cannot be used.
 *
 * <p>jvmm's CI runs every {@code kvm}-tagged test natively where {@code /dev/kvm} works and inside a
 * nested-KVM guest ({@code ci/nested-kvm}) where it does not; a test that needs KVM but lacks this
 * annotation would silently never run there, so jvmm's own test helpers fail instead of skipping
 * when they find no KVM.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag(RequiresKvm.TAG)
@ExtendWith(KvmCondition.class)
public @interface RequiresKvm {
    /** The JUnit tag of every test that needs KVM. */
    String TAG = "kvm";

    /**
     * True when the guest is an unmodified operating system (the Debian kernel, say) rather than a
     * purpose-built test guest: such tests also skip on {@code kvm_pvm}, a KVM flavour whose guests
     * must be PVM-enabled kernels (unmodified Linux stops there with emulation failures).
     */
    boolean unmodifiedGuest() default false;
}
