package io.jvmm.runtime.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.api.device.ChipsetDevice;
import io.jvmm.api.hv.MachineArch;
import io.jvmm.api.resource.ConfigException;
import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.Resource;
import io.jvmm.api.resource.ResourceKinds;
import io.jvmm.runtime.registry.ResolverRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The manifest document: reads and writes a {@link VmManifest} as JSON.
 *
 * <pre>{@code
 * {
 *   "version": 1,
 *   "chipset": {"type": "unenlightened-linux-direct", "arch": "x86_64",
 *               "base": {"with_generic_cmos_rtc": true, ...}},
 *   "devices": [{"name": "serial-com1", "kind": "chipset_device", "id": "serial_16550",
 *                "config": {"base": {"io_port": "0x3f8"}, ..., "io": {"kind": "serial_backend", ...}}}]
 * }
 * }</pre>
 *
 * <p>Handles write themselves ({@link io.jvmm.api.resource.ResourceHandle#writeConfig}) and are
 * read by their resolver ({@link io.jvmm.api.resource.ResourceResolver#parseHandle}); there is no
 * reflection. Reading is strict: unknown keys, wrong types and out-of-range numbers are errors
 * naming the JSON path. A resource without a loaded resolver is not an error here: it is kept as
 * an {@link UnresolvedHandle} and listed by {@link #missingResources}.
 *
 * <p>Writing is canonical (two-space indent, fixed key order, all 24 chipset flags, every
 * {@code config} present), so {@code write(read(doc))} returns a canonical {@code doc} unchanged.
 * When reading, chipset flags that are left out are off and a resource's {@code config} may be
 * left out when empty.
 */
public final class ManifestJson {
    private final JsonMapper mapper;
    private final ObjectWriter prettyWriter;

    public ManifestJson() {
        this.mapper = JsonMapper.builder()
                // A repeated key would otherwise silently win over the first.
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // Keep opaque numbers exactly as written.
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                        .withObjectEmptySeparator("")
                        .withArrayEmptySeparator(""));
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        this.prettyWriter = mapper.writer(printer);
    }

    /** The canonical document, ending with a newline. */
    public String write(VmManifest manifest) {
        Objects.requireNonNull(manifest, "manifest");
        ObjectNode root = mapper.createObjectNode();
        root.put("version", VmManifest.VERSION);
        ObjectNode chipset = root.putObject("chipset");
        chipset.put("type", manifest.type().label());
        chipset.put("arch", manifest.arch().label());
        ObjectNode base = chipset.putObject("base");
        for (BaseChipsetFlag flag : BaseChipsetFlag.values()) {
            base.put(flag.key(), manifest.chipset().has(flag));
        }
        ArrayNode devices = root.putArray("devices");
        for (ChipsetDeviceHandle device : manifest.devices()) {
            ObjectNode entry = devices.addObject();
            entry.put("name", device.name());
            JsonConfigWriter.writeResource(device.resource(), entry);
        }
        try {
            return prettyWriter.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot serialize a JSON tree", e);
        }
    }

    /** Jackson names an unclosed object's start as "[Source: REDACTED (...); line: L, column: C]"; keep L and C. */
    private static final java.util.regex.Pattern START_MARKER = java.util.regex.Pattern.compile(
            "\\(start marker at \\[Source: .*?; line: (\\d+), column: (\\d+)\\]\\)");

    /** What a stray token after the document is, in the manifest's words. */
    private static String describe(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "another object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> "content";
        };
    }

    static String withoutSourceNoise(String message) {
        return message == null ? "" : START_MARKER.matcher(message).replaceAll("(opened at line $1, column $2)");
    }

    /**
     * Reads a document. Resources are parsed by the resolvers in {@code registry}; those it lacks
     * are kept as {@link UnresolvedHandle}s.
     */
    public VmManifest read(String json, ResolverRegistry registry) throws ManifestException {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(registry, "registry");
        JsonNode root;
        // Trailing content is checked here rather than by FAIL_ON_TRAILING_TOKENS, whose message
        // names Jackson's classes and feature flags instead of what is wrong with the document.
        try (JsonParser parser = mapper.createParser(json)) {
            root = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(parser);
            if (root != null && !root.isMissingNode()) {
                JsonToken extra = parser.nextToken();
                if (extra != null) {
                    JsonLocation at = parser.currentTokenLocation();
                    throw new ManifestException("$", describe(extra) + " follows the document's "
                            + (root.isObject() ? "closing '}'" : "first value") + ", at line " + at.getLineNr()
                            + ", column " + at.getColumnNr() + "; a manifest is exactly one JSON object, so "
                            + "remove what follows it");
                }
            }
        } catch (IOException e) {
            JsonLocation at = e instanceof JsonProcessingException j ? j.getLocation() : null;
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new ManifestException("$", "not valid JSON" + where + ": " + withoutSourceNoise(detail));
        }
        if (root == null || root.isMissingNode()) {
            throw new ManifestException("$", "the document is empty; expected a JSON object");
        }
        if (!root.isObject()) {
            throw new ManifestException("$", "expected a JSON object, got " + JsonPaths.describe(root));
        }
        try {
            return readDocument(new JsonConfigReader((ObjectNode) root, "$", new HandleParser(registry)));
        } catch (ConfigException e) {
            throw new ManifestException(e);
        }
    }

    private static VmManifest readDocument(JsonConfigReader doc) {
        checkVersion(doc);
        JsonConfigReader chipset = doc.requiredObject("chipset");
        BaseChipsetType type;
        try {
            type = BaseChipsetType.parse(chipset.string("type"));
        } catch (IllegalArgumentException e) {
            throw chipset.error("type", e.getMessage());
        }
        MachineArch arch;
        try {
            arch = MachineArch.parse(chipset.string("arch"));
        } catch (IllegalArgumentException e) {
            throw chipset.error("arch", e.getMessage());
        }
        BaseChipsetManifest base = readBase(chipset.requiredObject("base"));
        chipset.checkNoUnknownKeys();

        List<ChipsetDeviceHandle> devices = new ArrayList<>();
        Map<String, String> pathByName = new HashMap<>();
        for (JsonConfigReader entry : doc.requiredObjects("devices")) {
            String name = entry.string("name");
            if (name.isBlank()) {
                throw entry.error("name", "must not be empty");
            }
            String earlier = pathByName.putIfAbsent(name, entry.path());
            if (earlier != null) {
                throw entry.error("name", "duplicate device name " + JsonPaths.quote(name) + " (also used by "
                        + earlier + "); every device needs its own name");
            }
            Resource<ChipsetDevice> resource = entry.resources().parse(entry, ResourceKinds.CHIPSET_DEVICE);
            devices.add(new ChipsetDeviceHandle(name, resource));
        }
        doc.checkNoUnknownKeys();
        return new VmManifest(type, arch, base, devices);
    }

    private static void checkVersion(JsonConfigReader doc) {
        JsonNode v = doc.raw("version");
        String supported = "this jvmm reads manifest version " + VmManifest.VERSION;
        if (v == null) {
            throw doc.error("version", "required key is missing; " + supported
                    + " (add \"version\": " + VmManifest.VERSION + ")");
        }
        if (!v.isIntegralNumber()) {
            throw doc.error("version", "expected the number " + VmManifest.VERSION + ", got "
                    + JsonPaths.describe(v));
        }
        if (!v.canConvertToInt() || v.intValue() != VmManifest.VERSION) {
            throw doc.error("version", "unsupported manifest version " + v + "; " + supported);
        }
    }

    private static BaseChipsetManifest readBase(JsonConfigReader base) {
        EnumSet<BaseChipsetFlag> on = EnumSet.noneOf(BaseChipsetFlag.class);
        for (String key : fieldNames(base.node())) {
            BaseChipsetFlag flag = BaseChipsetFlag.fromKey(key);
            if (flag == null) {
                List<String> known = new ArrayList<>();
                for (BaseChipsetFlag f : BaseChipsetFlag.values()) {
                    known.add(f.key());
                }
                throw base.error(key, "unknown chipset flag " + JsonPaths.quote(key) + "; known flags: "
                        + String.join(", ", known));
            }
            if (base.bool(key)) {
                on.add(flag);
            }
        }
        return new BaseChipsetManifest(on);
    }

    private static List<String> fieldNames(ObjectNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * Every resource in {@code manifest}, nested ones included, for which {@code registry} has no
     * resolver, in document order. Inside an unresolved handle's config, objects shaped like a
     * resource ({@code kind}, {@code id} and optionally {@code config}) are checked too, so that
     * all missing plugins can be named at once.
     */
    public static List<MissingResource> missingResources(VmManifest manifest, ResolverRegistry registry) {
        List<MissingResource> out = new ArrayList<>();
        for (int i = 0; i < manifest.devices().size(); i++) {
            ChipsetDeviceHandle d = manifest.devices().get(i);
            collectMissing(d.name(), JsonPaths.element("$.devices", i), d.resource(), registry, out);
        }
        return List.copyOf(out);
    }

    /** Every resource in {@code manifest}, the devices' nested ones included, in document order. */
    public static List<Resource<?>> resources(VmManifest manifest) {
        List<Resource<?>> out = new ArrayList<>();
        for (int i = 0; i < manifest.devices().size(); i++) {
            ChipsetDeviceHandle d = manifest.devices().get(i);
            collectAll(JsonPaths.element("$.devices", i), d.resource(), out);
        }
        return List.copyOf(out);
    }

    private static void collectAll(String path, Resource<?> resource, List<Resource<?>> out) {
        out.add(resource);
        if (!(resource.handle() instanceof UnresolvedHandle)) {
            resource.handle().writeConfig(new NestedResourceFinder(path + ".config", (p, r) -> collectAll(p, r, out)));
        }
    }

    private static void collectMissing(String device, String path, Resource<?> resource, ResolverRegistry registry,
            List<MissingResource> out) {
        if (registry.find(resource.kind().name(), resource.id()).isEmpty()) {
            out.add(new MissingResource(device, path, resource.kind().name(), resource.id()));
        }
        String configPath = path + ".config";
        if (resource.handle() instanceof UnresolvedHandle u) {
            collectMissingOpaque(device, configPath, u.config(), registry, out);
        } else {
            resource.handle().writeConfig(new NestedResourceFinder(configPath,
                    (p, r) -> collectMissing(device, p, r, registry, out)));
        }
    }

    private static void collectMissingOpaque(String device, String path, OpaqueJson value, ResolverRegistry registry,
            List<MissingResource> out) {
        if (value instanceof OpaqueJson.Obj obj) {
            Map<String, OpaqueJson> members = new HashMap<>();
            obj.members().forEach(m -> members.put(m.key(), m.value()));
            boolean resourceShaped = members.get("kind") instanceof OpaqueJson.Str
                    && members.get("id") instanceof OpaqueJson.Str
                    && (members.size() == 2 || (members.size() == 3 && members.get("config") instanceof OpaqueJson.Obj));
            if (resourceShaped) {
                String kind = ((OpaqueJson.Str) members.get("kind")).value();
                String id = ((OpaqueJson.Str) members.get("id")).value();
                if (registry.find(kind, id).isEmpty()) {
                    out.add(new MissingResource(device, path, kind, id));
                }
            }
            for (OpaqueJson.Member m : obj.members()) {
                collectMissingOpaque(device, JsonPaths.child(path, m.key()), m.value(), registry, out);
            }
        } else if (value instanceof OpaqueJson.Arr arr) {
            for (int i = 0; i < arr.elements().size(); i++) {
                collectMissingOpaque(device, JsonPaths.element(path, i), arr.elements().get(i), registry, out);
            }
        }
    }

    /** A writer that only reports the nested resources a handle writes, with their paths. */
    private static final class NestedResourceFinder implements ConfigWriter {
        private final String path;
        private final BiConsumer<String, Resource<?>> found;

        NestedResourceFinder(String path, BiConsumer<String, Resource<?>> found) {
            this.path = path;
            this.found = found;
        }

        @Override
        public ConfigWriter number(String key, long value) {
            return this;
        }

        @Override
        public ConfigWriter hex(String key, long value) {
            return this;
        }

        @Override
        public ConfigWriter bool(String key, boolean value) {
            return this;
        }

        @Override
        public ConfigWriter string(String key, String value) {
            return this;
        }

        @Override
        public ConfigWriter resource(String key, Resource<?> value) {
            found.accept(JsonPaths.child(path, key), value);
            return this;
        }

        @Override
        public <E> ConfigWriter objects(String key, Iterable<E> elements, BiConsumer<E, ConfigWriter> element) {
            String arrayPath = JsonPaths.child(path, key);
            int i = 0;
            for (E e : elements) {
                element.accept(e, new NestedResourceFinder(JsonPaths.element(arrayPath, i++), found));
            }
            return this;
        }

        @Override
        public ConfigWriter object(String key, Consumer<ConfigWriter> body) {
            body.accept(new NestedResourceFinder(JsonPaths.child(path, key), found));
            return this;
        }
    }
}
