/**
 * Test fakes for device plugins, the counterpart of a real board: a {@link io.jvmm.testkit.FakeBoard}
 * that records what a resolver asks of it, a {@link io.jvmm.testkit.FakeClock} that moves only
 * when the test says so, a {@link io.jvmm.testkit.FakeWaker} that counts wakes (the test polls
 * itself), a {@link io.jvmm.testkit.MapConfig} for {@code parseHandle}, and an
 * {@link io.jvmm.testkit.AllocationMeter} to check that register paths allocate nothing. Depend
 * on it at test scope.
 */
module io.jvmm.testkit {
    requires transitive io.jvmm.api;
    requires jdk.management; // AllocationMeter: per-thread allocation counter

    exports io.jvmm.testkit;
}
