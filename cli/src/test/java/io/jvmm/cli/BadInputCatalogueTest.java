package io.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.testkit.RequiresKvm;
import io.jvmm.testkit.ScaledTimeout;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad input (command lines, manifest documents, guest images): each with its exit
 * code and its exact message, or a stable prefix where marked with a trailing {@code …}. Nothing
 * here may print a stack trace. {@code @/} in arguments and messages stands for a fresh temporary
 * directory holding the files below; rows marked KVM build a VM and skip where KVM is unusable.
 * README.md's "Exit codes and errors" section shows a selection.
 */
@ScaledTimeout(60)
class BadInputCatalogueTest {
    private static final String POSTCODE = PostCodePluginTest.GUEST.toString();
    private static final boolean KVM = true;

    @TempDir
    Path dir;

    /** Plugin directories built once ({@code @P/} in arguments): broken resolvers and a duplicate id. */
    @TempDir
    static Path pluginWork;

    @BeforeAll
    static void pluginJars() throws Exception {
        BadPluginJars jars = new BadPluginJars(pluginWork);
        brokenResolver(jars, "nullid", "public String id() { return null; }");
        brokenResolver(jars, "throwid", "public String id() { throw new IllegalStateException(\"no licence\"); }");
        brokenResolver(jars, "nullkind", "public ResourceKind<ChipsetDevice> kind() { return null; }");
        brokenResolver(jars, "nulltype", "public Class<EmptyHandle> handleType() { return null; }");
        for (String side : List.of("a", "b")) {
            String module = "test.twice" + side;
            jars.jar("twice-" + side, Map.of("module-info.java", BadPluginJars.moduleInfo(module, module + ".R"),
                    module.replace('.', '/') + "/R.java", BadPluginJars.resolver(module, "R", "twice_dev",
                            "return () -> io.jvmm.api.device.Capabilities.NONE;")), Map.of(), pluginWork.resolve("twice"));
        }
    }

    /** A plugin {@code test.NAME} whose resolver has {@code brokenMember} instead of the working one. */
    private static void brokenResolver(BadPluginJars jars, String name, String brokenMember) throws Exception {
        String module = "test." + name;
        String source = BadPluginJars.resolver(module, "R", name + "_dev", "return () -> io.jvmm.api.device.Capabilities.NONE;");
        String signature = brokenMember.substring(0, brokenMember.indexOf('{'));
        int at = source.indexOf(signature);
        source = source.substring(0, at) + brokenMember + source.substring(source.indexOf('\n', at));
        jars.jar(name, Map.of("module-info.java", BadPluginJars.moduleInfo(module, module + ".R"),
                module.replace('.', '/') + "/R.java", source), Map.of(), pluginWork.resolve(name));
    }

    /** One bad input. */
    record Case(String name, int exit, String message, boolean kvm, String... args) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case bad(String name, int exit, String message, String... args) {
        return new Case(name, exit, message, false, args);
    }

    static Case badOnKvm(String name, int exit, String message, String... args) {
        return new Case(name, exit, message, KVM, args);
    }

