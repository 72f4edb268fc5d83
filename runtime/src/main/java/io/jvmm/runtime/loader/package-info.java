/**
 * Hypervisor-independent guest loaders: machine-config validation, the x86 memory layout and e820
 * map, firmware images (QEMU {@code -bios} style) and Linux kernels (bzImage with the 64-bit boot
 * protocol, ELF vmlinux with the 64-bit or PVH entry). Loaders write into
 * {@link io.jvmm.api.hv.GuestMemory} and return the {@link io.jvmm.api.hv.CpuBootState} the vCPU
 * must start in; every bad input is reported before any vCPU runs.
 */
package io.jvmm.runtime.loader;
