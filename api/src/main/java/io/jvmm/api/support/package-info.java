/**
 * Small helpers for device implementors, JDK only: {@link io.jvmm.api.support.ByteRing}, an
 * allocation-free byte FIFO, and {@link io.jvmm.api.support.LogRateLimiter}, which keeps a guest
 * from flooding the log; {@link io.jvmm.api.support.UartCore}, a 16550's registers; and
 * {@link io.jvmm.api.support.MsixTable}, the MSI-X capability, vector table and pending bits of a
 * PCI function (PCI 3.0 §6.8.2), here because every PCI plugin that signals MSI-X needs the same
 * guest-visible rules and plugins cannot share code otherwise (dev-pci-bus exports nothing,
 * virtio-core is for virtio devices); and {@link io.jvmm.api.support.StateFormat}, the one
 * encoding in which devices — built-in and third-party — save their state record for snapshots. None is part of the device contract; use them or not.
 */
package io.jvmm.api.support;