    static Stream<Arguments> catalogue() {
        List<Case> c = new ArrayList<>();
        // --- command-line syntax (picocli) ---
        c.add(bad("unknown command", 2, "Unmatched argument at index 0: 'frob'", "frob"));
        c.add(bad("stray argument", 2, "Unmatched argument at index 1: 'extra'", "run", "extra"));
        c.add(bad("option without its value", 2, "Missing required parameter for option '--memory' (SIZE)", "run", "--memory"));
        c.add(bad("unknown option", 2, "Unknown option: '--frobnicate'", "run", "--frobnicate"));
        c.add(bad("ctl without socket or command", 2,
                "Missing required options and parameters: '--api-socket=PATH', 'COMMAND'", "ctl"));
        c.add(bad("unknown plugins option", 2, "Unknown option: '--frob'", "plugins", "--frob"));
        // --- payload files ---
        c.add(bad("firmware missing", 2, "firmware file '@/nope.bin' does not exist", "run", "--firmware", "@/nope.bin"));
        c.add(bad("firmware is a directory", 2, "firmware file '@/d' is a directory, not a file", "run", "--firmware", "@/d"));
        c.add(bad("firmware is a device", 2, "firmware file '/dev/null' is not a regular file", "run", "--firmware", "/dev/null"));
        c.add(bad("kernel missing", 2, "kernel file '@/nope' does not exist", "run", "--kernel", "@/nope"));
        c.add(bad("kernel is a directory", 2, "kernel file '@/d' is a directory, not a file", "run", "--kernel", "@/d"));
        c.add(bad("initrd missing", 2, "initrd file '@/nope.img' does not exist",
                "run", "--kernel", "@/small.txt", "--initrd", "@/nope.img"));
        c.add(bad("initrd without kernel", 2, "--initrd needs --kernel", "run", "--initrd", "@/small.txt"));
        c.add(bad("cmdline without kernel", 2, "--cmdline needs --kernel", "run", "--cmdline", "quiet"));
        c.add(bad("firmware and kernel", 2, "--firmware and --kernel cannot be combined; boot one or the other",
                "run", "--firmware", POSTCODE, "--kernel", "@/small.txt"));
        // --- guest images (checked before the hypervisor is opened) ---
        c.add(bad("kernel that is no kernel", 2, "kernel '@/small.txt' is neither a bzImage nor an ELF vmlinux (no 'HdrS' "
                + "setup header at 0x202, no ELF magic); pass arch/x86/boot/bzImage or vmlinux",
                "run", "--serial", "1=none", "--kernel", "@/small.txt"));
        c.add(bad("empty firmware", 2, "firmware image '@/empty.bin' is empty; a firmware image is a flat binary whose "
                + "last 16 bytes hold the reset vector", "run", "--serial", "1=none", "--firmware", "@/empty.bin"));
        c.add(bad("firmware shorter than the reset vector", 2, "firmware image '@/tiny.bin' is 15 bytes; a firmware "
                + "image must be at least 16 bytes, since its last 16 bytes hold the reset vector",
                "run", "--serial", "1=none", "--firmware", "@/tiny.bin"));
        c.add(bad("firmware too big", 2, "firmware image '@/big.bin' is 262145 bytes; firmware images may be at most "
                + "262144 bytes (256 KiB)", "run", "--serial", "1=none", "--firmware", "@/big.bin"));
        c.add(bad("empty initrd", 2, "initrd is empty; leave it out or pass a real initramfs",
                "run", "--serial", "1=none", "--kernel", "@/small.txt", "--initrd", "@/empty.bin"));
        // --- machine size ---
        c.add(bad("memory not a size", 2, "invalid --memory 'abc': expected a whole number with an optional binary unit K, "
                + "M, G or T, such as 512M or 2G", "run", "--memory", "abc"));
        c.add(bad("memory zero", 2, "invalid --memory '0': must be at least 1 MiB", "run", "--memory", "0"));
        c.add(bad("memory below 1 MiB", 2, "invalid --memory '512K': must be at least 1 MiB", "run", "--memory", "512K"));
        c.add(bad("memory negative", 2, "invalid --memory '-1': must be a positive size such as 512M or 2G", "run", "--memory", "-1"));
        c.add(bad("memory not page sized", 2, "invalid --memory '1000001K': must be a multiple of 4 KiB (1024001024 bytes is not)",
                "run", "--memory", "1000001K"));
        c.add(bad("cpus zero", 2, "invalid --cpus '0': a VM needs at least 1 vCPU", "run", "--cpus", "0"));
        c.add(bad("cpus not a number", 2, "invalid --cpus 'x': expected a whole number of vCPUs such as 2", "run", "--cpus", "x"));
        c.add(bad("cpus negative", 2, "invalid --cpus '-1': a VM needs at least 1 vCPU", "run", "--cpus", "-1"));
        c.add(bad("cpus absurd", 2, "invalid --cpus '99999999999': far more vCPUs than any host allows", "run", "--cpus", "99999999999"));
        c.add(badOnKvm("cpus above the host maximum", 2, "--cpus 9999 is more than this host allows (…", "run", "--cpus", "9999"));
        // --- chipset options ---
        c.add(bad("unknown chipset", 2, "--chipset: unknown chipset type 'foo' (expected one of: hyperv-gen1, hyperv-gen2-uefi, "
                + "hyperv-gen2-linux-direct, hcl-host, unenlightened-linux-direct)", "run", "--chipset", "foo"));
        c.add(bad("unknown arch", 2, "--arch: unknown architecture 'foo' (expected x86_64 or aarch64)", "run", "--arch", "foo"));
        c.add(bad("COM5", 2, "--serial '5=stdio': N must be a COM port number 1..4", "run", "--serial", "5=stdio"));
        c.add(bad("COM0", 2, "--serial '0=stdio': N must be a COM port number 1..4", "run", "--serial", "0=stdio"));
        c.add(bad("serial without N=", 2, "--serial 'x': expected N=BACKEND, e.g. 1=stdio or 2=tcp=127.0.0.1:4444", "run", "--serial", "x"));
        c.add(bad("unknown serial backend", 2, "--serial 1: unknown backend 'foo' (expected stdio, file=PATH, tcp=HOST:PORT or none)",
                "run", "--serial", "1=foo"));
        c.add(bad("tcp without port", 2, "--serial 1: tcp= needs HOST:PORT, e.g. tcp=127.0.0.1:4444", "run", "--serial", "1=tcp=nohost"));
        c.add(bad("tcp port out of range", 2, "--serial 1: '99999' is not a port number 0..65535 (decimal or 0x hex)",
                "run", "--serial", "1=tcp=127.0.0.1:99999"));
        c.add(bad("file without path", 2, "--serial 1: file= needs a path, e.g. file=/tmp/com1.log", "run", "--serial", "1=file="));
        c.add(bad("COM1 twice", 2, "--serial: COM1 is given twice", "run", "--serial", "1=stdio", "--serial", "1=none"));
        c.add(bad("virtio console unknown backend", 2, "--virtio-console: unknown backend 'tty' (expected stdio, file=PATH, "
                + "tcp=HOST:PORT or none)", "run", "--virtio-console", "tty"));
        c.add(bad("virtio console tcp without port", 2, "--virtio-console: tcp= needs HOST:PORT, e.g. tcp=127.0.0.1:4444",
                "run", "--virtio-console", "tcp=4444"));
        c.add(bad("virtio console and debugcon both on stdio", 2, "--virtio-console stdio: device 'debugcon-0xe9' and the "
                + "virtio console 'virtio-console' both use the stdio serial backend; one terminal cannot feed both: give "
                + "one of them another backend, e.g. none", "run", "--virtio-console", "stdio", "--debugcon", "0xe9=stdio"));
        c.add(bad("manifest with a virtio console and COM1 on stdio", 2, "--manifest @/m-console-stdio.json: device "
                + "'serial-com1' and the virtio console 'virtio-console' both use the stdio serial backend; one terminal "
                + "cannot feed both: give one of them another serial backend, e.g. \"id\": \"disconnected\"",
                "run", "--manifest", "@/m-console-stdio.json"));
        c.add(bad("virtio console and a COM port both on stdio", 2, "--serial 2=stdio and --virtio-console stdio: one "
                + "terminal cannot feed both; give one of them another backend (e.g. --serial 2=none or --virtio-console "
                + "tcp=127.0.0.1:4444)", "run", "--virtio-console", "stdio", "--serial", "2=stdio"));
        c.add(bad("debugcon without backend", 2, "--debugcon '0xe9': expected PORT=BACKEND, e.g. 0xe9=stdio", "run", "--debugcon", "0xe9"));
        c.add(bad("debugcon port out of range", 2, "--debugcon: '0x10000' is not a port number 0..65535 (decimal or 0x hex)",
                "run", "--debugcon", "0x10000=stdio"));
        c.add(bad("debugcon unknown backend", 2, "--debugcon: unknown backend 'bogus' (expected stdio, file=PATH, tcp=HOST:PORT or none)",
                "run", "--debugcon", "0xe9=bogus"));
        c.add(bad("debugcon on aarch64", 2, "cannot build the unenlightened-linux-direct aarch64 chipset: unsupported debugcon architecture",
                "run", "--arch", "aarch64", "--debugcon", "0xe9=stdio"));
        c.add(bad("wait-for-rts on aarch64", 2, "cannot build the unenlightened-linux-direct aarch64 chipset: wait for RTS not "
                + "supported with this serial type", "run", "--arch", "aarch64", "--serial-wait-for-rts"));
        c.add(bad("proxy VGA off gen1", 2, "--proxy-vga needs --chipset hyperv-gen1 (the chipset is unenlightened-linux-direct)",
                "run", "--proxy-vga"));
        c.add(bad("stub floppy off gen1", 2, "--stub-floppy needs --chipset hyperv-gen1 (the chipset is hyperv-gen2-uefi)",
                "run", "--chipset", "hyperv-gen2-uefi", "--stub-floppy"));
        c.add(bad("bad battery spec", 2, "--battery: battery spec 'foo': unknown part 'foo'; expected …", "run", "--battery", "foo"));
        c.add(bad("vsock without uds", 2, "--vsock 'cid=3': expected cid=N,uds=PATH, e.g. --vsock cid=3,uds=/tmp/vm.sock",
                "run", "--vsock", "cid=3"));
        c.add(bad("vsock reserved cid", 2, "--vsock 'cid=2,uds=@/v.sock': cid 2 is out of range: must be 3..4294967294 "
                + "(0, 1 and 2 are reserved for the hypervisor, local and host, 4294967295 means any)",
                "run", "--vsock", "cid=2,uds=@/v.sock"));
        c.add(bad("vsock cid not a number", 2, "--vsock 'cid=x,uds=@/v.sock': cid 'x' is not a number; expected "
                + "cid=N,uds=PATH, e.g. --vsock cid=3,uds=/tmp/vm.sock", "run", "--vsock", "cid=x,uds=@/v.sock"));
        c.add(bad("vsock unknown part", 2, "--vsock 'cid=3,uds=@/v.sock,port=1': unknown part 'port=1'; expected "
                + "cid=N,uds=PATH, e.g. --vsock cid=3,uds=/tmp/vm.sock", "run", "--vsock", "cid=3,uds=@/v.sock,port=1"));
        c.add(bad("vsock directory missing", 2, "--vsock uds=@/nodir/v.sock: the directory @/nodir does not exist; "
                + "create it first", "run", "--vsock", "cid=3,uds=@/nodir/v.sock"));
        c.add(bad("disk missing", 2, "--disk @/nope.img: no such file; create a raw image first (e.g. truncate -s 1G "
                + "@/nope.img, then mkfs)", "run", "--disk", "@/nope.img"));
        c.add(bad("disk is a directory", 2, "--disk @/d: is a directory; give a raw disk image file", "run", "--disk", "@/d"));
        c.add(bad("disk is a device", 2, "--disk /dev/null: not a regular file; give a raw disk image file",
                "run", "--disk", "/dev/null"));
        c.add(bad("disk of partial sectors", 2, "--disk @/small.txt: its size, 3 bytes, is not a multiple of 512; pad it "
                + "(truncate -s %512 @/small.txt)", "run", "--disk", "@/small.txt,ro"));
        c.add(bad("disk with an unknown option", 2, "--disk '@/disk.img,rw': unknown option 'rw' after the path "
                + "(expected ro or serial=ID)", "run", "--disk", "@/disk.img,rw"));
        c.add(bad("disk without a path", 2, "--disk ',ro': expected PATH[,ro][,serial=ID], e.g. --disk disk.img,ro",
                "run", "--disk", ",ro"));
        c.add(bad("disk serial too long", 2, "--disk @/disk.img,serial=123456789012345678901: serial "
                + "'123456789012345678901' is longer than 20 characters", "run", "--disk", "@/disk.img,serial=123456789012345678901"));
        c.add(bad("disk read-write twice", 2, "--disk @/disk.img: the same image as --disk @/disk.img,ro; a read-write "
                + "image may be given once (read-only images any number of times)",
                "run", "--disk", "@/disk.img,ro", "--disk", "@/disk.img"));
        c.add(bad("net without tap", 2, "--net 'mac=52:54:00:00:00:01': expected tap=NAME[,mac=MAC], e.g. --net tap=tap0",
                "run", "--net", "mac=52:54:00:00:00:01"));
        c.add(bad("net with an unknown option", 2, "--net 'tap=tap0,vhost=on': unknown option 'vhost=on' (expected "
                + "tap=NAME[,mac=MAC], e.g. --net tap=tap0,mac=52:54:00:12:34:56)", "run", "--net", "tap=tap0,vhost=on"));
        c.add(bad("net interface name too long", 2, "--net tap=0123456789abcdef: interface name '0123456789abcdef' is "
                + "longer than 15 characters", "run", "--net", "tap=0123456789abcdef"));
        c.add(bad("net multicast mac", 2, "--net tap=tap0,mac=01:00:5e:00:00:01: mac '01:00:5e:00:00:01' is a multicast "
                + "address (the first byte is odd); a card needs a unicast one", "run", "--net", "tap=tap0,mac=01:00:5e:00:00:01"));
        c.add(bad("net bad mac", 2, "--net tap=tap0,mac=52:54:00:12:34: mac '52:54:00:12:34' is not six hex bytes "
                + "separated by ':' (e.g. 52:54:00:12:34:56)", "run", "--net", "tap=tap0,mac=52:54:00:12:34"));
        c.add(bad("net tap twice", 2, "--net tap=tap0: TAP tap0 is given twice; a TAP serves one card",
                "run", "--net", "tap=tap0", "--net", "tap=tap0"));
        String[] tooMany = new String[2 + 2 * 27];
        tooMany[0] = "run";
        tooMany[1] = "--rng";
        for (int i = 0; i < 27; i++) {
            tooMany[2 + 2 * i] = "--disk";
            tooMany[3 + 2 * i] = "@/disk.img,ro";
        }
        c.add(bad("too many disks", 2, "--disk: 27 disks given, at most 26 fit (PCI slots 6..31)", tooMany));
        c.add(bad("aarch64 on an x86 KVM host", 2, "the kvm backend here runs x86_64 guests, not aarch64; use --arch "
                + "x86_64 (or a manifest for it)", "run", "--arch", "aarch64"));
        c.add(bad("chipset whose devices no plugin provides", 2, "1 device(s) cannot be resolved:\n  - device "
                + "'hyperv_firmware_uefi': no resolver for chipset_device:hyperv_firmware_uefi (available ids of kind "
                + "chipset_device: …", "run", "--chipset", "hyperv-gen2-uefi", "--serial", "1=none", "--firmware", POSTCODE));
        c.add(bad("unknown reset action", 2, "--on-reset: expected restart or exit, not 'foo'", "run", "--on-reset", "foo"));
        c.add(bad("unknown hypervisor", 2, "--hypervisor: unknown hypervisor 'foo' (installed: kvm)", "run", "--hypervisor", "foo"));
        // --- files and sockets ---
        c.add(bad("api socket in a missing directory", 2, "--api-socket @/nodir/vm.sock: directory @/nodir does not exist; "
                + "create it or choose another path", "run", "--api-socket", "@/nodir/vm.sock"));
        c.add(bad("api socket over a regular file", 2, "--api-socket @/small.txt: a file that is not a socket exists there; "
                + "choose another path", "run", "--serial", "1=none", "--api-socket", "@/small.txt", "--firmware", POSTCODE));
        c.add(bad("log in a missing directory", 2, "--log @/nodir/jvmm.log: directory @/nodir does not exist; create it or pick "
                + "another path", "run", "--log", "@/nodir/jvmm.log"));
        c.add(bad("log is a directory", 2, "--log @/d: is a directory; give a file name", "run", "--log", "@/d"));
        c.add(bad("serial file in a missing directory", 2, "could not initialize serial-com1: device 'serial-com1': serial "
                + "output file '@/nodir/com1.log': directory @/nodir does not exist; create it or pick another path",
                "run", "--serial", "1=file=@/nodir/com1.log", "--firmware", POSTCODE));
        c.add(bad("plugin directory missing", 2, "--plugin-path: plugin directory @/nope does not exist or is not a directory",
                "run", "--plugin-path", "@/nope"));
        c.add(bad("plugin directory is a file", 2, "--plugin-path: plugin directory @/small.txt does not exist or is not a directory",
                "plugins", "--plugin-path", "@/small.txt"));
        c.add(bad("plugin directory named by an empty string", 2, "--plugin-path: the directory name is empty; give a "
                + "directory of plugin jars, e.g. --plugin-path plugins/ (or . for the current directory)",
                "run", "--plugin-path", ""));
        c.add(bad("plugins with an empty plugin directory name", 2, "--plugin-path: the directory name is empty; …",
                "plugins", "--plugin-path", ""));
        c.add(bad("plugin resolver whose id() is null", 2, "a plugin's resolver is broken: test.nullid.R in test.nullid "
                + "(nullid.jar): id() returned null; fix the resolver or remove nullid.jar",
                "run", "--plugin-path", "@P/nullid", "--serial", "1=none"));
        c.add(bad("plugin resolver whose id() throws", 2, "a plugin's resolver is broken: test.throwid.R in test.throwid "
                + "(throwid.jar): id() failed: no licence; fix the resolver or remove throwid.jar",
                "run", "--plugin-path", "@P/throwid", "--serial", "1=none"));
        c.add(bad("plugin resolver whose kind() is null", 2, "a plugin's resolver is broken: test.nullkind.R in test.nullkind "
                + "(nullkind.jar): kind() returned null; fix the resolver or remove nullkind.jar",
                "run", "--plugin-path", "@P/nullkind", "--serial", "1=none"));
        c.add(bad("plugin resolver whose handleType() is null", 2, "a plugin's resolver is broken: test.nulltype.R in "
                + "test.nulltype (nulltype.jar): handleType() returned null; fix the resolver or remove nulltype.jar",
                "run", "--plugin-path", "@P/nulltype", "--serial", "1=none"));
        c.add(bad("device two plugins provide", 2, "serial-com1 needs chipset_device:twice_dev, which is provided by more than "
                + "one module: test.twicea (twice-a.jar) and test.twiceb (twice-b.jar); remove all but one of them from "
                + "the module path or plugin directories", "run", "--plugin-path", "@P/twice", "--manifest", "@/m-twice.json"));
        c.add(bad("ctl on a regular file", 2, "--api-socket @/small.txt: a file that is not a socket is there; give the "
                + "socket a VM serves (jvmm run --api-socket PATH)", "ctl", "--api-socket", "@/small.txt", "status"));
        c.add(bad("ctl without a VM", 2, "cannot reach a VM at --api-socket @/vm.sock: …", "ctl", "--api-socket", "@/vm.sock", "status"));
        c.add(bad("ctl unknown command", 2, "ctl: unknown command 'frob' (known: status, pause, resume, reset, shutdown, battery, "
                + "keys, serial-send, snapshot)", "ctl", "--api-socket", "@/vm.sock", "frob"));
        c.add(bad("ctl snapshot without a path", 2, "ctl snapshot: expected 1 argument(s): snapshot PATH [--stop]",
                "ctl", "--api-socket", "@/vm.sock", "snapshot"));
        // --- snapshots (run --restore; @/snap is a good snapshot of a firmware guest, the others are broken copies) ---
        c.add(bad("restore: no such directory", 2, "--restore @/nosnap: no such directory; give a snapshot directory "
                + "written by 'jvmm ctl snapshot'", "run", "--restore", "@/nosnap"));
        c.add(bad("restore: not a snapshot", 2, "@/d is not a jvmm snapshot (it has no snapshot.json)",
                "run", "--restore", "@/d"));
        c.add(bad("restore: other snapshot version", 2, "@/snap-version/snapshot.json is snapshot version 2; this jvmm "
                + "reads version 1 only (take the snapshot again with this jvmm, or restore it with the jvmm that wrote "
                + "it: test)", "run", "--restore", "@/snap-version"));
        c.add(bad("restore: truncated state", 2, "snapshot file @/snap-short/state.bin is 10 bytes, but snapshot.json "
                + "says …", "run", "--restore", "@/snap-short"));
        c.add(bad("restore: truncated memory", 2, "snapshot file @/snap-shortmem/memory.bin is 4096 bytes, but "
                + "snapshot.json says 33554432 (truncated)", "run", "--restore", "@/snap-shortmem"));
        c.add(bad("restore: corrupted payload", 2, "snapshot file @/snap-flip/payload/firmware.bin is corrupted: its "
                + "SHA-256 does not match snapshot.json", "run", "--restore", "@/snap-flip"));
        c.add(bad("restore: corrupted memory, verified", 2, "snapshot file @/snap-flipmem/memory.bin is corrupted: its "
                + "CRC32C is …", "run", "--restore", "@/snap-flipmem", "--verify-memory"));
        c.add(bad("restore: snapshot.json cut short", 2, "@/snap-cut/snapshot.json is not valid JSON (truncated or "
                + "corrupted): …", "run", "--restore", "@/snap-cut"));
        c.add(bad("restore: missing plugin", 2, "the manifest needs resources that no loaded module provides: "
                + "serial-com1 needs chipset_device:nosuch; add the plugins that provide them (--plugin-path) or remove "
                + "the devices", "run", "--restore", "@/snap-noplugin"));
        c.add(bad("restore: other memory size", 2, "--memory 64M differs from the snapshot's 33554432 bytes (32M); a "
                + "restored VM keeps its memory size: drop --memory", "run", "--restore", "@/snap", "--memory", "64M"));
        c.add(bad("restore: other vCPU count", 2, "--cpus 2 differs from the snapshot's 1 vCPUs; a restored VM keeps its "
                + "vCPUs: drop --cpus", "run", "--restore", "@/snap", "--cpus", "2"));
        c.add(bad("check with --restore", 2, "jvmm check does not take --restore or --verify-memory: 'jvmm run --restore "
                + "PATH' checks the snapshot (format, checksums, plugins, board, device states) before its guest runs",
                "check", "--restore", "@/snap"));
        c.add(bad("verify-memory without restore", 2, "--verify-memory checks a snapshot's memory image: give it with "
                + "--restore PATH", "run", "--firmware", "@/tiny.bin", "--verify-memory"));
        c.add(bad("restore: with a payload", 2, "--restore continues the snapshot's own payload; drop --firmware",
                "run", "--restore", "@/snap", "--firmware", "@/tiny.bin"));
        c.add(bad("restore: other devices", 2, "the command line's devices differ from snapshot @/snap's; give options "
                + "for the same devices (they only re-attach host backends), or none: device …", "run", "--restore", "@/snap",
                "--serial", "1=none", "--rng"));
        // these two get as far as the hypervisor (the checks that need the backend and the built board)
        c.add(badOnKvm("restore: another backend's snapshot", 2, "the snapshot was taken with the whpx backend; this "
                + "run uses kvm (--hypervisor whpx)", "run", "--restore", "@/snap-whpx"));
        c.add(badOnKvm("restore: no state for the board's devices", 2, "the snapshot has no state for device …",
                "run", "--restore", "@/snap"));
        // --- manifest documents ---
        c.add(bad("manifest missing", 2, "--manifest @/nope.json: cannot read: no such file", "run", "--manifest", "@/nope.json"));
        c.add(bad("manifest is a directory", 2, "--manifest @/d: is a directory; give a manifest file (write one with "
                + "'jvmm manifest > vm.json')", "run", "--manifest", "@/d"));
        c.add(bad("manifest not JSON", 2, "--manifest @/bad.json: $: not valid JSON at line 2, column 1: Unexpected end-of-input: "
                + "expected close marker for Object (opened at line 1, column 1)", "run", "--manifest", "@/bad.json"));
        c.add(bad("manifest with a second object after it", 2, "--manifest @/trailing.json: $: another object follows "
                + "the document's closing '}', at line 2, column 1; a manifest is exactly one JSON object, so remove what "
                + "follows it", "run", "--manifest", "@/trailing.json"));
        c.add(bad("manifest with a stray number after it", 2, "--manifest @/trailing-number.json: $: a number follows "
                + "the document's closing '}', at line 1, column 16; a manifest is exactly one JSON object, so remove what "
                + "follows it", "manifest", "--manifest", "@/trailing-number.json"));
        c.add(bad("manifest is an array", 2, "--manifest @/array.json: $: expected a JSON object, got an array",
                "run", "--manifest", "@/array.json"));
        c.add(bad("manifest empty", 2, "--manifest @/empty.json: $: the document is empty; expected a JSON object",
                "manifest", "--manifest", "@/empty.json"));
        c.add(bad("manifest unknown top-level key", 2, "--manifest @/m-unknown-key.json: $.foo: unknown key \"foo\"; known keys: "
                + "version, chipset, devices", "run", "--manifest", "@/m-unknown-key.json"));
        c.add(bad("manifest unknown config key", 2, "--manifest @/m-unknown-config.json: $.devices[0].config.bogus: unknown key "
                + "\"bogus\"; known keys: base, register_width, irq, io, wait_for_rts", "run", "--manifest", "@/m-unknown-config.json"));
        c.add(bad("manifest version 2", 2, "--manifest @/m-version.json: $.version: unsupported manifest version 2; this jvmm "
                + "reads manifest version 1", "run", "--manifest", "@/m-version.json"));
        c.add(bad("manifest duplicate device name", 2, "--manifest @/m-dup-name.json: $.devices[1].name: duplicate device name "
                + "\"serial-com1\" (also used by $.devices[0]); every device needs its own name", "run", "--manifest", "@/m-dup-name.json"));
        c.add(bad("manifest unknown chipset", 2, "--manifest @/m-chipset.json: $.chipset.type: unknown chipset type 'nope' "
                + "(expected one of: …", "run", "--manifest", "@/m-chipset.json"));
        c.add(bad("manifest flag not boolean", 2, "--manifest @/m-flag.json: $.chipset.base.with_generic_pic: expected true or "
                + "false, got \"yes\"", "run", "--manifest", "@/m-flag.json"));
        c.add(bad("manifest base missing", 2, "--manifest @/m-no-base.json: $.chipset.base: required key is missing",
                "run", "--manifest", "@/m-no-base.json"));
        c.add(bad("manifest devices not an array", 2, "--manifest @/m-devices.json: $.devices: expected an array of objects, got "
                + "an object", "run", "--manifest", "@/m-devices.json"));
        c.add(bad("manifest device without kind", 2, "--manifest @/m-no-kind.json: $.devices[0].kind: required key is missing "
                + "(expected \"chipset_device\")", "run", "--manifest", "@/m-no-kind.json"));
        c.add(bad("manifest device of another kind", 2, "--manifest @/m-kind.json: $.devices[0].kind: expected \"chipset_device\", "
                + "got \"frob\"", "run", "--manifest", "@/m-kind.json"));
        c.add(bad("manifest bad hex", 2, "--manifest @/m-hex.json: $.devices[0].config.irq: invalid hex number \"0xzz\" "
                + "(expected 0x followed by hex digits, e.g. \"0x3f8\")", "run", "--manifest", "@/m-hex.json"));
        c.add(bad("manifest device nobody provides", 2, "the manifest needs resources that no loaded module provides: serial-com1 "
                + "needs chipset_device:nosuch; add the plugins that provide them (--plugin-path) or remove the devices",
                "run", "--manifest", "@/m-no-resolver.json"));
        c.add(bad("manifest backend nobody provides", 2, "the manifest needs resources that no loaded module provides: serial-com1 "
                + "needs serial_backend:zzz; add the plugins that provide them (--plugin-path) or remove the devices",
                "run", "--manifest", "@/m-no-backend.json"));
        c.add(bad("manifest with builder options", 2, "--manifest describes the whole chipset; drop --chipset, --arch, --serial, "
                + "--debugcon, --battery and the device flags, or drop --manifest", "run", "--manifest", "@/vm.json", "--chipset", "hyperv-gen1"));
        c.add(bad("manifest command with builder options", 2, "--manifest describes the whole chipset; …",
                "manifest", "--manifest", "@/vm.json", "--serial", "1=none"));
        c.add(bad("manifest overlapping ports", 2, "detected 1 region conflict(s) while building the board:\n  - static pio "
                + "intercept region conflict: serial-com2/registers:0x3f8-0x3ff conflicts with existing "
                + "serial-com1/registers:0x3f8-0x3ff", "run", "--manifest", "@/m-overlap.json", "--firmware", POSTCODE));
        c.add(bad("manifest device config the device rejects", 2, "could not initialize serial-com1: device 'serial-com1': "
                + "register_width must be 1 for a 16550 at an I/O port, was 3; use an \"mmio\" base for wider registers",
                "run", "--manifest", "@/m-width.json", "--firmware", POSTCODE));
        c.add(bad("manifest for an architecture KVM here cannot run", 2, "the kvm backend here runs x86_64 guests, not "
                + "aarch64; use --arch x86_64 (or a manifest for it)", "run", "--manifest", "@/m-aarch64.json", "--firmware",
                POSTCODE));
        // --- jvmm check: run's checks without a hypervisor, every problem at once ---
        c.add(bad("check: region conflict", 2, "static pio intercept region conflict: serial-com2/registers:0x3f8-0x3ff "
                + "conflicts with existing serial-com1/registers:0x3f8-0x3ff", "check", "--manifest", "@/m-overlap.json"));
        c.add(bad("check: missing resource", 2, "the manifest needs resources that no loaded module provides: serial-com1 "
                + "needs chipset_device:nosuch; add the plugins that provide them (--plugin-path) or remove the devices",
                "check", "--manifest", "@/m-no-resolver.json"));
        c.add(bad("check: missing nested resource", 2, "the manifest needs resources that no loaded module provides: "
                + "serial-com1 needs serial_backend:zzz; add the plugins that provide them (--plugin-path) or remove the "
                + "devices", "check", "--manifest", "@/m-no-backend.json"));
        c.add(bad("check: device config the device rejects", 2, "could not initialize serial-com1: device 'serial-com1': "
                + "register_width must be 1 for a 16550 at an I/O port, was 3; use an \"mmio\" base for wider registers",
                "check", "--manifest", "@/m-width.json"));
        c.add(bad("check: bad kernel image", 2, "kernel '@/small.txt' is neither a bzImage nor an ELF vmlinux (no 'HdrS' "
                + "setup header at 0x202, no ELF magic); pass arch/x86/boot/bzImage or vmlinux",
                "check", "--serial", "1=none", "--kernel", "@/small.txt"));
        c.add(bad("check: firmware too big", 2, "firmware image '@/big.bin' is 262145 bytes; firmware images may be at "
                + "most 262144 bytes (256 KiB)", "check", "--serial", "1=none", "--firmware", "@/big.bin"));
        c.add(bad("check: two problems", 2, "static pio intercept region conflict: serial-com2/registers:0x3f8-0x3ff "
                + "conflicts with existing serial-com1/registers:0x3f8-0x3ff\njvmm: firmware image '@/tiny.bin' is 15 "
                + "bytes; a firmware image must be at least 16 bytes, since its last 16 bytes hold the reset vector",
                "check", "--manifest", "@/m-overlap.json", "--firmware", "@/tiny.bin"));
        c.add(bad("check: serial file in a missing directory", 2, "could not initialize serial-com1: device 'serial-com1': "
                + "serial output file '@/nodir/com1.log': directory @/nodir does not exist; create it or pick another path",
                "check", "--serial", "1=file=@/nodir/com1.log"));
        c.add(bad("check: chipset whose devices no plugin provides", 2, "device 'hyperv_firmware_uefi': no resolver for "
                + "chipset_device:hyperv_firmware_uefi (available ids of kind chipset_device: …",
                "check", "--chipset", "hyperv-gen2-uefi", "--serial", "1=none"));
        c.add(bad("check: manifest not JSON", 2, "--manifest @/bad.json: $: not valid JSON at line 2, column 1: Unexpected "
                + "end-of-input: expected close marker for Object (opened at line 1, column 1)", "check", "--manifest", "@/bad.json"));
        c.add(bad("check: unknown option", 2, "Unknown option: '--frob'", "check", "--frob"));
        c.add(ok("check: a good manifest", "jvmm check: no problems found; 'jvmm run' with these options would start the VM",
                "check", "--manifest", "@/vm.json", "--firmware", POSTCODE));
        return c.stream().map(k -> Arguments.of(k));
    }

