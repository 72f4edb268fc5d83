package io.jvmm.runtime.manifest;

import java.util.Objects;

/**
 * The requested combination of chipset type, architecture and options cannot be built. The
 * messages are the seed's ({@code vm_manifest_builder}'s {@code ErrorInner}).
 */
public final class ManifestBuildException extends Exception {
    /** Why the build failed. */
    public enum Reason {
        UNSUPPORTED_ARCH("unsupported architecture"),
        UNSUPPORTED_SERIAL_COUNT("unsupported serial port count"),
        UNSUPPORTED_DEBUGCON_ARCH("unsupported debugcon architecture"),
        WAIT_FOR_RTS_NOT_SUPPORTED("wait for RTS not supported with this serial type");

        private final String message;

        Reason(String message) {
            this.message = message;
        }

        public String message() {
            return message;
        }
    }

    private final Reason reason;

    public ManifestBuildException(Reason reason) {
        super(Objects.requireNonNull(reason, "reason").message());
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
