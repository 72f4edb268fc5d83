/**
 * Small helpers for device implementors, JDK only: {@link io.jvmm.api.support.ByteRing}, an
 * allocation-free byte FIFO, and {@link io.jvmm.api.support.LogRateLimiter}, which keeps a guest
 * from flooding the log. Neither is part of the device contract; use them or not.
 */
package io.jvmm.api.support;