    /** Not bad input: a command that succeeds, with the first line it prints on stdout. */
    static Case ok(String name, String firstLine, String... args) {
        return new Case(name, 0, firstLine, false, args);
    }

    /** The cases that fail before any hypervisor is asked: they run everywhere. */
    static Stream<Arguments> withoutKvm() {
        return catalogue().filter(a -> !((Case) a.get()[0]).kvm());
    }

    /** The cases whose error comes from the hypervisor or a VM: they need KVM. */
    static Stream<Arguments> onKvm() {
        return catalogue().filter(a -> ((Case) a.get()[0]).kvm());
    }

    @BeforeEach
    void files() throws Exception {
        Files.writeString(dir.resolve("small.txt"), "hi\n");
        Files.write(dir.resolve("empty.bin"), new byte[0]);
        Files.write(dir.resolve("tiny.bin"), new byte[15]);
        Files.write(dir.resolve("big.bin"), new byte[256 * 1024 + 1]);
        Files.createDirectories(dir.resolve("d"));
        Files.write(dir.resolve("disk.img"), new byte[4096]);
        Files.writeString(dir.resolve("bad.json"), "{\n");
        Files.writeString(dir.resolve("array.json"), "[1, 2]\n");
        Files.writeString(dir.resolve("empty.json"), "");
        Files.writeString(dir.resolve("trailing.json"), "{\"version\": 1}\n{}\n");
        Files.writeString(dir.resolve("trailing-number.json"), "{\"version\": 1} 7");

        CliHarness base = CliHarness.run("manifest", "--serial", "1=none");
        assertEquals(0, base.exitCode(), base.err());
        Files.writeString(dir.resolve("vm.json"), base.out());
        manifest(base.out(), "m-unknown-key", d -> d.put("foo", 1));
        manifest(base.out(), "m-unknown-config", d -> device(d, 0).with("config").put("bogus", 1));
        manifest(base.out(), "m-version", d -> d.put("version", 2));
        manifest(base.out(), "m-dup-name", d -> device(d, 1).put("name", "serial-com1"));
        manifest(base.out(), "m-chipset", d -> d.with("chipset").put("type", "nope"));
        manifest(base.out(), "m-flag", d -> d.with("chipset").with("base").put("with_generic_pic", "yes"));
        manifest(base.out(), "m-no-base", d -> d.with("chipset").remove("base"));
        manifest(base.out(), "m-devices", d -> d.putObject("devices"));
        manifest(base.out(), "m-no-kind", d -> device(d, 0).remove("kind"));
        manifest(base.out(), "m-kind", d -> device(d, 0).put("kind", "frob"));
        manifest(base.out(), "m-hex", d -> device(d, 0).with("config").put("irq", "0xzz"));
        manifest(base.out(), "m-no-resolver", d -> device(d, 0).put("id", "nosuch"));
        manifest(base.out(), "m-no-backend", d -> device(d, 0).with("config").with("io").put("id", "zzz"));
        manifest(base.out(), "m-overlap", d -> device(d, 1).with("config").with("base").put("io_port", "0x3f8"));
        manifest(base.out(), "m-width", d -> device(d, 0).with("config").put("register_width", 3));
        manifest(base.out(), "m-aarch64", d -> d.with("chipset").put("arch", "aarch64"));
        manifest(base.out(), "m-twice", d -> device(d, 0).put("id", "twice_dev").putObject("config"));
        snapshots(base.out());
        CliHarness console = CliHarness.run("manifest", "--virtio-console", "stdio");
        assertEquals(0, console.exitCode(), console.err());
        manifest(console.out(), "m-console-stdio", d -> device(d, 0).with("config").with("io").put("id", "stdio"));
    }

