/**
 * A jvmm device plugin: it requires the api alone, exports nothing and provides its resolver.
 */
module ${moduleName} {
    requires io.jvmm.api;

    provides io.jvmm.api.resource.ResourceResolver with ${package}.ScratchRegisterResolver;
}
