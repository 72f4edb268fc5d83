/**
 * Small helpers for device implementors, JDK only: {@link io.jvmm.api.support.ByteRing}, an
 * allocation-free byte FIFO, and {@link io.jvmm.api.support.LogRateLimiter}, which keeps a guest
 * from flooding the log; {@link io.jvmm.api.support.UartCore}, a 16550's registers; and
 * {@link io.jvmm.api.support.MsixTable}, the MSI-X capability, vector table and pending bits of a
 * PCI function (PCI 3.0 §6.8.2), here because every PCI plugin that signals MSI-X needs the same
 * guest-visible rules and plugins cannot share code otherwise (dev-pci-bus exports nothing,
 * virtio-core is for virtio devices); and {@link io.jvmm.api.support.StateFormat}, the one
 * encoding in which devices — built-in and third-party — save their state record for snapshots.
 * None is part of the device contract; use them or not.
 *
 * <p>Giving a device saved state with {@code StateFormat} (a snapshot refuses a board with a device
 * that has no {@link io.jvmm.api.device.SaveRestore}): keep everything the guest can observe as one
 * record {@code State} whose compact constructor checks the state's rules and whose static {@code
 * initial()} is the power-on state, with a {@code static final StateFormat<State> FORMAT}; give the
 * device one {@code apply(State)} that sets the live registers and re-derives the rest (interrupt
 * line levels, a wake of the poller for queued output); then {@code reset()} is {@code
 * apply(State.initial())}, {@code save()} is {@code FORMAT.save(capture())} and {@code
 * restore(blob)} is {@code apply(FORMAT.restore(blob))}, which throws before anything changes. A
 * device with no guest-visible state saves an empty record. The device archetype's scratch register
 * is a complete example; the README's plugin guide explains it.
 */
package io.jvmm.api.support;
