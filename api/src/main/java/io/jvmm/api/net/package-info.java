/**
 * The network backend contract: frames with a virtio-net header between a network card device
 * and the host (a TAP device, ...).
 */
package io.jvmm.api.net;
