package io.jvmm.hv.kvm;

import io.jvmm.api.hv.IoBus;
import io.jvmm.api.hv.Vcpu;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The test guests' board. Ports: 0xE9 debug characters; 0x10/0x13 recorded writes; 0x11 reads
 * give bytes 0xA0+n, 0xB0+n, ... for an n-byte access; 0x12 echo values; 0x14 reads count 1, 2, 3...;
 * 0x31/0x32/0xF2/0xF3 reported values; 0xF1 "ready"; 0xF0 "done" (kicks the vCPU so run returns).
 * MMIO reads at address a give bytes a, a+1, ... (low byte of the address).
 */
class TestBus implements IoBus {
    /** One recorded access: port or address, size, little-endian value. */
    record Access(long where, int size, long value) {}

    final List<Access> pioWrites = new ArrayList<>();
    final List<Access> mmioWrites = new ArrayList<>();
    final List<Long> echoes = new ArrayList<>();
    final ByteArrayOutputStream debug = new ByteArrayOutputStream();
    final CountDownLatch ready = new CountDownLatch(1);
    volatile boolean done;
    volatile long reported31 = -1;
    volatile long reported32 = -1;
    volatile long reportedF2 = -1;
    volatile long reportedF3 = -1;
    private int counter;
    private Vcpu vcpu;

    TestBus kicking(Vcpu vcpu) {
        this.vcpu = vcpu;
        return this;
    }

    static long value(byte[] data) {
        long v = 0;
        for (int i = data.length - 1; i >= 0; i--) {
            v = (v << 8) | (data[i] & 0xff);
        }
        return v;
    }

    @Override
    public synchronized void pioRead(int port, byte[] data) {
        int n = data.length;
        if (port == 0x11) {
            for (int i = 0; i < n; i++) {
                data[i] = (byte) (0xA0 + 0x10 * i + n);
            }
        } else if (port == 0x14) {
            for (int i = 0; i < n; i++) {
                data[i] = (byte) ++counter;
            }
        } else {
            java.util.Arrays.fill(data, (byte) 0xff);
        }
    }

    @Override
    public synchronized void pioWrite(int port, byte[] data) {
        long v = value(data);
        switch (port) {
            case 0xe9 -> debug.write(data[0]);
            case 0x12 -> echoes.add(v);
            case 0x31 -> reported31 = v;
            case 0x32 -> reported32 = v;
            case 0xf2 -> reportedF2 = v;
            case 0xf3 -> reportedF3 = v;
            case 0xf1 -> ready.countDown();
            case 0xf0 -> {
                done = true;
                if (vcpu != null) {
                    vcpu.kick();
                }
            }
            default -> pioWrites.add(new Access(port, data.length, v));
        }
    }

    @Override
    public synchronized void mmioRead(long address, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (address + i);
        }
    }

    @Override
    public synchronized void mmioWrite(long address, byte[] data) {
        mmioWrites.add(new Access(address, data.length, value(data)));
    }
}
