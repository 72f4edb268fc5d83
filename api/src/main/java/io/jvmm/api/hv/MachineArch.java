package io.jvmm.api.hv;

/** The guest machine architecture. */
public enum MachineArch {
    X86_64("x86_64"),
    AARCH64("aarch64");

    private final String label;

    MachineArch(String label) {
        this.label = label;
    }

    /** The manifest and command-line spelling: {@code x86_64} or {@code aarch64}. */
    public String label() {
        return label;
    }

    /** Parses {@code x86_64}/{@code x86-64}/{@code amd64} or {@code aarch64}/{@code arm64}. */
    public static MachineArch parse(String text) {
        switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "x86_64", "x86-64", "amd64", "x64":
                return X86_64;
            case "aarch64", "arm64":
                return AARCH64;
            default:
                throw new IllegalArgumentException(
                        "unknown architecture '" + text + "' (expected x86_64 or aarch64)");
        }
    }
}
