package io.jvmm.api.device;

/**
 * A power button the host can press, e.g. the ACPI fixed-feature power button of a
 * power-management device (ACPI 6.x §4.8.2.2.1.1, PWRBTN_STS and PWRBTN_EN in the PM1 registers).
 * Pressing it asks the guest to shut down; whether it does is the guest's business.
 */
public interface PowerButton {
    /**
     * Presses and releases the button. Safe from any thread and never blocks: the device takes the
     * press over from its own poll, under its lock.
     *
     * @return whether the guest had enabled the button's event when it was pressed (an OS that did
     *     is listening; one that did not will likely ignore the press)
     */
    boolean press();
}
