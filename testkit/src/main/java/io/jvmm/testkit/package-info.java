/**
 * Fakes for testing a device plugin without a VM. Typical use:
 *
 * <pre>{@code
 * FakeBoard board = new FakeBoard();
 * ChipsetDevice d = new MyResolver().resolve(handle, board.context("my-dev"));
 * FakeBus bus = board.attach(d);         // its declared regions become the board's claims
 * assertEquals(List.of(FakeBoard.Claim.pio("regs", 0x80, 0x83)), board.claims());
 * bus.ioWrite(0x81, new byte[] {1});      // reaches the device as (region 0, offset 1)
 * board.clock().advanceNanos(1_000_000);
 * d.capabilities().pollDevice().orElseThrow().poll();   // nothing polls for you: board.waker() only counts
 * assertTrue(board.line(LineSets.IRQ, 5).level());
 * }</pre>
 */
package io.jvmm.testkit;
