package io.jvmm.runtime.manifest;

import static io.jvmm.api.hv.MachineArch.AARCH64;
import static io.jvmm.api.hv.MachineArch.X86_64;
import static io.jvmm.runtime.manifest.VmManifestBuilderTest.A;
import static io.jvmm.runtime.manifest.VmManifestBuilderTest.B;
import static io.jvmm.runtime.manifest.VmManifestBuilderTest.BAT;
import static io.jvmm.runtime.manifest.VmManifestBuilderTest.C;
import static io.jvmm.runtime.manifest.VmManifestBuilderTest.D;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.api.handles.DisconnectedSerialHandle;
import io.jvmm.api.handles.MissingDevHandle;
import io.jvmm.api.handles.Pl011Handle;
import io.jvmm.api.handles.Serial16550Handle;
import io.jvmm.api.handles.SerialBase;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.manifest.TestResolvers.ConsoleHandle;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestJsonTest {
    final ManifestJson json = new ManifestJson();
    final ResolverRegistry registry = TestResolvers.registry();

    /** For building broken documents from good ones; keeps numbers as written. */
    static final JsonMapper TREE = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    // ---- manifests ----

    /** Every supported option for the pair; Gen1 on aarch64 cannot be built, so it is assembled by hand. */
    static VmManifest everything(BaseChipsetType type, MachineArch arch) throws ManifestBuildException {
        if (type == BaseChipsetType.HYPERV_GEN1 && arch == AARCH64) {
            return new VmManifest(type, arch, VmManifestBuilderTest.GEN1_FLAGS, gen1Aarch64Devices());
        }
        VmManifestBuilder b = new VmManifestBuilder(type, arch).withBattery(BAT).withFramebuffer()
                .withGuestWatchdog().withPsp();
        if (arch == X86_64) {
            b.withDebugcon(D, 0xe9).withSerial(Arrays.asList(A, B, C, null)).withSerialWaitForRts();
        } else {
            b.withSerial(Arrays.asList(A, null, null, null));
        }
        if (type == BaseChipsetType.HYPERV_GEN1) {
            b.withProxyVga().withStubFloppy();
        }
        return b.build();
    }

    private static List<ChipsetDeviceHandle> gen1Aarch64Devices() {
        List<ChipsetDeviceHandle> d = new ArrayList<>(VmManifestBuilderTest.pl011(A, B));
        d.add(VmManifestBuilderTest.battery(AARCH64));
        d.add(VmManifestBuilderTest.I8042);
        return d;
    }

    static Stream<Arguments> everyTypeAndArch() {
        List<Arguments> out = new ArrayList<>();
        for (BaseChipsetType t : BaseChipsetType.values()) {
            for (MachineArch a : MachineArch.values()) {
                out.add(Arguments.of(t, a));
            }
        }
        return out.stream();
    }

    /** ULD x86 with debugcon, two consoles and a battery; device indexes used by the rejection tests. */
    static VmManifest sample() throws ManifestBuildException {
        // [0] debugcon-0xe9, [1..4] serial-com1..4, [5] io-delay-0xed, [6] missing-vmware-backdoor,
        // [7] missing-gameport, [8] battery
        return new VmManifestBuilder(BaseChipsetType.UNENLIGHTENED_LINUX_DIRECT, X86_64)
                .withDebugcon(D, 0xe9).withSerial(Arrays.asList(A, B, null, null)).withBattery(BAT).build();
    }

    String sampleDoc() throws Exception {
        return json.write(sample());
    }

    static String mutate(String doc, Consumer<ObjectNode> change) throws Exception {
        ObjectNode root = (ObjectNode) TREE.readTree(doc);
        change.accept(root);
        return TREE.writeValueAsString(root);
    }

    static ObjectNode at(ObjectNode root, String pointer) {
        JsonNode n = root.at(pointer);
        assertTrue(n.isObject(), "no object at " + pointer);
        return (ObjectNode) n;
    }

    ManifestException reject(String doc, String path, String... fragments) {
        ManifestException e = assertThrows(ManifestException.class, () -> json.read(doc, registry));
        assertEquals(path, e.path(), e.getMessage());
        assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        return e;
    }

    void rejectSample(Consumer<ObjectNode> change, String path, String... fragments) throws Exception {
        reject(mutate(sampleDoc(), change), path, fragments);
    }

    // ---- round trips ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyTypeAndArch")
    void roundTripsEveryTypeAndArchWithAllOptions(BaseChipsetType type, MachineArch arch) throws Exception {
        VmManifest m = everything(type, arch);
        String doc = json.write(m);
        VmManifest back = json.read(doc, registry);
        assertEquals(m, back);
        assertEquals(doc, json.write(back));
        assertEquals(List.of(), ManifestJson.missingResources(back, registry));
        // Every handle was parsed by its resolver, none kept opaque.
        back.devices().forEach(d -> assertFalse(d.resource().handle() instanceof UnresolvedHandle, d.name()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyTypeAndArch")
    void roundTripsDefaults(BaseChipsetType type, MachineArch arch) throws Exception {
        if (type == BaseChipsetType.HYPERV_GEN1 && arch == AARCH64) {
            return;
        }
        VmManifest m = new VmManifestBuilder(type, arch).build();
        String doc = json.write(m);
        assertEquals(m, json.read(doc, registry));
        assertEquals(doc, json.write(json.read(doc, registry)));
    }

    @Test
    void writesTheDocumentedCanonicalForm() throws Exception {
        VmManifest m = new VmManifestBuilder(BaseChipsetType.HCL_HOST, AARCH64)
                .withSerial(Arrays.asList(A, null, null, null)).withFramebuffer().build();
        StringBuilder flags = new StringBuilder();
        for (BaseChipsetFlag f : BaseChipsetFlag.values()) {
            flags.append("      \"").append(f.key()).append("\": ").append(f == BaseChipsetFlag.HYPERV_FRAMEBUFFER)
                    .append(f.ordinal() == 23 ? "\n" : ",\n");
        }
        String expected = "{\n"
                + "  \"version\": 1,\n"
                + "  \"chipset\": {\n"
                + "    \"type\": \"hcl-host\",\n"
                + "    \"arch\": \"aarch64\",\n"
                + "    \"base\": {\n"
                + flags
                + "    }\n"
                + "  },\n"
                + "  \"devices\": [\n"
                + "    {\n"
                + "      \"name\": \"com1\",\n"
                + "      \"kind\": \"chipset_device\",\n"
                + "      \"id\": \"serial_pl011\",\n"
                + "      \"config\": {\n"
                + "        \"base\": \"0xeffec000\",\n"
                + "        \"irq\": 1,\n"
                + "        \"io\": {\n"
                + "          \"kind\": \"serial_backend\",\n"
                + "          \"id\": \"test_console\",\n"
                + "          \"config\": {\n"
                + "            \"name\": \"a\"\n"
                + "          }\n"
                + "        }\n"
                + "      }\n"
                + "    },\n"
                + "    {\n"
                + "      \"name\": \"com2\",\n"
                + "      \"kind\": \"chipset_device\",\n"
                + "      \"id\": \"serial_pl011\",\n"
                + "      \"config\": {\n"
                + "        \"base\": \"0xeffeb000\",\n"
                + "        \"irq\": 2,\n"
                + "        \"io\": {\n"
                + "          \"kind\": \"serial_backend\",\n"
                + "          \"id\": \"disconnected\",\n"
                + "          \"config\": {}\n"
                + "        }\n"
                + "      }\n"
                + "    }\n"
                + "  ]\n"
                + "}\n";
        assertEquals(expected, json.write(m));
    }

    @Test
    void emptyDeviceListAndEmptyClaimListsAreWrittenCompactly() throws Exception {
        VmManifest m = new VmManifest(BaseChipsetType.HCL_HOST, X86_64, BaseChipsetManifest.empty(), List.of());
        String doc = json.write(m);
        assertTrue(doc.contains("\"devices\": []"), doc);
        assertEquals(m, json.read(doc, registry));
    }

    @Test
    void acceptsDecimalNumbersHexCaseOmittedFlagsAndOmittedEmptyConfig() throws Exception {
        String doc = "{\"version\": 1, \"chipset\": {\"type\": \"hcl-host\", \"arch\": \"x86_64\","
                + " \"base\": {\"with_hyperv_framebuffer\": true, \"with_generic_pic\": false}},"
                + " \"devices\": [{\"name\": \"serial-com1\", \"kind\": \"chipset_device\", \"id\": \"serial_16550\","
                + "   \"config\": {\"base\": {\"io_port\": 1016}, \"irq\": \"0X4\","
                + "     \"io\": {\"kind\": \"serial_backend\", \"id\": \"disconnected\"}}},"
                + "  {\"name\": \"probe\", \"kind\": \"chipset_device\", \"id\": \"missing_dev\","
                + "   \"config\": {\"mmio\": [{\"name\": \"r\", \"start\": \"0xFED00000\", \"end\": 4275045375}]}}]}";
        VmManifest m = json.read(doc, registry);
        VmManifest expected = new VmManifest(BaseChipsetType.HCL_HOST, X86_64,
                BaseChipsetManifest.of(BaseChipsetFlag.HYPERV_FRAMEBUFFER), List.of(
                        new ChipsetDeviceHandle("serial-com1",
                                Serial16550Handle.comPort(1, DisconnectedSerialHandle.resource()).toResource()),
                        new ChipsetDeviceHandle("probe",
                                new MissingDevHandle().claimMmio("r", 0xFED00000L, 0xFED003FFL).toResource())));
        assertEquals(expected, m);
    }

    @Test
    void u64AcceptsTheFullRange() throws Exception {
        String doc = mutate(json.write(everything(BaseChipsetType.HCL_HOST, AARCH64)),
                root -> at(root, "/devices/0/config").put("base", "0xffffffffffffffff"));
        VmManifest m = json.read(doc, registry);
        assertEquals(-1L, ((Pl011Handle) m.devices().get(0).resource().handle()).base());
        assertEquals(doc.replace(" ", "").replace("\n", ""),
                json.write(m).replace(" ", "").replace("\n", ""));
        reject(mutate(doc, root -> at(root, "/devices/0/config").put("base", "0x10000000000000000")),
                "$.devices[0].config.base", "out of range", "0xffffffffffffffff");
        reject(mutate(doc, root -> at(root, "/devices/0/config").put("base", new BigInteger("18446744073709551616"))),
                "$.devices[0].config.base", "out of range");
    }

    // ---- unresolved resources ----

    @Test
    void withoutResolversEverythingIsKeptAndListed() throws Exception {
        ResolverRegistry none = TestResolvers.empty();
        String doc = sampleDoc();
        VmManifest m = json.read(doc, none);
        m.devices().forEach(d -> assertInstanceOf(UnresolvedHandle.class, d.resource().handle(), d.name()));
        assertEquals(doc, json.write(m));
        assertEquals(sample().devices().stream().map(ChipsetDeviceHandle::name).toList(),
                m.devices().stream().map(ChipsetDeviceHandle::name).toList());

        List<String> missing = ManifestJson.missingResources(m, none).stream().map(MissingResource::toString).toList();
        assertEquals(List.of(
                "device 'debugcon-0xe9' ($.devices[0]): no resolver for chipset_device:debugcon",
                "device 'debugcon-0xe9' ($.devices[0].config.io): no resolver for serial_backend:test_console",
                "device 'serial-com1' ($.devices[1]): no resolver for chipset_device:serial_16550",
                "device 'serial-com1' ($.devices[1].config.io): no resolver for serial_backend:test_console",
                "device 'serial-com2' ($.devices[2]): no resolver for chipset_device:serial_16550",
                "device 'serial-com2' ($.devices[2].config.io): no resolver for serial_backend:test_console",
                "device 'serial-com3' ($.devices[3]): no resolver for chipset_device:serial_16550",
                "device 'serial-com3' ($.devices[3].config.io): no resolver for serial_backend:disconnected",
                "device 'serial-com4' ($.devices[4]): no resolver for chipset_device:serial_16550",
                "device 'serial-com4' ($.devices[4].config.io): no resolver for serial_backend:disconnected",
                "device 'io-delay-0xed' ($.devices[5]): no resolver for chipset_device:missing_dev",
                "device 'missing-vmware-backdoor' ($.devices[6]): no resolver for chipset_device:missing_dev",
                "device 'missing-gameport' ($.devices[7]): no resolver for chipset_device:missing_dev",
                "device 'reset-control' ($.devices[8]): no resolver for chipset_device:reset_control",
                "device 'battery' ($.devices[9]): no resolver for chipset_device:battery_x64",
                "device 'battery' ($.devices[9].config.source): no resolver for battery_source:fixed"), missing);
        // With the resolvers, the same unresolved manifest reports nothing missing.
        assertEquals(List.of(), ManifestJson.missingResources(m, registry));
    }

    @Test
    void aMissingNestedResolverKeepsOnlyThatResourceOpaque() throws Exception {
        ResolverRegistry noConsole = TestResolvers.registryWithout(Set.of("serial_backend:test_console"));
        String doc = sampleDoc();
        VmManifest m = json.read(doc, noConsole);
        Serial16550Handle com1 = (Serial16550Handle) m.devices().get(1).resource().handle();
        assertEquals(new SerialBase.IoPort(0x3f8), com1.base());
        assertEquals(Resource.of(ResourceKinds.SERIAL_BACKEND, "test_console",
                new UnresolvedHandle(new OpaqueJson.Obj(List.of(new OpaqueJson.Member("name", new OpaqueJson.Str("a")))))),
                com1.io());
        assertEquals(doc, json.write(m));
        assertEquals(List.of(
                new MissingResource("debugcon-0xe9", "$.devices[0].config.io", "serial_backend", "test_console"),
                new MissingResource("serial-com1", "$.devices[1].config.io", "serial_backend", "test_console"),
                new MissingResource("serial-com2", "$.devices[2].config.io", "serial_backend", "test_console")),
                ManifestJson.missingResources(m, noConsole));
        // The same list for the manifest as built, before any JSON: nested resources are found via writeConfig.
        assertEquals(ManifestJson.missingResources(m, noConsole), ManifestJson.missingResources(sample(), noConsole));
    }

    @Test
    void unknownDeviceConfigIsKeptVerbatim() throws Exception {
        String doc = mutate(sampleDoc(), root -> {
            ObjectNode dev = root.withArray("/devices").addObject();
            dev.put("name", "virtio-console");
            dev.put("kind", "chipset_device");
            dev.put("id", "virtio_console");
            ObjectNode config = dev.putObject("config");
            config.put("ratio", new java.math.BigDecimal("1.50"));
            config.put("huge", new BigInteger("123456789012345678901234567890"));
            config.putNull("nothing");
            config.putArray("ports").add(1).add("two").add(true);
            config.put("zeta", 1);
            config.put("alpha", 2);
            ObjectNode nested = config.putObject("backend");
            nested.put("kind", "serial_backend");
            nested.put("id", "tcp_socket");
            nested.putObject("config").put("port", 4444);
        });
        VmManifest m = json.read(doc, registry);
        ChipsetDeviceHandle virtio = m.devices().get(10);
        assertEquals("virtio_console", virtio.resource().id());
        assertInstanceOf(UnresolvedHandle.class, virtio.resource().handle());
        assertEquals(TREE.readTree(doc), TREE.readTree(json.write(m)));
        assertTrue(json.write(m).contains("\"ratio\": 1.50"), json.write(m));
        assertTrue(json.write(m).replaceAll("\\s", "").contains("\"zeta\":1,\"alpha\":2"), "member order kept");
        assertEquals(List.of(
                new MissingResource("virtio-console", "$.devices[10]", "chipset_device", "virtio_console"),
                new MissingResource("virtio-console", "$.devices[10].config.backend", "serial_backend", "tcp_socket")),
                ManifestJson.missingResources(m, registry));
        // Reading it twice gives equal manifests: the opaque copy has value equality.
        assertEquals(m, json.read(doc, registry));
    }

    @Test
    void unresolvedConfigGoesThroughOtherWritersAsFarAsTheyCan() {
        List<String> calls = new ArrayList<>();
        ConfigWriter recorder = new ConfigWriter() {
            @Override
            public ConfigWriter number(String key, long value) {
                calls.add("number " + key + "=" + value);
                return this;
            }

            @Override
            public ConfigWriter hex(String key, long value) {
                calls.add("hex " + key);
                return this;
            }

            @Override
            public ConfigWriter bool(String key, boolean value) {
                calls.add("bool " + key + "=" + value);
                return this;
            }

            @Override
            public ConfigWriter string(String key, String value) {
                calls.add("string " + key + "=" + value);
                return this;
            }

            @Override
            public ConfigWriter resource(String key, Resource<?> value) {
                calls.add("resource " + key);
                return this;
            }

            @Override
            public <E> ConfigWriter objects(String key, Iterable<E> elements, BiConsumer<E, ConfigWriter> element) {
                calls.add("objects " + key);
                elements.forEach(e -> element.accept(e, this));
                return this;
            }

            @Override
            public ConfigWriter object(String key, Consumer<ConfigWriter> body) {
                calls.add("object " + key);
                body.accept(this);
                return this;
            }
        };
        OpaqueJson.Obj inner = new OpaqueJson.Obj(List.of(new OpaqueJson.Member("n", new OpaqueJson.Int(BigInteger.TEN))));
        new UnresolvedHandle(new OpaqueJson.Obj(List.of(
                new OpaqueJson.Member("s", new OpaqueJson.Str("x")),
                new OpaqueJson.Member("b", new OpaqueJson.Bool(true)),
                new OpaqueJson.Member("o", inner),
                new OpaqueJson.Member("l", new OpaqueJson.Arr(List.of(inner)))))).writeConfig(recorder);
        assertEquals(List.of("string s=x", "bool b=true", "object o", "number n=10", "objects l", "number n=10"), calls);

        UnresolvedHandle withNull = new UnresolvedHandle(new OpaqueJson.Obj(List.of(
                new OpaqueJson.Member("z", new OpaqueJson.Null()))));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> withNull.writeConfig(recorder));
        assertTrue(e.getMessage().contains("\"z\""), e.getMessage());
    }

    // ---- rejections: document level ----

    @Test
    void rejectsBadVersions() throws Exception {
        rejectSample(root -> root.remove("version"), "$.version", "required key is missing",
                "manifest version 1", "\"version\": 1");
        rejectSample(root -> root.put("version", 2), "$.version", "unsupported manifest version 2",
                "reads manifest version 1");
        rejectSample(root -> root.put("version", "1"), "$.version", "expected the number 1, got \"1\"");
        rejectSample(root -> root.put("version", new java.math.BigDecimal("1.0")), "$.version",
                "expected the number 1, got 1.0");
        rejectSample(root -> root.put("version", new BigInteger("100000000000000000000")), "$.version",
                "unsupported manifest version 100000000000000000000");
    }

    @Test
    void rejectsWhatIsNotAManifestObject() {
        reject("{", "$", "not valid JSON at line 1");
        reject("", "$", "empty");
        reject("   ", "$", "empty");
        reject("[]", "$", "expected a JSON object, got an array");
        reject("{\"version\": 1} {}", "$", "another object follows the document's closing '}', at line 1, column 16; "
                + "a manifest is exactly one JSON object");
        reject("{\"version\": 1}\n\"x\"", "$", "a string follows the document's closing '}', at line 2, column 1");
        reject("{\"version\": 1} x", "$", "not valid JSON at line 1, column 16");
        reject("{\"version\": 1, \"version\": 1}", "$", "not valid JSON", "version");
    }

    @Test
    void rejectsUnknownKeysAtEveryLevel() throws Exception {
        rejectSample(root -> root.put("extra", 1), "$.extra", "unknown key \"extra\"",
                "known keys: version, chipset, devices");
        rejectSample(root -> at(root, "/chipset").put("colour", "red"), "$.chipset.colour",
                "unknown key \"colour\"", "known keys: type, arch, base");
        rejectSample(root -> at(root, "/chipset/base").put("with_floppy_disk", true), "$.chipset.base.with_floppy_disk",
                "unknown chipset flag \"with_floppy_disk\"", "known flags: with_generic_cmos_rtc,",
                "with_winbond_super_io_and_floppy_full");
        rejectSample(root -> at(root, "/devices/2").put("colour", "red"), "$.devices[2].colour",
                "unknown key \"colour\"", "known keys: name, kind, id, config");
        rejectSample(root -> at(root, "/devices/1/config").put("colour", "red").put("fifo", 16),
                "$.devices[1].config.colour", "unknown key \"colour\" (also unknown: \"fifo\")",
                "known keys: base, register_width, irq, io, wait_for_rts");
        rejectSample(root -> at(root, "/devices/1/config/base").put("colour", "red"),
                "$.devices[1].config.base.colour", "known keys: io_port, mmio");
        rejectSample(root -> at(root, "/devices/1/config/io").put("colour", "red"),
                "$.devices[1].config.io.colour", "known keys: kind, id, config");
        rejectSample(root -> at(root, "/devices/1/config/io/config").put("colour", "red"),
                "$.devices[1].config.io.config.colour", "known keys: name");
        rejectSample(root -> at(root, "/devices/3/config/io/config").put("colour", "red"),
                "$.devices[3].config.io.config.colour", "this object takes no keys");
        rejectSample(root -> at(root, "/devices/5/config/pio/0").put("colour", "red"),
                "$.devices[5].config.pio[0].colour", "known keys: name, start, end");
        rejectSample(root -> at(root, "/devices/9/config/source/config").put("colour", "red"),
                "$.devices[9].config.source.config.colour", "known keys: present, charging");
        rejectSample(root -> at(root, "/devices/1/config").put("odd key", 1),
                "$.devices[1].config[\"odd key\"]", "unknown key \"odd key\"");
    }

    @Test
    void rejectsMissingStructure() throws Exception {
        rejectSample(root -> root.remove("chipset"), "$.chipset", "required key is missing");
        rejectSample(root -> at(root, "/chipset").remove("type"), "$.chipset.type", "required key is missing");
        rejectSample(root -> at(root, "/chipset").remove("arch"), "$.chipset.arch", "required key is missing");
        rejectSample(root -> at(root, "/chipset").remove("base"), "$.chipset.base", "required key is missing");
        rejectSample(root -> root.remove("devices"), "$.devices", "required key is missing");
        rejectSample(root -> at(root, "/devices/2").remove("name"), "$.devices[2].name", "required key is missing");
        rejectSample(root -> at(root, "/devices/2").remove("kind"), "$.devices[2].kind", "required key is missing",
                "chipset_device");
        rejectSample(root -> at(root, "/devices/2").remove("id"), "$.devices[2].id", "required key is missing");
        rejectSample(root -> at(root, "/devices/2/config").remove("io"), "$.devices[2].config.io",
                "required key is missing");
        rejectSample(root -> at(root, "/devices/2/config").remove("irq"), "$.devices[2].config.irq",
                "required key is missing");
        rejectSample(root -> at(root, "/devices/2/config").remove("base"), "$.devices[2].config.base",
                "missing");
        rejectSample(root -> at(root, "/devices/2/config/io").remove("kind"), "$.devices[2].config.io.kind",
                "required key is missing (expected \"serial_backend\")");
        rejectSample(root -> at(root, "/devices/5/config/pio/0").remove("end"), "$.devices[5].config.pio[0].end",
                "required key is missing");
    }

    @Test
    void rejectsWrongTypesInTheManifestStructure() throws Exception {
        rejectSample(root -> root.put("chipset", 5), "$.chipset", "expected an object, got 5");
        rejectSample(root -> at(root, "/chipset").put("type", "gen3"), "$.chipset.type",
                "unknown chipset type 'gen3'", "hyperv-gen1");
        rejectSample(root -> at(root, "/chipset").put("type", 3), "$.chipset.type", "expected a string, got 3");
        rejectSample(root -> at(root, "/chipset").put("arch", "riscv64"), "$.chipset.arch",
                "unknown architecture 'riscv64'");
        rejectSample(root -> at(root, "/chipset/base").put("with_generic_pic", 1), "$.chipset.base.with_generic_pic",
                "expected true or false, got 1");
        rejectSample(root -> root.putObject("devices"), "$.devices", "expected an array of objects, got an object");
        rejectSample(root -> root.withArray("/devices").set(0, TREE.getNodeFactory().textNode("x")), "$.devices[0]",
                "expected an object, got \"x\"");
        rejectSample(root -> at(root, "/devices/2").put("name", 7), "$.devices[2].name", "expected a string, got 7");
        rejectSample(root -> at(root, "/devices/2").put("name", " "), "$.devices[2].name", "must not be empty");
        rejectSample(root -> at(root, "/devices/2").put("id", ""), "$.devices[2].id", "must not be empty");
        rejectSample(root -> at(root, "/devices/2").putNull("id"), "$.devices[2].id", "expected a string, got null");
        rejectSample(root -> at(root, "/devices/2").putArray("config"), "$.devices[2].config",
                "expected an object, got an array");
        rejectSample(root -> at(root, "/devices/2/config").put("io", "console"), "$.devices[2].config.io",
                "expected a resource object {\"kind\": \"serial_backend\"", "got \"console\"");
    }

    @Test
    void rejectsKindMismatches() throws Exception {
        rejectSample(root -> at(root, "/devices/2").put("kind", "serial_backend"), "$.devices[2].kind",
                "expected \"chipset_device\", got \"serial_backend\"");
        rejectSample(root -> at(root, "/devices/2/config/io").put("kind", "chipset_device"),
                "$.devices[2].config.io.kind", "expected \"serial_backend\", got \"chipset_device\"");
        rejectSample(root -> at(root, "/devices/9/config/source").put("kind", 1),
                "$.devices[9].config.source.kind", "expected \"battery_source\", got 1");
    }

    @Test
    void rejectsDuplicateDeviceNames() throws Exception {
        rejectSample(root -> at(root, "/devices/3").put("name", "serial-com1"), "$.devices[3].name",
                "duplicate device name \"serial-com1\" (also used by $.devices[1])");
    }

    // ---- rejections: values inside configs ----

    @Test
    void rejectsWrongTypesInConfigs() throws Exception {
        ManifestException e = assertThrows(ManifestException.class, () -> json.read(
                mutate(sampleDoc(), root -> at(root, "/devices/2/config").put("irq", true)), registry));
        assertEquals("$.devices[2].config.irq: expected a number or \"0x…\" string, got true", e.getMessage());
        assertInstanceOf(ConfigException.class, e.getCause());

        rejectSample(root -> at(root, "/devices/2/config").put("wait_for_rts", "yes"), "$.devices[2].config.wait_for_rts",
                "expected true or false, got \"yes\"");
        rejectSample(root -> at(root, "/devices/2/config").putObject("irq"), "$.devices[2].config.irq",
                "expected a number or \"0x…\" string, got an object");
        rejectSample(root -> at(root, "/devices/2/config").put("irq", new java.math.BigDecimal("1.5")),
                "$.devices[2].config.irq", "expected a number or \"0x…\" string, got 1.5");
        rejectSample(root -> at(root, "/devices/5/config/pio/0").put("name", 5), "$.devices[5].config.pio[0].name",
                "expected a string, got 5");
        rejectSample(root -> at(root, "/devices/5/config").put("pio", "all"), "$.devices[5].config.pio",
                "expected an array of objects, got \"all\"");
        rejectSample(root -> at(root, "/devices/5/config").withArray("pio").add(3), "$.devices[5].config.pio[1]",
                "expected an object, got 3");
    }

    @Test
    void rejectsBadNumbers() throws Exception {
        String port = "$.devices[1].config.base.io_port";
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", "0xzz"), port,
                "invalid hex number \"0xzz\"");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", "0x"), port, "invalid hex number \"0x\"");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", "0x-1"), port, "invalid hex number");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", " 0x3f8"), port,
                "expected a number or \"0x…\" string, got \" 0x3f8\"");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", "1016"), port,
                "got \"1016\"", "without quotes");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", -1), port, "must not be negative, got -1");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", "0x10000"), port,
                "\"0x10000\" is out of range (maximum 65535 = 0xffff)");
        rejectSample(root -> at(root, "/devices/1/config/base").put("io_port", 65536), port,
                "65536 is out of range (maximum 65535 = 0xffff)");
        rejectSample(root -> at(root, "/devices/1/config").put("irq", 4294967296L), "$.devices[1].config.irq",
                "out of range (maximum 4294967295 = 0xffffffff)");
        rejectSample(root -> at(root, "/devices/1/config").put("register_width", 256),
                "$.devices[1].config.register_width", "out of range (maximum 255 = 0xff)");
        rejectSample(root -> at(root, "/devices/0/config").put("port", "0x1ffff"), "$.devices[0].config.port",
                "out of range");
    }

    @Test
    void rejectsSemanticErrorsReportedByHandles() throws Exception {
        rejectSample(root -> at(root, "/devices/5/config/pio/0").put("end", "0xec"), "$.devices[5].config.pio[0].end",
                "end must not be below start");
        rejectSample(root -> {
            ObjectNode base = at(root, "/devices/1/config/base");
            base.put("mmio", "0xfed00000");
        }, "$.devices[1].config.base.mmio", "give exactly one of \"io_port\" or \"mmio\"");
    }

    @Test
    void resolverRuntimeExceptionsBecomeConfigErrorsAtTheConfigPath() throws Exception {
        String gen1 = json.write(new VmManifestBuilder(BaseChipsetType.HYPERV_GEN1, X86_64).build());
        reject(mutate(gen1, root -> at(root, "/devices/0/config/keyboard_input/config").put("elevation", "0xffffffff")),
                "$.devices[0].config.keyboard_input.config",
                "invalid config for keyboard_input:keyboard: elevation must not be negative");
    }

    // ---- the reader itself ----

    @Test
    void hasDoesNotConsumeButCountsAsKnown() throws Exception {
        // missing_dev asks has("pio"); leaving pio out is fine, and so is an empty mmio list.
        String doc = mutate(sampleDoc(), root -> at(root, "/devices/5/config").remove("pio"));
        VmManifest m = json.read(doc, registry);
        assertEquals(new MissingDevHandle(), m.devices().get(5).resource().handle());
    }

    @Test
    void theBootLayerProvidesMissingDev() {
        assertTrue(registry.find("chipset_device", "missing_dev").isPresent());
        assertEquals("io.jvmm.dev.missing",
                registry.find("chipset_device", "missing_dev").get().origin().module());
    }
}
