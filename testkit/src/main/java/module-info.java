/**
 * Test fakes for device plugins, the counterpart of a real board: a {@link io.jvmm.testkit.FakeBoard}
 * that records what a resolver asks of it, a {@link io.jvmm.testkit.FakeClock} that moves only
 * when the test says so, a {@link io.jvmm.testkit.FakeWaker} that counts wakes (the test polls
 * itself), a {@link io.jvmm.testkit.MapConfig} for {@code parseHandle}, and an
 * {@link io.jvmm.testkit.AllocationMeter} to check that register paths allocate nothing, and
 * {@link io.jvmm.testkit.RequiresKvm} for tests that run guests on {@code /dev/kvm}, with
 * {@link io.jvmm.testkit.TestTime} and {@link io.jvmm.testkit.ScaledTimeout} for their deadlines,
 * which scale on slow machines. Depend on it at test scope.
 */
module io.jvmm.testkit {
    requires transitive io.jvmm.api;
    requires jdk.management; // AllocationMeter: per-thread allocation counter
    requires static org.junit.jupiter.api; // @RequiresKvm, @ScaledTimeout (a test that uses them has JUnit anyway)

    uses io.jvmm.api.hv.HypervisorProvider; // @RequiresKvm asks the kvm hypervisor whether it is usable

    exports io.jvmm.testkit;
}
