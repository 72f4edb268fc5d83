package io.jvmm.virtio;

/**
 * The driver broke the virtqueue protocol (a descriptor index out of range, a loop, a buffer
 * outside RAM, ...): the guest's error. The transport answers it by setting DEVICE_NEEDS_RESET
 * (virtio 1.2 §2.1.2) and stops the queue until the driver resets the device. No stack trace.
 */
public final class VirtQueueException extends Exception {
    private static final long serialVersionUID = 1L;

    public VirtQueueException(String message) {
        super(message, null, false, false);
    }
}
