package io.jvmm.api.serial;

/** Called by a backend, from any thread, when input, output space or connectivity changed. */
@FunctionalInterface
public interface SerialBackendListener {
    void changed();
}
