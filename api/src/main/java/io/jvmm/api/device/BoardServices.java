package io.jvmm.api.device;

/**
 * What the board offers a chipset-device resolver while it builds one device. Claims are made for
 * the device being built (the one the resolver returns); they are checked for conflicts when the
 * whole board is built, and all conflicts are reported together.
 */
public interface BoardServices {
    /** Claims the inclusive port range {@code [start, end]} as the named region. */
    void claimPio(String region, int start, int end);

    /** Claims the inclusive guest-physical range {@code [start, end]} as the named region. */
    void claimMmio(String region, long start, long end);

    /**
     * A new source on line {@code vector} of {@code lineSet} (see {@link LineSets}), labelled for
     * diagnostics. Throws {@link IllegalStateException} when the line already has 16 sources.
     */
    LineInterrupt newLine(String lineSet, String label, int vector);

    /**
     * Makes {@code target} receive lines {@code [firstSource, lastSource]} of {@code lineSet}, as
     * vectors starting at {@code firstTarget}. Lines already high are delivered at once.
     */
    void addLineTarget(String lineSet, int firstSource, int lastSource, int firstTarget,
            LineInterruptTarget target);

    /** Asks the VM to power off or reset. Safe from any thread; never blocks. */
    void requestPower(PowerAction action);

    VmClock clock();

    /** The waker of the device being built; it drives {@link PollDevice#poll()}. */
    DeviceWaker waker();
}
