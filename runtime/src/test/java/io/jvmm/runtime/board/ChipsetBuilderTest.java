package io.jvmm.runtime.board;

import static io.jvmm.runtime.board.TestSupport.awaitBlocked;
import static io.jvmm.runtime.board.TestSupport.bytes;
import static io.jvmm.runtime.board.TestSupport.device;
import static io.jvmm.runtime.board.TestSupport.manifest;
import static io.jvmm.runtime.board.TestSupport.pioRead;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmm.api.device.BoardServices;
import io.jvmm.api.device.Capabilities;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.device.IoRegion;
import io.jvmm.api.device.IoResult;
import io.jvmm.api.device.LineInterrupt;
import io.jvmm.api.device.LineInterruptTarget;
import io.jvmm.api.device.PowerAction;
import io.jvmm.api.handles.EmptyHandle;
import io.jvmm.api.resource.ResolveException;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.board.TestSupport.Fixture;
import io.jvmm.runtime.board.TestSupport.RecordingDevice;
import io.jvmm.runtime.manifest.BaseChipsetFlag;
import io.jvmm.runtime.manifest.BaseChipsetManifest;
import io.jvmm.runtime.manifest.VmManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ChipsetBuilderTest {
    private static TestSupport.Body claimingPio(String region, int start, int end) {
        return ctx -> new RecordingDevice(ctx.deviceName(), 0).pio(region, start, end);
    }

    @Test
    void allConflictsAreReportedTogetherNamingBothSides() {
        Fixture f = new Fixture()
                .add("uart", claimingPio("uart", 0x3f8, 0x3ff))
                .add("wide", ctx -> new RecordingDevice("wide", 0)
                        .pio("ports", 0x3f0, 0x3fa).mmio("window", 0xfec0_0000L, 0xfec0_0fffL))
                .add("ioapic", ctx -> new RecordingDevice("ioapic", 0).mmio("regs", 0xfec0_0000L, 0xfec0_03ffL));
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> f.build(manifest(
                device("com1", "uart"), device("com3", "uart"), device("wide", "wide"), device("ioapic", "ioapic"))));
        assertEquals(List.of(
                "static pio intercept region conflict: com3/uart:0x3f8-0x3ff conflicts with existing com1/uart:0x3f8-0x3ff",
                "static pio intercept region conflict: wide/ports:0x3f0-0x3fa conflicts with existing com1/uart:0x3f8-0x3ff",
                "static mmio intercept region conflict: ioapic/regs:0xfec00000-0xfec003ff conflicts with existing"
                        + " wide/window:0xfec00000-0xfec00fff"), e.problems());
        for (String p : e.problems()) {
            assertTrue(e.getMessage().contains(p), e.getMessage());
        }
    }

    @Test
    void everyMissingResolverIsListedInOneError() {
        Fixture f = new Fixture().add("uart", claimingPio("uart", 0x3f8, 0x3ff));
        VmManifest m = manifest(BaseChipsetManifest.of(BaseChipsetFlag.GENERIC_PIT, BaseChipsetFlag.GENERIC_PIC),
                device("com1", "uart"), device("kbd", "i8042"), device("rtc", "cmos"));
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> f.build(m));
        assertEquals(4, e.problems().size(), e.getMessage());
        for (String id : List.of("chipset_device:generic_pic", "chipset_device:generic_pit",
                "chipset_device:i8042", "chipset_device:cmos")) {
            assertTrue(e.getMessage().contains("no resolver for " + id), e.getMessage());
        }
        assertTrue(e.getMessage().contains("device 'kbd'"), e.getMessage());
        assertTrue(e.getMessage().contains("device 'generic_pit'"), e.getMessage());
        assertTrue(e.getMessage().contains("available ids of kind chipset_device: uart"), e.getMessage());
    }

    @Test
    void hypervisorSuppliedFlagsAreNotResolved() throws Exception {
        List<String> resolved = new ArrayList<>();
        Fixture f = new Fixture().add("generic_pit", ctx -> {
            resolved.add(ctx.deviceName());
            return () -> Capabilities.NONE;
        });
        f.hypervisorDevices = Set.of("generic_ioapic", "generic_pic");
        VmManifest m = manifest(BaseChipsetManifest.of(BaseChipsetFlag.GENERIC_PIT, BaseChipsetFlag.GENERIC_PIC,
                BaseChipsetFlag.GENERIC_IOAPIC));
        try (Chipset c = f.build(m)) {
            assertEquals(List.of("generic_pit"), resolved);
            assertEquals(List.of("generic_pit"), c.devices().stream().map(BoardDevice::name).toList());
        }
    }

    @Test
    void baseChipsetDevicesComeFirstThenManifestOrder() throws Exception {
        List<String> order = new ArrayList<>();
        TestSupport.Body record = ctx -> {
            order.add(ctx.deviceName());
            return () -> Capabilities.NONE;
        };
        Fixture f = new Fixture().add("generic_pit", record).add("generic_cmos_rtc", record).add("x", record);
        VmManifest m = manifest(BaseChipsetManifest.of(BaseChipsetFlag.GENERIC_PIT, BaseChipsetFlag.GENERIC_CMOS_RTC),
                device("z", "x"), device("a", "x"));
        try (Chipset c = f.build(m)) {
            assertEquals(List.of("generic_cmos_rtc", "generic_pit", "z", "a"), order);
            assertEquals(order, c.devices().stream().map(BoardDevice::name).toList());
        }
    }

    @Test
    void manifestNameCollidingWithABaseChipsetDeviceIsRejected() {
        Fixture f = new Fixture().add("generic_pit", ctx -> () -> Capabilities.NONE);
        VmManifest m = manifest(BaseChipsetManifest.of(BaseChipsetFlag.GENERIC_PIT), device("generic_pit", "generic_pit"));
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> f.build(m));
        assertTrue(e.getMessage().contains("device name 'generic_pit' is used by both"), e.getMessage());
    }

    @Test
    void aDeviceWithoutCapabilitiesOrRegionListIsAClearError() {
        Fixture f = new Fixture()
                .add("null", ctx -> () -> null)
                .add("nolist", ctx -> new RecordingDevice("nolist", 0) {
                    @Override
                    public List<IoRegion> pioRegions() {
                        return null;
                    }
                });
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> f.build(manifest(device("kbd", "null"))));
        assertEquals("could not initialize kbd: device 'kbd' returned null from capabilities() (it must return"
                + " Capabilities.NONE or a value built with Capabilities.builder())", e.getMessage());
        e = assertThrows(ChipsetBuildException.class, () -> f.build(manifest(device("gic", "nolist"))));
        assertEquals("could not initialize gic: device 'gic' returned null from pioRegions() (it must return a"
                + " list, empty if it has no regions)", e.getMessage());
    }

    @Test
    void theDeclaredRegionsAreTheClaimsAndAccessesArriveAsRegionAndOffset() throws Exception {
        RecordingDevice d = new RecordingDevice("d", 0x5a).pio("low", 0x60, 0x60).pio("block", 0x510, 0x513)
                .mmio("page", 0xfed4_0000L, 0xfed4_0fffL);
        Fixture f = new Fixture().add("d", ctx -> d);
        try (Chipset c = f.build(manifest(device("dev", "d")))) {
            assertEquals(List.of(new Region("dev", "low", 0x60, 0x60), new Region("dev", "block", 0x510, 0x513)),
                    c.board().pioRegions());
            assertEquals(List.of(new Region("dev", "page", 0xfed4_0000L, 0xfed4_0fffL)), c.board().mmioRegions());
            // A 4-byte access is dispatched by its first port: 0x512 is offset 2 of region 1.
            c.board().pioWrite(0x512, bytes(4, 0x1122_3344));
            assertEquals(1, d.lastRegion);
            assertEquals(2, d.lastOffset);
            assertEquals(0x1122_3344, d.lastWrite);
            assertEquals(0x5a, pioRead(c.board(), 0x60, 2));
            assertEquals(0, d.lastRegion);
            assertEquals(0, d.lastOffset);
            c.board().mmioRead(0xfed4_0ffcL, new byte[8]);
            assertEquals(0, d.lastRegion);
            assertEquals(0xffc, d.lastOffset);
        }
    }

    @Test
    void resolverFailuresAreWrappedWithTheDeviceName() {
        Fixture f = new Fixture()
                .add("fails", ctx -> {
                    throw new ResolveException("backend 'pty' is not available on this host");
                })
                .add("throws", ctx -> {
                    throw new IllegalArgumentException("irq 99 is out of range");
                });
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class,
                () -> f.build(manifest(device("com1", "fails"))));
        assertEquals("could not initialize com1: backend 'pty' is not available on this host", e.getMessage());
        e = assertThrows(ChipsetBuildException.class, () -> f.build(manifest(device("com2", "throws"))));
        assertTrue(e.getMessage().startsWith("could not initialize com2: "), e.getMessage());
        assertTrue(e.getMessage().contains("irq 99 is out of range"), e.getMessage());
    }

    @Test
    void invalidPortClaimFailsNamingDeviceAndRegion() {
        Fixture f = new Fixture().add("bad", claimingPio("regs", 0xfff0, 0x1_0010));
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> f.build(manifest(device("d", "bad"))));
        assertEquals("could not initialize d: port region regs:0xfff0-0x10010 is outside the port space 0x0-0xffff",
                e.getMessage());
    }

    @Test
    void nestedResourcesResolveThroughTheRegistryAndFailAtResolveTimeWhenMissing() throws Exception {
        Resource<ChipsetDevice> inner = Resource.of(ResourceKinds.CHIPSET_DEVICE, "inner", EmptyHandle.INSTANCE);
        Resource<ChipsetDevice> absent = Resource.of(ResourceKinds.CHIPSET_DEVICE, "absent", EmptyHandle.INSTANCE);
        RecordingDevice innerDevice = new RecordingDevice("inner", 0x77);
        Fixture f = new Fixture()
                .add("inner", ctx -> innerDevice.pio("nested", 0x500, 0x500)) // outer returns it, so outer claims it
                .add("outer", ctx -> ctx.resolve(inner))
                .add("broken", ctx -> ctx.resolve(absent));
        try (Chipset c = f.build(manifest(device("outer", "outer")))) {
            assertEquals(0x77, pioRead(c.board(), 0x500, 1));
            assertEquals("outer", c.board().pioRegionAt(0x500).device());
        }
        ChipsetBuildException e = assertThrows(ChipsetBuildException.class, () -> f.build(manifest(device("b", "broken"))));
        assertTrue(e.getMessage().startsWith("could not initialize b: device 'b': no resolver for chipset_device:absent"),
                e.getMessage());
    }

    @Test
    void servicesStayUsableAfterTheBuild() throws Exception {
        AtomicReference<BoardServices> kept = new AtomicReference<>();
        Fixture f = new Fixture().add("d", ctx -> {
            kept.set(ctx.board());
            return () -> Capabilities.NONE;
        });
        try (Chipset c = f.build(manifest(device("d", "d")))) {
            assertTrue(c.board().pioRegions().isEmpty());
            // Lines and power stay usable.
            LineInterrupt line = kept.get().newLine("irq", "late", 5);
            line.setLevel(true);
            assertTrue(f.irq.high(5));
            kept.get().requestPower(PowerAction.RESET);
            kept.get().requestPower(PowerAction.POWER_OFF, "was told to enter S5");
            // The board names the device; the device may say what the guest did.
            assertEquals(List.of(new PowerRequest("d", PowerAction.RESET, null),
                    new PowerRequest("d", PowerAction.POWER_OFF, "was told to enter S5")), f.power);
            assertEquals("d requested a reset", f.power.get(0).describe());
            assertEquals("d was told to enter S5", f.power.get(1).describe());
            assertSame(TestSupport.CLOCK, kept.get().clock());
        }
    }

    /** A device whose lifecycle records its close. */
    private static TestSupport.Body closing(List<String> closed) {
        return ctx -> {
            String name = ctx.deviceName();
            io.jvmm.api.device.DeviceLifecycle life = new io.jvmm.api.device.DeviceLifecycle() {
                @Override
                public void reset() {}

                @Override
                public void close() {
                    closed.add(name);
                }
            };
            Capabilities caps = Capabilities.builder().lifecycle(life).build();
            return () -> caps;
        };
    }

    @Test
    void closingTheChipsetClosesEveryDeviceLastFirstAndAFailedBuildClosesThoseItBuilt() throws Exception {
        List<String> closed = new CopyOnWriteArrayList<>();
        Fixture f = new Fixture().add("c", closing(closed)).add("uart", claimingPio("uart", 0x3f8, 0x3ff));
        Chipset c = f.build(manifest(device("a", "c"), device("b", "c")));
        assertEquals(List.of(), closed);
        c.close();
        assertEquals(List.of("b", "a"), closed, "each device released its host resources once, last first");
        closed.clear();
        assertThrows(ChipsetBuildException.class, () -> f.build(manifest(
                device("a", "c"), device("com1", "uart"), device("com3", "uart"))));
        assertEquals(List.of("a"), closed, "a board that failed to build still lets its built devices go");
    }

    @Test
    void messageInterruptsExistOnlyWhenAskedForAndReachThePartitionOnceConnected() throws Exception {
        AtomicReference<BoardServices> kept = new AtomicReference<>();
        Fixture f = new Fixture().add("d", ctx -> {
            kept.set(ctx.board());
            return () -> Capabilities.NONE;
        });
        try (Chipset c = f.build(manifest(device("d", "d")))) {
            assertFalse(c.usesMessageInterrupts());
            assertTrue(kept.get().messageInterrupts().isEmpty(), "a board built without MSI delivery offers none");
        }
        List<String> sent = new ArrayList<>();
        try (Chipset c = f.builder(manifest(device("d", "d"))).messageInterrupts(true).build()) {
            assertTrue(c.usesMessageInterrupts());
            io.jvmm.api.device.MessageInterrupts msi = kept.get().messageInterrupts().orElseThrow();
            msi.signal(0xFEE0_0000L, 0x41); // before the partition exists: dropped
            c.connectMessageInterrupts((address, data) -> sent.add(Long.toHexString(address) + "/" + data));
            msi.signal(0xFEE0_1000L, 0x42);
            assertEquals(List.of("fee01000/66"), sent);
        }
    }

    @Test
    void irqLinesReachTheExternalTargetAndOtherSetsDoNot() throws Exception {
        AtomicReference<BoardServices> kept = new AtomicReference<>();
        Fixture f = new Fixture().add("d", ctx -> {
            kept.set(ctx.board());
            return () -> Capabilities.NONE;
        });
        try (Chipset c = f.build(manifest(device("d", "d")))) {
            LineInterrupt irq4 = kept.get().newLine("irq", "uart", 4);
            LineInterrupt irq1023 = kept.get().newLine("irq", "top", 1023);
            LineInterrupt gpe = kept.get().newLine("gpe0", "battery", 9);
            irq4.setLevel(true);
            irq1023.setLevel(true);
            gpe.setLevel(true);
            irq4.setLevel(false);
            assertEquals(List.of("4+", "1023+", "4-"), f.irq.events);
            assertTrue(c.lines().lineSet("gpe0").isHigh(9), "gpe0 is a separate set, not routed to the hypervisor");
        }
    }

    @Test
    void lineTargetsAddedByADeviceAreCalledUnderItsLock() throws Exception {
        AtomicReference<BoardServices> kept = new AtomicReference<>();
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        class Pic extends RecordingDevice implements LineInterruptTarget {
            final List<String> got = new CopyOnWriteArrayList<>();

            Pic() {
                super("pic", 0);
                result = () -> {
                    inRead.countDown();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return IoResult.OK;
                };
            }

            @Override
            public void setIrq(int vector, boolean high) {
                got.add(vector + (high ? "+" : "-"));
            }
        }
        Pic pic = new Pic();
        Fixture f = new Fixture()
                .add("pic", ctx -> {
                    pic.pio("master", 0x20, 0x21);
                    ctx.board().addLineTarget("irq", 3, 15, 3, pic);
                    ctx.board().addLineTarget("irq", 2, 2, 0, pic);
                    return pic;
                })
                .add("pit", ctx -> {
                    kept.set(ctx.board());
                    return () -> Capabilities.NONE;
                });
        try (Chipset c = f.build(manifest(device("pic", "pic"), device("pit", "pit")))) {
            LineInterrupt timer = kept.get().newLine("irq", "timer0", 2);
            LineInterrupt com1 = kept.get().newLine("irq", "com1", 4);
            timer.setLevel(true);
            com1.setLevel(true);
            assertEquals(List.of("0+", "4+"), pic.got, "line 2 maps to PIC input 0, 3..15 to themselves");
            assertEquals(List.of("2+", "4+"), f.irq.events, "the hypervisor target also sees them");

            // While a vCPU is inside the PIC (holding its lock), a line change to it waits.
            Thread vcpu = new Thread(() -> pioRead(c.board(), 0x20, 1));
            vcpu.start();
            assertTrue(inRead.await(5, TimeUnit.SECONDS));
            Thread device = new Thread(() -> com1.setLevel(false));
            device.start();
            awaitBlocked(device); // setIrq waits for the PIC's lock
            assertTrue(device.isAlive());
            assertEquals(List.of("0+", "4+"), pic.got);
            release.countDown();
            device.join(5000);
            vcpu.join(5000);
            assertEquals(List.of("0+", "4+", "4-"), pic.got);
        }
    }
}
