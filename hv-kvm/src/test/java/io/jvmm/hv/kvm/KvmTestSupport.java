package io.jvmm.hv.kvm;

import static org.junit.jupiter.api.Assertions.fail;

import io.jvmm.api.hv.GuestMemory;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.Partition;
import io.jvmm.api.hv.Vcpu;
import io.jvmm.api.hv.VcpuExit;
import io.jvmm.testkit.TestTime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Shared helpers for tests that run guests on /dev/kvm. */
final class KvmTestSupport {
    static final long GDT = 0x500;
    static final long LOAD = 0x1000;
    static final long STACK = 0x8ff0;
    static final long PML4 = 0x9000;

    private KvmTestSupport() {}

    static byte[] guest(String name) {
        try (InputStream in = KvmTestSupport.class.getResourceAsStream("/guests/" + name + ".bin")) {
            if (in == null) {
                throw new IllegalStateException("test guest " + name + ".bin missing from the test resources");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Maps a firmware image the way QEMU's -bios does: ending at 4 GiB, its last 128 KiB ending at 1 MiB. */
    static void mapFirmware(Partition partition, byte[] image) throws HypervisorException {
        partition.mapRom(0x1_0000_0000L - image.length, image);
        int low = Math.min(image.length, 128 * 1024);
        byte[] tail = java.util.Arrays.copyOfRange(image, image.length - low, image.length);
        partition.mapRom(0x10_0000L - low, tail);
    }

    /** The 4-entry boot GDT (null, code, data, TSS) as the loader writes it. */
    static void writeGdt(GuestMemory memory, long code, long tss) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0).putLong(code).putLong(Segments.DATA).putLong(tss);
        memory.write(GDT, b.array());
    }

    /** Identity-maps the low 4 GiB with 2 MiB pages: PML4 0x9000, PDPT 0xa000, PDs 0xb000..0xe000. */
    static void writeIdentityPageTables(GuestMemory memory) {
        ByteBuffer b = ByteBuffer.allocate(6 * 4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0xa000 | 0x3); // PML4[0] -> PDPT, present + writable
        for (int p = 0; p < 4; p++) {
            b.putLong(4096 + 8 * p, (0xb000L + 4096L * p) | 0x3);
            for (int i = 0; i < 512; i++) {
                long page = ((long) p << 30) | ((long) i << 21);
                b.putLong(4096 * (2 + p) + 8 * i, page | 0x83); // present, writable, 2 MiB
            }
        }
        memory.write(PML4, b.array());
    }

    /**
     * Runs {@code vcpu} on its own platform thread until run returns. If it has not returned after
     * {@code limit} (a {@link TestTime} budget), kicks it and fails, so a stuck guest cannot hang the build.
     */
    static VcpuExit runWithTimeout(Vcpu vcpu, IoBus bus, Duration limit) throws InterruptedException {
        CompletableFuture<VcpuExit> result = start(vcpu, bus);
        return await(vcpu, result, limit);
    }

    static CompletableFuture<VcpuExit> start(Vcpu vcpu, IoBus bus) {
        CompletableFuture<VcpuExit> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(vcpu.run(bus));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "vcpu-" + vcpu.index());
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    static VcpuExit await(Vcpu vcpu, CompletableFuture<VcpuExit> result, Duration limit)
            throws InterruptedException {
        try {
            return result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            vcpu.kick();
            try {
                VcpuExit exit = result.get(TestTime.seconds(5).toMillis(), TimeUnit.MILLISECONDS);
                fail("guest on vCPU " + vcpu.index() + " did not stop within " + limit + "; kicked: " + exit);
            } catch (TimeoutException | ExecutionException again) {
                fail("guest on vCPU " + vcpu.index() + " did not stop within " + limit + ", and a kick did not"
                        + " stop it either");
            }
            throw new AssertionError("unreachable");
        } catch (ExecutionException e) {
            throw new AssertionError("vCPU run failed", e.getCause());
        }
    }
}
