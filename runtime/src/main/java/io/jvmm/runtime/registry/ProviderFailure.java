package io.jvmm.runtime.registry;

/**
 * A provider that could not be used; the others still are.
 *
 * @param service the SPI, e.g. {@code ResourceResolver}
 * @param provider what failed: a class name, a jar, or {@code kind:id}
 * @param reason why, and what to do about it
 */
public record ProviderFailure(String service, String provider, String reason) {
    @Override
    public String toString() {
        return service + " provider " + provider + ": " + reason;
    }
}
