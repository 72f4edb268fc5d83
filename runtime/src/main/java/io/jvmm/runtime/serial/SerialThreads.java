package io.jvmm.runtime.serial;

/** The backends' threads: daemon platform threads named {@code jvmm-serial-*}. */
final class SerialThreads {
    private SerialThreads() {}

    static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, "jvmm-serial-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
