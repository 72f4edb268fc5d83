package io.jvmm.api.resource;

import io.jvmm.api.device.BoardServices;

/** What a resolver may use while it resolves one resource. */
public interface ResolveContext {
    /** The manifest name of the device being built (e.g. {@code serial-com1}); used in messages and logs. */
    String deviceName();

    /** Resolves a nested resource, e.g. a UART's serial backend. */
    <T> T resolve(Resource<T> resource) throws ResolveException;

    /** Board services: region claims, line interrupts, power requests, the clock, the poll waker. */
    BoardServices board();
}
