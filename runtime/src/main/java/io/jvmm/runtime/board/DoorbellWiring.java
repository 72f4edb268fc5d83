package io.jvmm.runtime.board;

import io.jvmm.api.device.PciBar;
import io.jvmm.api.device.PciDoorbell;
import io.jvmm.api.device.PciFunction;
import io.jvmm.api.hv.DoorbellSupport;
import io.jvmm.api.hv.HypervisorException;
import io.jvmm.api.hv.MmioDoorbell;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The board's side of {@link PciDoorbell}s: while a PCI function's BAR is mapped (memory decoding on,
 * an address programmed), each doorbell the function declares in that BAR is registered with the
 * partition's {@link DoorbellSupport} at its guest address; when the BAR moves, decoding goes off or
 * the function is reset, the registrations go too. A doorbell the backend refuses, and every
 * doorbell when the partition has no support (or is not connected yet), stays an ordinary MMIO
 * exit: the BAR mapping serves it through {@link PciFunction#barWrite}. Everything here runs on the
 * configuration path (BAR and command writes, connection, close), under this object's lock; the
 * ring itself is the backend's thread calling {@link PciFunction#doorbellRung} directly.
 */
final class DoorbellWiring {
    private static final Logger log = LoggerFactory.getLogger(DoorbellWiring.class);

    private final List<Function> functions = new ArrayList<>();
    private DoorbellSupport support;
    private boolean closed;

    /** The doorbells of one attached function. */
    synchronized Function add(String name, PciFunction function) {
        Function f = new Function(name, function);
        functions.add(f);
        return f;
    }

    /**
     * Connects the partition's doorbell support (empty: the backend has none, every doorbell stays
     * an MMIO exit) and registers the doorbells of the BARs mapped already.
     */
    synchronized void connect(Optional<DoorbellSupport> support) {
        if (closed) {
            return;
        }
        for (Function f : functions) {
            f.unregisterAll();
        }
        this.support = support.orElse(null);
        if (this.support == null) {
            log.debug("the hypervisor has no doorbells: PCI doorbell writes exit to the board");
        }
        for (Function f : functions) {
            for (int bar = 0; bar < 6; bar++) {
                f.register(bar);
            }
        }
    }

    /**
     * Unregisters everything; later mappings register nothing (the partition is going). Logs, at
     * INFO, how many writes each function's doorbells took off the vCPUs.
     */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Function f : functions) {
            f.unregisterAll();
            if (f.everRegistered > 0) {
                log.info("{}: {} doorbell writes were absorbed by the hypervisor, without a vCPU exit", f.name, f.absorbed);
            }
        }
        support = null;
    }

    /** Guest writes absorbed by the hypervisor on every doorbell so far, registered now or before. */
    synchronized long absorbed() {
        long n = 0;
        for (Function f : functions) {
            n += f.absorbed;
            for (List<DoorbellSupport.Registration> rs : f.active) {
                for (DoorbellSupport.Registration r : rs) {
                    n += r.rings();
                }
            }
        }
        return n;
    }

    /** How many doorbells are registered with the partition now. */
    synchronized int registered() {
        int n = 0;
        for (Function f : functions) {
            for (List<DoorbellSupport.Registration> r : f.active) {
                n += r.size();
            }
        }
        return n;
    }

    /** One function's declared doorbells and their registrations, per BAR. */
    final class Function {
        private final String name;
        private final PciFunction function;
        private final List<PciDoorbell> declared = new ArrayList<>();
        private final List<Integer> indices = new ArrayList<>();
        private final long[] mappedAt = new long[6];
        @SuppressWarnings("unchecked")
        private final List<DoorbellSupport.Registration>[] active = new List[6];
        /** Rings of the registrations closed so far. */
        private long absorbed;
        private int everRegistered;

        private Function(String name, PciFunction function) {
            this.name = name;
            this.function = function;
            List<PciDoorbell> all = function.doorbells();
            for (int i = 0; i < all.size(); i++) {
                PciDoorbell d = all.get(i);
                PciBar bar = function.info().bar(d.bar());
                if (bar == null || d.offset() + d.width() > bar.size()) {
                    log.warn("{}: doorbell {} ({}) is not inside one of its BARs; it is ignored", name, i, d);
                    continue;
                }
                declared.add(d);
                indices.add(i);
            }
            java.util.Arrays.fill(mappedAt, -1);
            for (int b = 0; b < 6; b++) {
                active[b] = new ArrayList<>();
            }
        }

        /** BAR {@code bar} now decodes at {@code address}: its doorbells move there. */
        void mapped(int bar, long address) {
            synchronized (DoorbellWiring.this) {
                unregister(bar);
                mappedAt[bar] = address;
                register(bar);
            }
        }

        /** BAR {@code bar} decodes nothing now. */
        void unmapped(int bar) {
            synchronized (DoorbellWiring.this) {
                unregister(bar);
                mappedAt[bar] = -1;
            }
        }

        private void register(int bar) {
            if (support == null || closed || mappedAt[bar] == -1 || !active[bar].isEmpty()) {
                return;
            }
            int refused = 0;
            String why = null;
            for (int k = 0; k < declared.size(); k++) {
                PciDoorbell d = declared.get(k);
                if (d.bar() != bar) {
                    continue;
                }
                int index = indices.get(k);
                MmioDoorbell at = new MmioDoorbell(mappedAt[bar] + d.offset(), d.width(), d.value());
                try {
                    active[bar].add(support.register(at, () -> function.doorbellRung(index)));
                    everRegistered++;
                } catch (HypervisorException | RuntimeException e) {
                    refused++;
                    why = e.getMessage();
                }
            }
            if (refused > 0) {
                log.info("{}: the hypervisor took {} of BAR {}'s doorbells, the other {} exit to the board: {}", name,
                        active[bar].size(), bar, refused, why);
            } else if (!active[bar].isEmpty()) {
                log.debug("{}: {} doorbells of BAR {} at 0x{} registered with the hypervisor", name,
                        active[bar].size(), bar, Long.toHexString(mappedAt[bar]));
            }
        }

        private void unregister(int bar) {
            for (DoorbellSupport.Registration r : active[bar]) {
                try {
                    r.close();
                    absorbed += r.rings();
                } catch (RuntimeException e) {
                    log.warn("{}: unregistering doorbell {} failed: {}", name, r.doorbell(), e.toString());
                }
            }
            active[bar].clear();
        }

        private void unregisterAll() {
            for (int b = 0; b < 6; b++) {
                unregister(b);
            }
        }
    }
}
