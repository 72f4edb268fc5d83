package io.jvmm.runtime.vm;

import java.util.Objects;

/** What the VM boots. */
public sealed interface GuestPayload {
    /** A short description for logs and status, e.g. {@code firmware demo.bin}. */
    String describe();

    /**
     * A flat firmware image, QEMU {@code -bios} style.
     *
     * @param name where it came from (file name or "embedded demo guest")
     * @param image the bytes
     */
    record Firmware(String name, byte[] image) implements GuestPayload {
        public Firmware {
            Objects.requireNonNull(name, "name");
            image = image.clone();
        }

        @Override
        public byte[] image() {
            return image.clone();
        }

        @Override
        public String describe() {
            return "firmware " + name + " (" + image.length + " bytes)";
        }
    }

    /**
     * A Linux kernel (bzImage or ELF vmlinux) with an optional initrd and a command line.
     *
     * @param name the kernel's file name
     * @param kernel the kernel image
     * @param initrd the initrd, or null
     * @param cmdline the kernel command line
     */
    record Linux(String name, byte[] kernel, byte[] initrd, String cmdline) implements GuestPayload {
        public Linux {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(cmdline, "cmdline");
            kernel = kernel.clone();
            initrd = initrd == null ? null : initrd.clone();
        }

        @Override
        public byte[] kernel() {
            return kernel.clone();
        }

        @Override
        public byte[] initrd() {
            return initrd == null ? null : initrd.clone();
        }

        @Override
        public String describe() {
            return "kernel " + name + (initrd == null ? "" : " with initrd");
        }
    }
}
