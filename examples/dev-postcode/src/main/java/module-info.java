/**
 * A POST-code device: records the progress codes firmware writes to I/O port 0x80 and prints
 * them when the VM stops. A jvmm plugin: it requires the api alone, exports nothing and provides
 * its resolver.
 */
module com.example.postcode {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with com.example.postcode.PostCodeResolver;
}
