/**
 * The missing-dev device: named PIO/MMIO claims that read all-ones and swallow writes.
 *
 * @provides io.jvmm.api.resource.ResourceResolver
 */
module io.jvmm.dev.missing {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with io.jvmm.dev.missing.MissingDevResolver;
}
