package io.jvmm.api.handles;

import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResourceHandle;

/** A handle with no configuration, e.g. for base-chipset devices such as {@code generic_cmos_rtc}. */
public record EmptyHandle() implements ResourceHandle {
    public static final EmptyHandle INSTANCE = new EmptyHandle();

    public static EmptyHandle parse(ConfigReader config) {
        return INSTANCE;
    }

    @Override
    public void writeConfig(ConfigWriter out) {}
}
