/**
 * The Hyper-V battery device ({@code chipset_device:battery_x64}, {@code battery_aarch64}) and the
 * battery sources it reads ({@code battery_source:fixed}, {@code battery_source:host}).
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.battery {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with
            io.jvmm.dev.battery.BatteryX64Resolver,
            io.jvmm.dev.battery.BatteryAarch64Resolver,
            io.jvmm.dev.battery.FixedBatterySourceResolver,
            io.jvmm.dev.battery.HostBatterySourceResolver;
}
