package io.jvmm.runtime.loader;

/** A machine setting (memory size, vCPU count) is invalid; the message is meant for the user. */
public class ConfigurationException extends Exception {
    public ConfigurationException(String message) {
        super(message);
    }
}
