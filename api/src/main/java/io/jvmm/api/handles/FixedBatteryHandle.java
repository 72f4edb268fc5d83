package io.jvmm.api.handles;

import io.jvmm.api.battery.BatterySource;
import io.jvmm.api.battery.HostBatteryUpdate;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Objects;

/** A battery source that reports one fixed state (until the control socket changes it). */
public record FixedBatteryHandle(HostBatteryUpdate state) implements ResourceHandle {
    public static final String ID = "fixed";

    public FixedBatteryHandle {
        Objects.requireNonNull(state, "state");
    }

    public Resource<BatterySource> toResource() {
        return Resource.of(ResourceKinds.BATTERY_SOURCE, ID, this);
    }

    public static FixedBatteryHandle parse(ConfigReader c) {
        return new FixedBatteryHandle(new HostBatteryUpdate(c.bool("present"), c.bool("charging"),
                c.bool("discharging"), c.u32("rate_mw"), c.u32("remaining_mwh"), c.u32("max_mwh"),
                c.bool("ac_online")));
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.bool("present", state.present())
                .bool("charging", state.charging())
                .bool("discharging", state.discharging())
                .number("rate_mw", state.rateMilliwatts())
                .number("remaining_mwh", state.remainingMilliwattHours())
                .number("max_mwh", state.maxMilliwattHours())
                .bool("ac_online", state.acOnline());
    }
}
