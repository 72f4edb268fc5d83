package io.jvmm.runtime.loader;

/**
 * A validated memory size and vCPU count (the checks libkrun's {@code set_vm_config} makes: no zero
 * vCPUs, no zero memory; plus the host's vCPU limit and page-granular memory, which hypervisors need).
 * Whether the memory is enough for a given payload is the loader's check, not this one.
 *
 * @param memoryBytes guest RAM, at least {@link #MIN_MEMORY_BYTES} and a multiple of 4 KiB
 * @param vcpuCount virtual processors, 1 to the host maximum
 */
public record MachineConfig(long memoryBytes, int vcpuCount) {
    /** The command-line spelling used in messages. */
    public static final String MEMORY_OPTION = "--memory";
    /** The command-line spelling used in messages. */
    public static final String VCPUS_OPTION = "--cpus";
    /** Below this even the fixed x86 low-memory layout (boot structures, BIOS area) does not fit. */
    public static final long MIN_MEMORY_BYTES = MemorySize.MIB;
    /** Hypervisors map guest RAM in whole pages. */
    public static final long MEMORY_GRANULE = 4 * MemorySize.KIB;

    public MachineConfig {
        if (memoryBytes < MIN_MEMORY_BYTES || memoryBytes % MEMORY_GRANULE != 0 || vcpuCount < 1) {
            throw new IllegalArgumentException(
                    "unvalidated machine config: " + memoryBytes + " bytes, " + vcpuCount + " vCPUs (use MachineConfig.of)");
        }
    }

    /**
     * Parses and validates the user's {@code --memory} and {@code --cpus} values.
     *
     * @param hostMaxVcpus the most vCPUs the hypervisor allows for one VM
     */
    public static MachineConfig parse(String memory, String vcpus, int hostMaxVcpus) throws ConfigurationException {
        long memoryBytes = MemorySize.parse(MEMORY_OPTION, memory);
        int vcpuCount = parseVcpus(vcpus);
        return validate(memoryBytes, memory, vcpuCount, vcpus.trim(), hostMaxVcpus);
    }

    /** Validates already-numeric values (from a manifest or an API caller). */
    public static MachineConfig of(long memoryBytes, int vcpuCount, int hostMaxVcpus) throws ConfigurationException {
        return validate(memoryBytes, Long.toString(memoryBytes), vcpuCount, Integer.toString(vcpuCount), hostMaxVcpus);
    }

    private static int parseVcpus(String text) throws ConfigurationException {
        if (text == null || text.isBlank()) {
            throw new ConfigurationException("missing " + VCPUS_OPTION + " value: expected a number of vCPUs such as 2");
        }
        String trimmed = text.trim();
        if (!trimmed.chars().allMatch(c -> c >= '0' && c <= '9')) {
            String why = trimmed.startsWith("-")
                    ? "a VM needs at least 1 vCPU"
                    : "expected a whole number of vCPUs such as 2";
            throw new ConfigurationException(MemorySize.invalid(VCPUS_OPTION, text) + why);
        }
        try {
            return Integer.parseInt(trimmed);
        } catch (NumberFormatException e) {
            throw new ConfigurationException(MemorySize.invalid(VCPUS_OPTION, text) + "far more vCPUs than any host allows");
        }
    }

    private static MachineConfig validate(
            long memoryBytes, String memoryText, int vcpuCount, String vcpuText, int hostMaxVcpus)
            throws ConfigurationException {
        if (hostMaxVcpus < 1) {
            throw new IllegalArgumentException("host vCPU maximum must be at least 1, got " + hostMaxVcpus);
        }
        if (memoryBytes <= 0 && memoryText.trim().startsWith("-")) {
            throw new ConfigurationException(
                    MemorySize.invalid(MEMORY_OPTION, memoryText) + "must be a positive size such as 512M or 2G");
        }
        if (memoryBytes < MIN_MEMORY_BYTES) {
            throw new ConfigurationException(MemorySize.invalid(MEMORY_OPTION, memoryText) + "must be at least 1 MiB");
        }
        if (memoryBytes % MEMORY_GRANULE != 0) {
            throw new ConfigurationException(MemorySize.invalid(MEMORY_OPTION, memoryText)
                    + "must be a multiple of 4 KiB (" + memoryBytes + " bytes is not)");
        }
        if (vcpuCount < 1) {
            throw new ConfigurationException(MemorySize.invalid(VCPUS_OPTION, vcpuText) + "a VM needs at least 1 vCPU");
        }
        if (vcpuCount > hostMaxVcpus) {
            throw new ConfigurationException(VCPUS_OPTION + " " + vcpuCount + " is more than this host allows ("
                    + hostMaxVcpus + " vCPUs per VM); use " + VCPUS_OPTION + " " + hostMaxVcpus + " or fewer");
        }
        return new MachineConfig(memoryBytes, vcpuCount);
    }
}
