package io.jvmm.net.tap;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * unshare(CLONE_NEWNET) for the calling thread only: a TAP it creates and the processes it starts
 * (ProcessBuilder spawns from the calling thread) live in a fresh network namespace, so a test never
 * touches the host's network. The namespace goes when the thread and its children end.
 */
final class NetNamespace {
    static final int CLONE_NEWNET = 0x40000000;

    static {
        Native.register(NetNamespace.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private NetNamespace() {}

    static native int unshare(int flags);

    static void enterNew() {
        if (unshare(CLONE_NEWNET) != 0) {
            throw new IllegalStateException("unshare(CLONE_NEWNET): " + TunLibC.describe(Native.getLastError()));
        }
    }
}
