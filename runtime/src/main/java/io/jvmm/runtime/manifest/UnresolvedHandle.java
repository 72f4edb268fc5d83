package io.jvmm.runtime.manifest;

import io.jvmm.api.resource.ConfigWriter;
import io.jvmm.api.resource.ResourceHandle;
import io.jvmm.runtime.manifest.OpaqueJson.Arr;
import io.jvmm.runtime.manifest.OpaqueJson.Bool;
import io.jvmm.runtime.manifest.OpaqueJson.Int;
import io.jvmm.runtime.manifest.OpaqueJson.Member;
import io.jvmm.runtime.manifest.OpaqueJson.Obj;
import io.jvmm.runtime.manifest.OpaqueJson.Str;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The configuration of a resource whose (kind, id) had no resolver when the manifest was read. It
 * is kept as is, so that a manifest can be read, printed and written back without its plugins,
 * and so that every missing resolver can be reported at once (see
 * {@link ManifestJson#missingResources}).
 *
 * @param config the {@code config} object exactly as written
 */
public record UnresolvedHandle(Obj config) implements ResourceHandle {
    public UnresolvedHandle {
        Objects.requireNonNull(config, "config");
    }

    /**
     * Writes the configuration back. The manifest writer copies it verbatim; other writers get
     * what their methods can express (objects, lists of objects, strings, booleans, integers that
     * fit a long) and an {@link IllegalStateException} naming the first value they cannot take.
     */
    @Override
    public void writeConfig(ConfigWriter out) {
        if (out instanceof JsonConfigWriter json) {
            json.putVerbatim(config);
            return;
        }
        writeMembers(config, out);
    }

    private static void writeMembers(Obj obj, ConfigWriter out) {
        for (Member m : obj.members()) {
            writeValue(m.key(), m.value(), out);
        }
    }

    private static void writeValue(String key, OpaqueJson value, ConfigWriter out) {
        if (value instanceof Obj o) {
            out.object(key, w -> writeMembers(o, w));
        } else if (value instanceof Str s) {
            out.string(key, s.value());
        } else if (value instanceof Bool b) {
            out.bool(key, b.value());
        } else if (value instanceof Int i && i.value().bitLength() < 64) {
            out.number(key, i.value().longValue());
        } else if (value instanceof Arr a && a.elements().stream().allMatch(e -> e instanceof Obj)) {
            List<Obj> objects = new ArrayList<>();
            a.elements().forEach(e -> objects.add((Obj) e));
            out.objects(key, objects, UnresolvedHandle::writeMembers);
        } else {
            throw new IllegalStateException("config value \"" + key + "\" (" + value
                    + ") cannot be written through " + out.getClass().getSimpleName());
        }
    }
}
