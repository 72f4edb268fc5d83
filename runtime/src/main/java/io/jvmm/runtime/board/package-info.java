/**
 * The board: PIO and MMIO range maps, dispatch of vCPU exits to devices, line interrupts, and the
 * assembly of a manifest into live devices.
 */
package io.jvmm.runtime.board;
