package io.jvmm.api.handles;

import io.jvmm.api.net.NetBackend;
import io.jvmm.api.resource.ConfigReader;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.api.resource.ResourceKinds;
import java.util.Objects;

/**
 * A network backend on a Linux TAP interface ({@code /dev/net/tun}). An existing interface (e.g. one
 * made with {@code ip tuntap add NAME mode tap user USER}) is attached; a missing one is created,
 * which needs CAP_NET_ADMIN, and vanishes when the VM ends.
 *
 * @param interfaceName the interface, 1..15 characters (IFNAMSIZ), no '/', ':' or white space
 */
public record TapHandle(String interfaceName) implements ResourceHandle {
    public static final String ID = "tap";
    /** IFNAMSIZ (16) less the terminating NUL. */
    public static final int NAME_MAX = 15;

    public TapHandle {
        Objects.requireNonNull(interfaceName, "interfaceName");
        String bad = nameProblem(interfaceName);
        if (bad != null) {
            throw new IllegalArgumentException("tap: interface " + bad);
        }
    }

    /** Why {@code name} cannot be a Linux interface name (dev_valid_name), or null when it can. */
    public static String nameProblem(String name) {
        if (name.isEmpty()) {
            return "name must not be empty";
        }
        if (name.length() > NAME_MAX) {
            return "name '" + name + "' is longer than " + NAME_MAX + " characters";
        }
        if (name.equals(".") || name.equals("..")) {
            return "name must not be '" + name + "'";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c >= 0x7F || c == '/' || c == ':' || c == '%') {
                return "name '" + name + "' may hold printable ASCII only, without '/', ':', '%' or spaces";
            }
        }
        return null;
    }

    public Resource<NetBackend> toResource() {
        return Resource.of(ResourceKinds.NET_BACKEND, ID, this);
    }

    public static TapHandle parse(ConfigReader config) {
        String name = config.string("interface");
        String bad = nameProblem(name);
        if (bad != null) {
            throw config.error("interface", bad);
        }
        return new TapHandle(name);
    }

    @Override
    public void writeConfig(ConfigWriter out) {
        out.string("interface", interfaceName);
    }
}
