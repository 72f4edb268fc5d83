/**
 * Fakes for testing a device plugin without a VM. Typical use:
 *
 * <pre>{@code
 * FakeBoard board = new FakeBoard();
 * ChipsetDevice d = new MyResolver().resolve(handle, board.context("my-dev"));
 * assertEquals(List.of(FakeBoard.Claim.pio("regs", 0x80, 0x83)), board.claims());
 * board.clock().advanceNanos(1_000_000);
 * d.pollDevice().orElseThrow().poll();   // nothing polls for you: board.waker() only counts
 * assertTrue(board.line(LineSets.IRQ, 5).level());
 * }</pre>
 */
package io.jvmm.testkit;