    /** A good snapshot of a 32 MiB firmware guest on the {@code --serial 1=none} board ({@code @/snap}), and broken copies. */
    private void snapshots(String manifest) throws Exception {
        io.jvmm.runtime.snapshot.MachineState state = new io.jvmm.runtime.snapshot.MachineState(
                new io.jvmm.api.device.SavedStateBlob("test.partition", 1, new byte[8]),
                List.of(new io.jvmm.api.device.SavedStateBlob("test.vcpu", 1, new byte[8])), Map.of());
        long memory = 32L << 20;
        io.jvmm.runtime.snapshot.Snapshot.Facts facts = new io.jvmm.runtime.snapshot.Snapshot.Facts("test", "kvm",
                "x86_64", memory, 1, manifest, false, "restart");
        io.jvmm.runtime.vm.GuestPayload fw = new io.jvmm.runtime.vm.GuestPayload.Firmware("fw.bin", new byte[65536]);
        io.jvmm.runtime.snapshot.Snapshot.MemoryWriter ram = ch -> ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}),
                memory - 1);
        for (String name : List.of("snap", "snap-version", "snap-short", "snap-shortmem", "snap-flip", "snap-flipmem",
                "snap-cut")) {
            io.jvmm.runtime.snapshot.Snapshot.write(dir.resolve(name), facts, fw, state, ram);
        }
        io.jvmm.runtime.snapshot.Snapshot.write(dir.resolve("snap-whpx"), new io.jvmm.runtime.snapshot.Snapshot.Facts(
                "test", "whpx", "x86_64", memory, 1, manifest, false, "restart"), fw, state, ram);
        ObjectNode doc = (ObjectNode) new ObjectMapper().readTree(manifest);
        device(doc, 0).put("id", "nosuch");
        io.jvmm.runtime.snapshot.Snapshot.write(dir.resolve("snap-noplugin"), new io.jvmm.runtime.snapshot.Snapshot.Facts(
                "test", "kvm", "x86_64", memory, 1, doc.toString(), false, "restart"), fw, state, ram);
        Path info = dir.resolve("snap-version/snapshot.json");
        Files.writeString(info, Files.readString(info).replace("\"version\" : 1", "\"version\" : 2"));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve("snap-short/state.bin").toFile(), "rw")) {
            f.setLength(10);
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve("snap-shortmem/memory.bin").toFile(), "rw")) {
            f.setLength(4096);
        }
        for (String file : List.of("snap-flip/payload/firmware.bin", "snap-flipmem/memory.bin")) {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve(file).toFile(), "rw")) {
                f.seek(100);
                f.write(0x77);
            }
        }
        Path cut = dir.resolve("snap-cut/snapshot.json");
        Files.writeString(cut, Files.readString(cut).substring(0, 200));
    }

    private static ObjectNode device(ObjectNode doc, int index) {
        return (ObjectNode) ((ArrayNode) doc.get("devices")).get(index);
    }

    private void manifest(String base, String name, Consumer<ObjectNode> change) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = (ObjectNode) json.readTree(base);
        change.accept(doc);
        Files.writeString(dir.resolve(name + ".json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("withoutKvm")
    void badInputGivesItsExitCodeAndMessage(Case k) {
        check(k);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("onKvm")
    @RequiresKvm
    void badInputOnKvmGivesItsExitCodeAndMessage(Case k) {
        VmHarness.kvm();
        check(k);
    }

    private void check(Case k) {
        String[] args = Arrays.stream(k.args()).map(this::expand).toArray(String[]::new);
        InputStream in = System.in;
        CliHarness r;
        try {
            System.setIn(new ByteArrayInputStream(new byte[0]));
            r = CliHarness.run(args);
        } finally {
            System.setIn(in);
        }
        String err = r.err();
        assertEquals(k.exit(), r.exitCode(), err + r.out());
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
        if (k.exit() == 0) {
            assertEquals("", err);
            assertEquals(expand(k.message()), r.out().lines().findFirst().orElse(""));
            return;
        }
        String expected = "jvmm: " + expand(k.message());
        if (expected.endsWith("…")) {
            String prefix = expected.substring(0, expected.length() - 1);
            assertTrue(err.startsWith(prefix), "expected a message starting with\n" + prefix + "\ngot\n" + err);
        } else {
            String message = expected.contains("\n") ? err.stripTrailing() : err.lines().findFirst().orElse("");
            assertEquals(expected, message);
        }
    }

    private String expand(String s) {
        return s.replace("@P/", pluginWork.toString() + "/").replace("@/", dir.toString() + "/");
    }
}
