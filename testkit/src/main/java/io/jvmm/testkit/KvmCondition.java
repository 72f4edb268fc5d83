package io.jvmm.testkit;

import io.jvmm.api.hv.Availability;
import io.jvmm.api.hv.HypervisorProvider;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The condition behind {@link RequiresKvm}: enabled when the {@code kvm} hypervisor found by
 * {@link ServiceLoader} says it is available (probed once per test run), and, for unmodified
 * guests, when the host's KVM is not {@code kvm_pvm}. Public only because JUnit instantiates it.
 */
public final class KvmCondition implements ExecutionCondition {
    private static final String HYPERVISOR = "kvm";
    /** Where the kvm_pvm module shows itself when it is loaded. */
    private static final Path KVM_PVM = Path.of("/sys/module/kvm_pvm");

    public KvmCondition() {}

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Availability kvm = context.getRoot().getStore(ExtensionContext.Namespace.create(KvmCondition.class))
                .getOrComputeIfAbsent("availability", key -> probe(), Availability.class);
        if (!kvm.available()) {
            return ConditionEvaluationResult.disabled("/dev/kvm not usable: " + kvm.reason());
        }
        boolean unmodified = context.getElement().map(KvmCondition::requirement)
                .map(RequiresKvm::unmodifiedGuest).orElse(false);
        if (unmodified && Files.exists(KVM_PVM)) {
            return ConditionEvaluationResult.disabled("/dev/kvm here is kvm_pvm, which stops unmodified guests;"
                    + " run the kvm tests in the nested-KVM guest: ci/nested-kvm/kvm-tests.sh");
        }
        return ConditionEvaluationResult.enabled("/dev/kvm is usable");
    }

    private static RequiresKvm requirement(AnnotatedElement element) {
        RequiresKvm own = element.getAnnotation(RequiresKvm.class);
        if (own != null || !(element instanceof java.lang.reflect.Method m)) {
            return own;
        }
        return m.getDeclaringClass().getAnnotation(RequiresKvm.class);
    }

    private static Availability probe() {
        Optional<HypervisorProvider> kvm = ServiceLoader.load(HypervisorProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> HYPERVISOR.equals(p.name())).findFirst();
        return kvm.map(HypervisorProvider::availability)
                .orElseGet(() -> Availability.no("the kvm hypervisor (module io.jvmm.hv.kvm) is not on the module path"));
    }
}
