package io.jvmm.runtime.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeCreator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.runtime.manifest.OpaqueJson.Arr;
import io.jvmm.runtime.manifest.OpaqueJson.Bool;
import io.jvmm.runtime.manifest.OpaqueJson.Dec;
import io.jvmm.runtime.manifest.OpaqueJson.Int;
import io.jvmm.runtime.manifest.OpaqueJson.Member;
import io.jvmm.runtime.manifest.OpaqueJson.Null;
import io.jvmm.runtime.manifest.OpaqueJson.Obj;
import io.jvmm.runtime.manifest.OpaqueJson.Str;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Copies between Jackson trees and {@link OpaqueJson}; kept out of the public types so Jackson stays internal. */
final class OpaqueJsonCodec {
    private OpaqueJsonCodec() {}

    /** Copies a Jackson tree. */
    static OpaqueJson of(JsonNode node) {
        if (node.isObject()) {
            List<Member> members = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                members.add(new Member(e.getKey(), of(e.getValue())));
            }
            return new Obj(members);
        }
        if (node.isArray()) {
            List<OpaqueJson> elements = new ArrayList<>();
            for (JsonNode e : node) {
                elements.add(of(e));
            }
            return new Arr(elements);
        }
        if (node.isTextual()) {
            return new Str(node.textValue());
        }
        if (node.isBoolean()) {
            return new Bool(node.booleanValue());
        }
        if (node.isIntegralNumber()) {
            return new Int(node.bigIntegerValue());
        }
        if (node.isNumber()) {
            return new Dec(node.decimalValue());
        }
        if (node.isNull()) {
            return new Null();
        }
        throw new IllegalArgumentException("not a JSON value: " + node.getNodeType());
    }

    /** Copies an object node. */
    static Obj ofObject(ObjectNode node) {
        return (Obj) of(node);
    }

    /** A fresh Jackson tree with this value. */
    static JsonNode toNode(OpaqueJson value, JsonNodeCreator factory) {
        if (value instanceof Obj o) {
            ObjectNode out = factory.objectNode();
            for (Member m : o.members()) {
                out.set(m.key(), toNode(m.value(), factory));
            }
            return out;
        }
        if (value instanceof Arr a) {
            ArrayNode out = factory.arrayNode();
            for (OpaqueJson e : a.elements()) {
                out.add(toNode(e, factory));
            }
            return out;
        }
        if (value instanceof Str s) {
            return factory.textNode(s.value());
        }
        if (value instanceof Bool b) {
            return factory.booleanNode(b.value());
        }
        if (value instanceof Int i) {
            return i.value().bitLength() < 64 ? factory.numberNode(i.value().longValue())
                    : factory.numberNode(i.value());
        }
        if (value instanceof Dec d) {
            return DecimalNode.valueOf(d.value());
        }
        return factory.nullNode();
    }
}
